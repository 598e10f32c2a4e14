import { randomBytes } from 'node:crypto';
import type { BackendRunOptions, BackendRunResult } from '../types.js';
import type { ServerMessage } from './control-channel.js';
import type { SandboxProcess } from './sandbox-process.js';

/**
 * After the reply, the end tokens are at most a pipe buffer behind. A server that answers
 * without them (code in the session replaced its handlers) cannot be trusted: it is killed.
 */
export const TOKEN_WAIT_MS = 2000;
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Runs one cell: sends the code with a fresh end token, streams stdout and stderr to the
 * callbacks until the token went by on both, interrupts the code at `timeoutMs` or on abort
 * (SIGINT, a second one halfway through `interruptGraceMs`, then a kill), kills a process whose
 * end tokens do not follow its reply within `TOKEN_WAIT_MS`, and reports a process that ended
 * during the run as `crashed`. A callback that throws fails the run with its error.
 */
export function runCell(
  server: SandboxProcess,
  code: string,
  options: BackendRunOptions,
  interruptGraceMs: number,
): Promise<BackendRunResult> {
  if (options.abortSignal?.aborted)
    return Promise.resolve({ exitCode: null, interrupted: 'abort' });
  return new Promise<BackendRunResult>((resolve, reject) => {
    const token = `\0sandplot-end-${randomBytes(16).toString('hex')}\0`;
    const timers: NodeJS.Timeout[] = [];
    let reply: ServerMessage | undefined;
    let interrupted: 'timeout' | 'abort' | undefined;
    let callbackError: { error: unknown } | undefined;
    let settled = false;
    /** The server broke the protocol and is being killed: only its end is reported. */
    let abandoned = false;

    const guarded = (callback: (text: string) => void) => (text: string) => {
      try {
        callback(text);
      } catch (error) {
        callbackError ??= { error };
      }
    };
    const settle = (result: BackendRunResult) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      options.abortSignal?.removeEventListener('abort', onAbort);
      server.onToken = undefined;
      server.stdout.end();
      server.stderr.end();
      if (callbackError) reject(callbackError.error);
      else resolve(result);
    };
    const completeIfDone = () => {
      if (reply === undefined || !server.stdout.tokenSeen || !server.stderr.tokenSeen) return;
      if (abandoned) return;
      if (interrupted) settle({ exitCode: null, interrupted });
      else settle({ exitCode: typeof reply?.exitCode === 'number' ? reply.exitCode : 1 });
    };
    const crashed = (reason: string) =>
      settle({
        exitCode: server.endExitCode,
        crashed: { reason },
        ...(interrupted ? { interrupted } : {}),
      });
    const abandonIfTokensMissing = () => {
      if (settled || abandoned) return;
      abandoned = true;
      const reason = `The Python server answered the run but did not end its output within ${TOKEN_WAIT_MS} ms, so it was killed (code in the session may have replaced its handlers)`;
      server.kill(reason);
      // Output that arrives until the process is gone is still delivered.
      void server.ended.then(() => crashed(server.endReason ?? reason));
    };
    const interrupt = (kind: 'timeout' | 'abort') => {
      if (interrupted || reply !== undefined || settled) return;
      interrupted = kind;
      server.signalPython('SIGINT');
      timers.push(setTimeout(() => server.signalPython('SIGINT'), interruptGraceMs / 2));
      timers.push(
        setTimeout(
          () =>
            server.kill(
              `The Python process did not stop within ${interruptGraceMs} ms (interruptGraceMs) of the interrupt and was killed`,
            ),
          interruptGraceMs,
        ),
      );
    };
    const onAbort = () => interrupt('abort');

    server.stdout.begin(token, guarded(options.onStdout));
    server.stderr.begin(token, guarded(options.onStderr));
    server.onToken = completeIfDone;
    if (Number.isFinite(options.timeoutMs)) {
      timers.push(
        setTimeout(
          () => interrupt('timeout'),
          Math.min(Math.max(options.timeoutMs, 0), MAX_TIMER_MS),
        ),
      );
    }
    options.abortSignal?.addEventListener('abort', onAbort, { once: true });

    server.channel.request({ op: 'run', code, token }).then(
      (message) => {
        reply = message;
        // The process answered: no more interrupts for this run, only the wait for its tokens
        // (after a turn for I/O, in case the event loop was blocked while they arrived).
        for (const timer of timers) clearTimeout(timer);
        timers.push(setTimeout(() => setImmediate(abandonIfTokensMissing), TOKEN_WAIT_MS));
        completeIfDone();
      },
      (error: unknown) => crashed(error instanceof Error ? error.message : String(error)),
    );
  });
}
