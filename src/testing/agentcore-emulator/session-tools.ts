import { randomBytes } from 'node:crypto';
import type { BackendSession } from '../../backends/types.js';

/** A tool result as JSON on the wire (blobs already base64), the `result` event payload. */
export interface ResultPayload {
  content: Record<string, unknown>[];
  structuredContent?: Record<string, unknown>;
  isError: boolean;
}

/** The arguments of InvokeCodeInterpreter as JSON on the wire. */
export interface ToolArgumentsJson {
  code?: string;
  language?: string;
  clearContext?: boolean;
  command?: string;
  path?: string;
  paths?: string[];
  directoryPath?: string;
  content?: { path?: string; text?: string; blob?: string }[];
  taskId?: string;
}

/** The service has no per-command timeout; 15 minutes is its limit for a synchronous call. */
const CALL_LIMIT_MS = 15 * 60 * 1000;

/**
 * The service's working directory is a deep path and takes paths relative to it; an absolute
 * path is joined onto it ("doubled"), which is what stripping the leading slash reproduces.
 */
export function emulatedPath(path: string): string {
  return path.replace(/^\/+/, '');
}

function textResult(text: string, isError = false): ResultPayload {
  return { content: [{ type: 'text', text }], isError };
}

async function collect(
  session: BackendSession,
  code: string,
): Promise<{ stdout: string; stderr: string; exitCode: number | null; crashed?: string }> {
  let stdout = '';
  let stderr = '';
  const run = await session.runCode(code, {
    timeoutMs: CALL_LIMIT_MS,
    onStdout: (text) => {
      stdout += text;
    },
    onStderr: (text) => {
      stderr += text;
    },
  });
  return {
    stdout,
    stderr,
    exitCode: run.exitCode,
    ...(run.crashed ? { crashed: run.crashed.reason } : {}),
  };
}

/**
 * Runs a helper script in a namespace of its own (the user's variables stay untouched) and
 * returns the JSON it printed after a random marker.
 */
async function runHelper(session: BackendSession, source: string, args: unknown): Promise<unknown> {
  const marker = `@@agentcore-emulator-${randomBytes(8).toString('hex')}@@`;
  const script = `import json\nARGS = json.loads(${JSON.stringify(JSON.stringify(args))})\nMARK = ${JSON.stringify(marker)}\n${BASE_SOURCE}${source}`;
  const run = await collect(
    session,
    `exec(${JSON.stringify(script)}, {'__name__': '__agentcore_emulator__'})\n`,
  );
  const at = run.stdout.lastIndexOf(marker);
  if (at === -1) {
    throw new Error(`the emulator's helper failed: ${run.crashed ?? run.stderr.trim()}`);
  }
  return JSON.parse(run.stdout.slice(at + marker.length).trim());
}

/**
 * The service resolves file paths and runs commands in the session's working directory, whatever
 * the user's code did with os.chdir; the helpers below use the directory recorded at start.
 */
export async function rememberWorkingDirectory(session: BackendSession): Promise<void> {
  await collect(
    session,
    "import sys as _s, os as _o, types as _t\n_m = _t.ModuleType('_agentcore_emulator')\n_m.base = _o.getcwd()\n_s.modules['_agentcore_emulator'] = _m\ndel _s, _o, _t, _m\n",
  );
}

const BASE_SOURCE = `import os, sys
BASE = sys.modules['_agentcore_emulator'].base if '_agentcore_emulator' in sys.modules else os.getcwd()
`;

const COMMAND_SOURCE = `import subprocess
r = subprocess.run(ARGS['command'], shell=True, capture_output=True, text=True, errors='replace', cwd=BASE)
print(MARK + json.dumps({'stdout': r.stdout, 'stderr': r.stderr, 'exitCode': r.returncode}))
`;

const LIST_SOURCE = `import os
d = ARGS['path']
try:
    entries = []
    for e in sorted(os.scandir(os.path.join(BASE, d)), key=lambda e: e.name):
        st = e.stat(follow_symlinks=False)
        entries.append({'name': e.name, 'path': e.name if d == '.' else os.path.join(d, e.name), 'isDir': e.is_dir(follow_symlinks=False), 'size': st.st_size})
    print(MARK + json.dumps({'entries': entries}))
except OSError as error:
    print(MARK + json.dumps({'error': f'{type(error).__name__}: {error.strerror}: {d}'}))
`;

const REMOVE_SOURCE = `import os, shutil
removed, failed = [], []
for p in ARGS['paths']:
    target = os.path.join(BASE, p)
    try:
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)
        else:
            os.remove(target)
        removed.append(p)
    except OSError as error:
        failed.append(f'{p}: {error.strerror}')
print(MARK + json.dumps({'removed': removed, 'failed': failed}))
`;

