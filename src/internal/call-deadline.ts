/** An AbortSignal for one call: it fires on the caller's abortSignal or when the time is up. */
export interface CallDeadline {
  readonly signal: AbortSignal;
  /** True once the signal fired because the time was up (not because the caller aborted). */
  readonly timedOut: boolean;
  /** Stops the timer and stops listening to the caller's abortSignal. */
  dispose(): void;
}

/**
 * Links a call to the caller's `abortSignal` (already aborted counts) and to a `timeoutMs` limit
 * (none when undefined). The signal's reason is the caller's reason, or an Error saying
 * `timed out after {timeoutMs} ms`.
 */
export function callDeadline(
  timeoutMs: number | undefined,
  abortSignal: AbortSignal | undefined,
): CallDeadline {
  const controller = new AbortController();
  let timedOut = false;
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          controller.abort(new Error(`timed out after ${timeoutMs} ms`));
        }, timeoutMs);
  const onAbort = () => controller.abort(abortSignal?.reason);
  if (abortSignal?.aborted) onAbort();
  abortSignal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    dispose() {
      clearTimeout(timer);
      abortSignal?.removeEventListener('abort', onAbort);
    },
  };
}
