import { AbortError } from '../errors/index.js';

/** The AbortError for `action` cut short by the caller's signal; the signal's reason is `cause`. */
export function abortedError(action: string, abortSignal: AbortSignal | undefined): AbortError {
  return new AbortError(`${action} was aborted by its abortSignal.`, {
    cause: abortSignal?.reason,
  });
}

/** Throws the AbortError for `action` when the caller's signal has already fired. */
export function throwIfAborted(abortSignal: AbortSignal | undefined, action: string): void {
  if (abortSignal?.aborted) throw abortedError(action, abortSignal);
}