export async function executeCode(session: BackendSession, code: string): Promise<ResultPayload> {
  const started = performance.now();
  const run = await collect(session, code);
  const stderr = run.crashed ? `${run.stderr}${run.crashed}\n` : run.stderr;
  const exitCode = run.exitCode ?? 1;
  const isError = exitCode !== 0 || run.crashed !== undefined;
  return {
    content: [{ type: 'text', text: isError ? `${run.stdout}${stderr}` : run.stdout }],
    structuredContent: {
      stdout: run.stdout,
      stderr,
      exitCode,
      executionTime: (performance.now() - started) / 1000,
    },
    isError,
  };
}

export async function executeCommand(
  session: BackendSession,
  command: string,
): Promise<ResultPayload> {
  const started = performance.now();
  const run = (await runHelper(session, COMMAND_SOURCE, { command })) as {
    stdout: string;
    stderr: string;
    exitCode: number;
  };
  return {
    content: [{ type: 'text', text: `${run.stdout}${run.stderr}` }],
    structuredContent: {
      stdout: run.stdout,
      stderr: run.stderr,
      exitCode: run.exitCode,
      executionTime: (performance.now() - started) / 1000,
    },
    isError: run.exitCode !== 0,
  };
}

function isText(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const MIME_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  svg: 'image/svg+xml',
  csv: 'text/csv',
  json: 'application/json',
  txt: 'text/plain',
  py: 'text/x-python',
};

function mimeTypeOf(path: string): string | undefined {
  return MIME_TYPES[path.split('.').pop()?.toLowerCase() ?? ''];
}

export async function readFiles(session: BackendSession, paths: string[]): Promise<ResultPayload> {
  const content: Record<string, unknown>[] = [];
  for (const path of paths) {
    let bytes: Uint8Array;
    try {
      bytes = await session.readFile(emulatedPath(path));
    } catch (error) {
      return textResult(`Failed to read ${path}: ${(error as Error).message}`, true);
    }
    const mimeType = mimeTypeOf(path);
    const text = isText(bytes);
    content.push({
      type: 'resource',
      resource: {
        type: text ? 'text' : 'blob',
        uri: `file://${path}`,
        ...(mimeType === undefined ? {} : { mimeType }),
        ...(text
          ? { text: new TextDecoder().decode(bytes) }
          : { blob: Buffer.from(bytes).toString('base64') }),
      },
    });
  }
  return { content, isError: false };
}

export async function writeFiles(
  session: BackendSession,
  files: NonNullable<ToolArgumentsJson['content']>,
): Promise<ResultPayload> {
  try {
    await session.writeFiles(
      files.map((file) => ({
        path: emulatedPath(file.path ?? ''),
        content:
          file.blob !== undefined
            ? new Uint8Array(Buffer.from(file.blob, 'base64'))
            : (file.text ?? ''),
      })),
    );
  } catch (error) {
    return textResult(`Failed to write files: ${(error as Error).message}`, true);
  }
  return textResult(`Successfully wrote ${files.length} file${files.length === 1 ? '' : 's'}`);
}

export async function listFiles(
  session: BackendSession,
  directory: string,
): Promise<ResultPayload> {
  const listing = (await runHelper(session, LIST_SOURCE, {
    path: emulatedPath(directory) || '.',
  })) as {
    entries?: { name: string; path: string; isDir: boolean; size: number }[];
    error?: string;
  };
  if (listing.error !== undefined) return textResult(listing.error, true);
  return {
    content: (listing.entries ?? []).map((entry) => ({
      type: 'resource_link',
      uri: `file://${entry.path}`,
      name: entry.name,
      description: entry.isDir ? 'Directory' : 'File',
      ...(entry.isDir ? {} : { size: entry.size }),
      ...(mimeTypeOf(entry.name) === undefined ? {} : { mimeType: mimeTypeOf(entry.name) }),
    })),
    isError: false,
  };
}

export async function removeFiles(
  session: BackendSession,
  paths: string[],
): Promise<ResultPayload> {
  const outcome = (await runHelper(session, REMOVE_SOURCE, {
    paths: paths.map(emulatedPath),
  })) as { removed: string[]; failed: string[] };
  if (outcome.failed.length > 0) {
    return textResult(`Failed to remove: ${outcome.failed.join('; ')}`, true);
  }
  return textResult(`Successfully removed ${outcome.removed.length} file(s)`);
}

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
    if code is None:
        status = 'working'
    elif t['canceled']:
        status = 'canceled'
    else:
        status = 'completed' if code == 0 else 'failed'
    r = {'status': status, 'stdout': read_output(t, 'stdout'), 'stderr': read_output(t, 'stderr'),
         'elapsed': (t['ended'] or time.monotonic()) - t['started']}
    if code is not None:
        r['exitCode'] = code if code >= 0 else 128 - code
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
        p = subprocess.Popen(ARGS['command'], shell=True, cwd=BASE, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
    TASKS[ARGS['taskId']] = {'p': p, 'dir': d, 'canceled': False, 'started': time.monotonic(), 'ended': None}
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
): Promise<ResultPayload> {
  const started = (await runHelper(session, TASK_START_SOURCE, { taskId, command })) as {
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
