import type { BackendSession } from '../../backends/types.js';
import type { CommandOutput } from './emulator-options.js';
import { runHelper } from './python-helper.js';
import { type ResultPayload, textResult } from './session-tools.js';

/**
 * Background commands (startCommandExecution): each runs as its own process group, started by a
 * helper in the session's interpreter, with its output going to files in a private temporary
 * folder of the sandbox. The Popen objects live in the session's emulator module, so later calls
 * (getTask, stopTask) find them; the helper returns at once and never blocks other calls.
 */
const TASKS_SOURCE = `import subprocess, tempfile, time, types, signal
_m = sys.modules.get('_agentcore_emulator')
if _m is None:
    _m = types.ModuleType('_agentcore_emulator')
    _m.base = BASE
    sys.modules['_agentcore_emulator'] = _m
TASKS = _m.__dict__.setdefault('tasks', {})
def read_output(t, name):
    with open(os.path.join(t['dir'], name), 'rb') as f:
        return f.read().decode('utf-8', 'replace')
def state(tid):
    t = TASKS.get(tid)
    if t is None:
        return {'missing': True}
    code = t['p'].poll()
    if code is not None and t['ended'] is None:
        t['ended'] = time.monotonic()
    if code is not None and code < 0:
        code = 128 - code
    if t.get('terminal') and code is not None:
        code = 0
    if code is None:
        status = 'working'
    elif t['canceled']:
        status = 'canceled'
    else:
        status = 'completed' if code == 0 else 'failed'
    out, err = read_output(t, 'stdout'), read_output(t, 'stderr')
    if t.get('terminal'):
        out, err = out.replace('\\n', '\\r\\n'), ''
    r = {'status': status, 'stdout': out, 'stderr': err,
         'elapsed': ((t['ended'] or time.monotonic()) - t['started']) * 1000}
    if code is not None:
        r['exitCode'] = code
    return r
def stop(tid):
    t = TASKS.get(tid)
    if t is not None and t['p'].poll() is None:
        t['canceled'] = True
        for sig, wait in ((signal.SIGTERM, 2), (signal.SIGKILL, None)):
            try:
                os.killpg(t['p'].pid, sig)
            except ProcessLookupError:
                pass
            try:
                t['p'].wait(wait)
                break
            except subprocess.TimeoutExpired:
                pass
    return state(tid)
`;

const TASK_START_SOURCE = `${TASKS_SOURCE}
try:
    d = tempfile.mkdtemp(prefix='agentcore-task-')
    with open(os.path.join(d, 'stdout'), 'wb') as out, open(os.path.join(d, 'stderr'), 'wb') as err:
        p = subprocess.Popen(ARGS['command'], shell=True, cwd=BASE, stdin=subprocess.DEVNULL, stdout=out, stderr=out if ARGS['terminal'] else err, start_new_session=True)
    TASKS[ARGS['taskId']] = {'p': p, 'dir': d, 'canceled': False, 'started': time.monotonic(), 'ended': None, 'terminal': ARGS['terminal']}
    print(MARK + json.dumps({'ok': True}))
except OSError as error:
    print(MARK + json.dumps({'error': f'{type(error).__name__}: {error}'}))
`;

const TASK_GET_SOURCE = `${TASKS_SOURCE}
print(MARK + json.dumps(state(ARGS['taskId'])))
`;

const TASK_STOP_SOURCE = `${TASKS_SOURCE}
print(MARK + json.dumps(stop(ARGS['taskId'])))
`;

const TASK_STOP_ALL_SOURCE = `${TASKS_SOURCE}
for tid in list(TASKS):
    stop(tid)
print(MARK + json.dumps({'ok': True}))
`;

interface TaskState {
  missing?: boolean;
  status: 'working' | 'completed' | 'failed' | 'canceled';
  stdout: string;
  stderr: string;
  exitCode?: number;
  elapsed: number;
}

function taskResult(taskId: string, state: TaskState): ResultPayload {
  const output = `${state.stdout}${state.stderr}`;
  return {
    content: [
      { type: 'text', text: output.length > 0 ? output : `Task ${taskId} is ${state.status}` },
    ],
    structuredContent: {
      taskId,
      taskStatus: state.status,
      stdout: state.stdout,
      stderr: state.stderr,
      ...(state.exitCode === undefined ? {} : { exitCode: state.exitCode }),
      executionTime: state.elapsed,
    },
    isError: state.status === 'failed',
  };
}

/** startCommandExecution: starts `command` in the background and answers its task id at once. */
export async function startCommandExecution(
  session: BackendSession,
  taskId: string,
  command: string,
  commandOutput: CommandOutput = 'separate',
): Promise<ResultPayload> {
  const started = (await runHelper(session, TASK_START_SOURCE, {
    taskId,
    command,
    terminal: commandOutput === 'terminal',
  })) as {
    error?: string;
  };
  if (started.error !== undefined) {
    return textResult(`Failed to start the command: ${started.error}`, true);
  }
  return {
    content: [{ type: 'text', text: `Started task ${taskId}` }],
    structuredContent: { taskId, taskStatus: 'working' },
    isError: false,
  };
}

/** getTask: the task's status, with the output so far (all of it once it has ended). */
export async function getTask(session: BackendSession, taskId: string): Promise<ResultPayload> {
  const state = (await runHelper(session, TASK_GET_SOURCE, { taskId })) as TaskState;
  if (state.missing) return textResult(`Task ${taskId} was not found in this session`, true);
  return taskResult(taskId, state);
}

/** stopTask: kills the task's process group (SIGTERM, then SIGKILL after 2 s); answers its final state. */
export async function stopTask(session: BackendSession, taskId: string): Promise<ResultPayload> {
  const state = (await runHelper(session, TASK_STOP_SOURCE, { taskId })) as TaskState;
  if (state.missing) return textResult(`Task ${taskId} was not found in this session`, true);
  return taskResult(taskId, state);
}

/** Stops every background task of the session (used when the session ends). */
export async function stopAllTasks(session: BackendSession): Promise<void> {
  await runHelper(session, TASK_STOP_ALL_SOURCE, {});
}
