import type { BackendRunResult } from '../backends/types.js';
import type { PythonError } from '../types/index.js';

// What the model can do about a timeout: it cannot change the time limit, only the code.
const SHORTER_CALLS =
  'Make each call do less: split the work into several calls (variables persist between them), try a sample of the data first, print less, and keep loops short.';

/**
 * The error a result reports: a timeout or a crash of the sandbox, as the model should read it,
 * else the exception the user's code raised (from its error marker), if any. Advice only the
 * developer can follow (which option allows more time) goes in `hint`, which the tool never
 * shows the model.
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
        ? `The code ran longer than ${timeoutMs} ms and did not stop when interrupted, so the sandbox was restarted: variables from earlier calls are gone. ${SHORTER_CALLS}`
        : `The code ran longer than ${timeoutMs} ms and was interrupted; variables from earlier calls are kept. ${SHORTER_CALLS}`,
      traceback: pythonError?.traceback ?? '',
      hint: `The time limit is the \`timeoutMs\` option (of the CodeSandbox, the execute_python tool or the executePython call, ${timeoutMs} ms here): raise it for longer work.`,
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
