import type { BackendRunResult } from '../backends/types.js';
import type { PythonError } from '../types/index.js';

/**
 * The error a result reports: a timeout or a crash of the sandbox, as the model should read it,
 * else the exception the user's code raised (from its error marker), if any.
 */
export function describeRunError(
  run: BackendRunResult,
  pythonError: PythonError | undefined,
  timeoutMs: number,
): PythonError | undefined {
  if (run.interrupted === 'timeout') {
    return {
      name: 'TimeoutError',
      value: run.crashed
        ? `The code ran longer than ${timeoutMs} ms and did not stop when interrupted, so the sandbox was restarted: variables from earlier calls are gone. Raise \`timeoutMs\` for longer work.`
        : `The code ran longer than ${timeoutMs} ms and was interrupted; variables from earlier calls are kept. Raise \`timeoutMs\` for longer work.`,
      traceback: pythonError?.traceback ?? '',
    };
  }
  if (run.outputLost && !run.crashed) {
    return {
      name: 'OutputLost',
      value: `${run.outputLost.reason} It was not run again. Variables it set are kept: check them before running it again.`,
      traceback: '',
    };
  }
  if (run.crashed) {
    return {
      name: 'SandboxCrashed',
      value: `${run.crashed.reason}. Variables from earlier calls are lost; the next call runs in a new session.`,
      traceback: '',
    };
  }
  return pythonError;
}
