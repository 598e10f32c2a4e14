import { errorMessage, SandplotError } from '../../errors/index.js';

/** How a promise ended. */
export type Outcome<T> =
  | { status: 'fulfilled'; value: T }
  | { status: 'rejected'; reason: unknown };

/** Waits for `promise` and says how it ended, without throwing. */
export async function settle<T>(promise: Promise<T>): Promise<Outcome<T>> {
  try {
    return { status: 'fulfilled', value: await promise };
  } catch (reason) {
    return { status: 'rejected', reason };
  }
}

/** A thrown value in one line: class, sandplot code when there is one, message. */
export function describeError(error: unknown): string {
  if (SandplotError.isInstance(error)) return `${error.name} (${error.code}): ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${errorMessage(error)}`;
  return `${typeof error} ${String(error)}`;
}

/** Like `settle`, but gives up after `timeoutMs` and says the promise was still pending. */
export async function settleWithin<T>(
  promise: Promise<T>,
  timeoutMs: number,
): Promise<Outcome<T> | { status: 'pending' }> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<{ status: 'pending' }>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'pending' }), timeoutMs);
  });
  try {
    return await Promise.race([settle(promise), pending]);
  } finally {
    clearTimeout(timer);
  }
}
