import { z } from 'zod';

/**
 * A zod check for a plug-in or client object: anything with a `method` function passes (a
 * backend's `createSession`, a sink's `put`, an AWS client's `send`), so objects from another copy
 * of a package, and hand-written ones, are accepted. `message` says what was expected.
 */
export function objectWithMethod<T>(method: string, message: string) {
  return z.custom<T>(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      typeof (value as Record<string, unknown>)[method] === 'function',
    { message },
  );
}
