// A sandbox backend of your own, verified with checkBackend, then used by a CodeSandbox.
// The backend here runs each session as a plain `python3` subprocess: NOT ISOLATED, a template
// for a backend over something that is (a container, a VM, another cloud's code interpreter).
// Offline by design: everything runs on this machine. Run: npx tsx examples/custom-backend.ts
// The contract it keeps is in docs/backends.md.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import {
  AbortError,
  BackendError,
  type BackendRunOptions,
  type BackendRunResult,
  type BackendSession,
  CodeSandbox,
  localDirSink,
  type SandboxBackend,
  type SandboxFile,
  SessionError,
} from 'sandplot';
import { checkBackend } from 'sandplot/testing';
import { printReport } from './shared/print-report.js';

// The session's server: requests arrive as JSON lines on stdin, answers leave as JSON lines on
// fd 3. The code's print() output travels on fd 3 too, as it is written (so a long cell streams),
// and the code runs in its own namespace, which persists between requests.
const SERVER = `
import io, json, os, sys, traceback

_requests = os.fdopen(os.dup(0), 'rb')
os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
os.set_inheritable(3, False)

def _reply(message):
    data = memoryview((json.dumps(message) + '\\n').encode('utf-8'))
    while data:
        data = data[os.write(3, data):]

class _Stream(io.TextIOBase):
    def __init__(self, name):
        self._name = name
    @property
    def encoding(self):
        return 'utf-8'
    def writable(self):
        return True
    def write(self, text):
        if not isinstance(text, str):
            raise TypeError('write() argument must be str, not %s' % type(text).__name__)
        if text:
            _reply({'stream': self._name, 'text': text})
        return len(text)

sys.stdout, sys.stderr = _Stream('stdout'), _Stream('stderr')
_namespace = {'__name__': '__main__', '__builtins__': __builtins__}
_reply({'ready': True})
for _line in _requests:
    _request = json.loads(_line)
    _status = 0
    if _request['op'] == 'reset':
        _namespace.clear()
        _namespace.update({'__name__': '__main__', '__builtins__': __builtins__})
    else:
        try:
            exec(compile(_request['code'], '<string>', 'exec'), _namespace)
        except SystemExit as stop:
            _status = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        except BaseException:
            traceback.print_exc()
            _status = 1
    _reply({'done': True, 'exitCode': _status})
`;

/** How long a session waits for its Python to start. */
const START_TIMEOUT_MS = 10_000;

interface PlainSubprocessBackendOptions {
  /** The Python to run. @default '/usr/bin/python3' */
  pythonPath?: string;
}

/** A backend that says in its type that it isolates nothing. */
interface PlainSubprocessBackend extends SandboxBackend<PlainSubprocessSession> {
  readonly isolated: false;
}

/**
 * Each session is a plain `python3` process with a temporary working folder.
 *
 * **Warning: not isolated.** The code runs with your user's rights: it can read and change your
 * files, reach your network and start processes, and it can forge this backend's answers. Only
 * for code you wrote yourself. For code a model wrote, use `localBackend()` (bubblewrap) or
 * `agentCoreBackend()`, or put this protocol inside a sandbox of your own.
 *
 * A timeout or an abort kills the process (the result says `interrupted` and `crashed`), so the
 * variables are lost and the CodeSandbox starts a new session for the next call.
 */
function plainSubprocessBackend(
  options: PlainSubprocessBackendOptions = {},
): PlainSubprocessBackend {
  const pythonPath = options.pythonPath ?? '/usr/bin/python3';
  return {
    name: 'plain-subprocess',
    isolated: false,
    async createSession({ abortSignal } = {}) {
      if (abortSignal?.aborted) {
        throw new AbortError('plainSubprocessBackend.createSession was aborted.', {
          cause: abortSignal.reason,
        });
      }
      const root = await mkdtemp(join(tmpdir(), 'plain-subprocess-'));
      await Promise.all([mkdir(join(root, 'work')), mkdir(join(root, 'home'))]);
      const session = new PlainSubprocessSession(pythonPath, root);
      try {
        await session.started;
      } catch (error) {
        await session.close();
        throw error;
      }
      return session;
    },
  };
}

/** The run waiting for its `done` answer. */
interface PendingRequest {
  options: Pick<BackendRunOptions, 'onStdout' | 'onStderr'>;
  /** Called with the exit code, or with why the process ended before answering. */
  finish(exitCode: number | null, lost?: string): void;
}

