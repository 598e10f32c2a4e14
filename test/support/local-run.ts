import type {
  BackendRunOptions,
  BackendRunResult,
  BackendSession,
} from '../../src/backends/types.js';

export interface CellResult extends BackendRunResult {
  stdout: string;
  stderr: string;
  /** Every callback, in the order it came, with the time since the run started. */
  events: { stream: 'stdout' | 'stderr'; text: string; atMs: number }[];
  durationMs: number;
}

/** Runs `code` and collects what the callbacks received. */
export async function runCell(
  session: BackendSession,
  code: string,
  options: Partial<BackendRunOptions> = {},
): Promise<CellResult> {
  const events: CellResult['events'] = [];
  const started = performance.now();
  const result = await session.runCode(code, {
    timeoutMs: 20_000,
    onStdout: (text) => events.push({ stream: 'stdout', text, atMs: performance.now() - started }),
    onStderr: (text) => events.push({ stream: 'stderr', text, atMs: performance.now() - started }),
    ...options,
  });
  const durationMs = performance.now() - started;
  const join = (stream: 'stdout' | 'stderr') =>
    events
      .filter((event) => event.stream === stream)
      .map((event) => event.text)
      .join('');
  return { ...result, stdout: join('stdout'), stderr: join('stderr'), events, durationMs };
}
