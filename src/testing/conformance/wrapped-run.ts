import type { BackendRunResult, BackendSession, SandboxBackend } from '../../backends/types.js';
import { parseFigureMarkers } from '../../capture/parse-markers.js';
import { createNonce, wrapPythonCode } from '../../capture/wrap-code.js';
import type { CapturedFigure, PythonError } from '../../types/index.js';
import type { CheckScope } from './report.js';

/** What one wrapped run delivered, markers already parsed. */
export interface WrappedRun {
  result: BackendRunResult;
  /** The user's stdout: markers removed. */
  stdout: string;
  stderr: string;
  /** Figures from the markers, then those the backend sent out of band. */
  figures: Omit<CapturedFigure, 'index'>[];
  error: PythonError | undefined;
  /** When the first stdout arrived, in ms after the call, if any did. */
  firstOutputMs: number | undefined;
  durationMs: number;
}

/** Runs `code` wrapped by `wrapPythonCode`, the way CodeSandbox does, and collects the callbacks. */
export async function runWrapped(
  session: BackendSession,
  code: string,
  options: { timeoutMs: number; abortSignal?: AbortSignal; onStdout?: (text: string) => void },
): Promise<WrappedRun> {
  const nonce = createNonce();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const started = performance.now();
  let firstOutputMs: number | undefined;
  const result = await session.runCode(wrapPythonCode(code, { nonce }), {
    timeoutMs: options.timeoutMs,
    ...(options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal }),
    onStdout: (text) => {
      firstOutputMs ??= performance.now() - started;
      stdout.push(text);
      options.onStdout?.(text);
    },
    onStderr: (text) => {
      stderr.push(text);
    },
  });
  const durationMs = performance.now() - started;
  const parsed = parseFigureMarkers(stdout.join(''), { nonce });
  return {
    result,
    stdout: parsed.stdout,
    stderr: stderr.join(''),
    figures: [...parsed.figures, ...(result.figures ?? [])],
    error: parsed.error,
    firstOutputMs,
    durationMs,
  };
}

/**
 * Starts a session for the current check and closes it after the check, also when the check
 * timed out (a session that only starts after that is closed at once).
 */
export async function startSession(
  backend: SandboxBackend,
  scope: CheckScope,
): Promise<BackendSession> {
  const session = await backend.createSession({ abortSignal: scope.signal });
  if (scope.signal.aborted) {
    await session.close();
    throw scope.signal.reason;
  }
  scope.defer(() => session.close());
  return session;
}