class PlainSubprocessSession implements BackendSession {
  readonly id = randomUUID();
  /** Resolves when the Python answered that it is ready; rejects when it could not start. */
  readonly started: Promise<void>;
  readonly #root: string;
  readonly #work: string;
  readonly #child: ChildProcess;
  #alive = true;
  #pending: PendingRequest | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed: Promise<void> | undefined;

  /** `root` holds `work/`, the code's working directory, and `home/`, its HOME. */
  constructor(pythonPath: string, root: string) {
    this.#root = root;
    this.#work = join(root, 'work');
    const home = join(root, 'home');
    let ready: () => void = () => {};
    let failed: (error: Error) => void = () => {};
    this.started = new Promise((resolveStart, rejectStart) => {
      ready = resolveStart;
      failed = rejectStart;
    });
    const timer = setTimeout(
      () => failed(new SessionError(`${pythonPath} did not start within ${START_TIMEOUT_MS} ms.`)),
      START_TIMEOUT_MS,
    );
    this.#child = spawn(pythonPath, ['-I', '-c', SERVER], {
      cwd: this.#work,
      // Not the host's environment: AWS credentials and tokens stay out of the code's reach.
      env: { PATH: '/usr/bin:/bin', HOME: home, MPLCONFIGDIR: home, MPLBACKEND: 'agg' },
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    const replies = createInterface({
      input: this.#child.stdio[3] as Readable,
      crlfDelay: Infinity,
    });
    replies.on('line', (line) => {
      const answer = JSON.parse(line) as {
        ready?: true;
        done?: true;
        exitCode?: number;
        stream?: 'stdout' | 'stderr';
        text?: string;
      };
      if (answer.ready) {
        clearTimeout(timer);
        ready();
      } else if (answer.stream === 'stdout') this.#pending?.options.onStdout(answer.text ?? '');
      else if (answer.stream === 'stderr') this.#pending?.options.onStderr(answer.text ?? '');
      else if (answer.done) this.#pending?.finish(answer.exitCode ?? null);
    });
    const repliesEnded = new Promise((resolveEnd) => replies.once('close', resolveEnd));
    // Output of processes the code starts (os.system...), delivered while a run is waiting.
    this.#child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      this.#pending?.options.onStdout(text);
    });
    this.#child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.#pending?.options.onStderr(text);
    });
    this.#child.stdin?.on('error', () => {}); // a dead process: 'exit' reports it
    const ended = (why: string) => {
      this.#alive = false;
      clearTimeout(timer);
      failed(new SessionError(`${pythonPath} could not be started: ${why}.`));
      this.#pending?.finish(null, why);
    };
    this.#child.once('error', (error) => ended(error.message));
    // Only once every answer the process wrote has been read: the cell's last output counts.
    this.#child.once('exit', (code, signal) => {
      this.#alive = false;
      void repliesEnded.then(() =>
        ended(`the Python process exited (${signal ?? `code ${code}`})`),
      );
    });
  }

  get isAlive(): boolean {
    return this.#alive;
  }

  runCode(code: string, options: BackendRunOptions): Promise<BackendRunResult> {
    return this.#enqueue(async () => {
      if (options.abortSignal?.aborted) return { exitCode: null, interrupted: 'abort' };
      let interrupted: 'timeout' | 'abort' | undefined;
      const stop = (why: 'timeout' | 'abort') => {
        interrupted ??= why;
        // No interrupt that keeps the variables here: the process is killed.
        this.#child.kill('SIGKILL');
      };
      const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
      const onAbort = () => stop('abort');
      options.abortSignal?.addEventListener('abort', onAbort, { once: true });
      try {
        const answer = await this.#request({ op: 'run', code }, options);
        if (interrupted) {
          const after = interrupted === 'timeout' ? `${options.timeoutMs} ms` : 'an abort';
          return {
            exitCode: null,
            interrupted,
            crashed: { reason: `the Python process was killed after ${after}` },
          };
        }
        if (answer.lost !== undefined) return { exitCode: null, crashed: { reason: answer.lost } };
        return { exitCode: answer.exitCode };
      } finally {
        clearTimeout(timer);
        options.abortSignal?.removeEventListener('abort', onAbort);
      }
    });
  }

  async clearContext(): Promise<void> {
    const answer = await this.#enqueue(() => this.#request({ op: 'reset' }));
    if (answer.lost !== undefined) {
      throw new BackendError(`plainSubprocessBackend could not clear the session: ${answer.lost}`);
    }
  }

  async writeFiles(files: SandboxFile[], options: { abortSignal?: AbortSignal } = {}) {
    for (const file of files) {
      throwIfAborted(options.abortSignal, 'writeFiles');
      const path = this.#path(file.path);
      try {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, file.content);
      } catch (error) {
        throw new BackendError(`plainSubprocessBackend could not write ${file.path}.`, {
          cause: error,
        });
      }
    }
  }

  async readFile(path: string, options: { abortSignal?: AbortSignal } = {}): Promise<Uint8Array> {
    throwIfAborted(options.abortSignal, 'readFile');
    try {
      return new Uint8Array(await readFile(this.#path(path)));
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new BackendError(`plainSubprocessBackend could not read ${path}.`, {
        code: missing ? 'FILE_NOT_FOUND' : 'BACKEND_FAILED',
        cause: error,
      });
    }
  }

  async removeFiles(paths: string[], options: { abortSignal?: AbortSignal } = {}) {
    throwIfAborted(options.abortSignal, 'removeFiles');
    for (const path of paths) await rm(this.#path(path), { recursive: true, force: true });
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#alive = false;
      const child = this.#child;
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
        child.kill('SIGKILL');
        await exited;
      }
      await rm(this.#root, { recursive: true, force: true });
    })();
    return this.#closed;
  }

  /** Runs `task` after the calls before it: one request at a time per process. */
  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(task);
    this.#queue = result.catch(() => {});
    return result;
  }

  /** Sends one request and waits for its `done` answer, or for the process to end. */
  #request(
    request: { op: 'run'; code: string } | { op: 'reset' },
    output: PendingRequest['options'] = { onStdout: () => {}, onStderr: () => {} },
  ): Promise<{ exitCode: number | null; lost?: string }> {
    if (!this.#alive) {
      return Promise.resolve({
        exitCode: null,
        lost: 'the session is closed or its process ended',
      });
    }
    return new Promise((resolveAnswer) => {
      this.#pending = {
        options: output,
        finish: (exitCode, lost) => {
          this.#pending = undefined;
          resolveAnswer(lost === undefined ? { exitCode } : { exitCode, lost });
        },
      };
      this.#child.stdin?.write(`${JSON.stringify(request)}\n`);
    });
  }

  /** A path inside the work folder; anything that leaves it is refused. */
  #path(path: string): string {
    const full = resolve(this.#work, path);
    const inside = relative(this.#work, full);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
      throw new BackendError(
        `plainSubprocessBackend: the path ${JSON.stringify(path)} is outside the session's folder.`,
      );
    }
    return full;
  }
}

function throwIfAborted(abortSignal: AbortSignal | undefined, action: string): void {
  if (abortSignal?.aborted) {
    throw new AbortError(`plainSubprocessBackend.${action} was aborted by its abortSignal.`, {
      cause: abortSignal.reason,
    });
  }
}

// 1. The contract: every check must pass before a CodeSandbox can rely on the backend.
const backend = plainSubprocessBackend();
const report = await checkBackend(backend);
printReport(`checkBackend(${backend.name})`, report);
if (!report.ok) process.exit(1);

// 2. The backend behind a CodeSandbox: state persists, figures are captured, a timeout is data.
await using sandbox = new CodeSandbox({ backend, imageSink: localDirSink({ dir: 'figures' }) });
const first = await sandbox.executePython(`
import matplotlib.pyplot as plt
sales = [100, 120, 95, 140, 160, 180, 200]
print(f"Overall growth: {(sales[-1] / sales[0] - 1) * 100:.1f}%")
`);
process.stdout.write(first.stdout);
const second = await sandbox.executePython(`
plt.plot(sales, marker="o")
plt.title("Sales, from a plain subprocess")
plt.show()
`);
for (const figure of second.figures) {
  console.log(`figure ${figure.index + 1}: ${figure.path} (${figure.width}×${figure.height} px)`);
}
for (const problem of second.problems) console.error(`not delivered: ${problem.reason}`);
const slow = await sandbox.executePython('import time\ntime.sleep(30)', { timeoutMs: 1_000 });
console.log(`a 30 s cell with timeoutMs 1000: ${slow.error?.name}`);
const after = await sandbox.executePython("print('sales' in globals())");
console.log(
  `next call: sessionRestarted ${after.sessionRestarted}, variables kept: ${after.stdout.trim()}`,
);
