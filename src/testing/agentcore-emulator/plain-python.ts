import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type {
  BackendRunOptions,
  BackendRunResult,
  BackendSession,
  SandboxBackend,
  SandboxFile,
} from '../../backends/types.js';
import { BackendError } from '../../errors/index.js';

/** Runs each request line's code in one shared namespace and answers with one JSON line. */
const SERVER = `
import io, json, sys, traceback
answer = sys.stdout
namespace = {'__name__': '__main__', '__builtins__': __builtins__}
for line in sys.stdin:
    code = json.loads(line)
    out, err = io.StringIO(), io.StringIO()
    sys.stdout, sys.stderr = out, err
    status = 0
    try:
        exec(compile(code, '<cell>', 'exec'), namespace)
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        traceback.print_exc()
        status = 1
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    answer.write(json.dumps({'stdout': out.getvalue(), 'stderr': err.getvalue(), 'exitCode': status}) + '\\n')
    answer.flush()
`;

/**
 * A plain `python3` process per session, **not isolated** and with nothing preloaded: it starts in
 * tens of milliseconds instead of the sandboxed backend's few hundred, for load tests that start
 * hundreds of emulated sessions. Only for code you wrote yourself.
 */
export function plainPythonBackend(pythonPath = '/usr/bin/python3'): SandboxBackend {
  return {
    name: 'plain-python',
    async createSession() {
      const folder = await mkdtemp(join(tmpdir(), 'sandplot-plain-'));
      return new PlainPythonSession(pythonPath, folder);
    },
  };
}

class PlainPythonSession implements BackendSession {
  readonly id = randomUUID();
  readonly #folder: string;
  readonly #child: ChildProcess;
  readonly #answers: ((line: string) => void)[] = [];
  #alive = true;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(pythonPath: string, folder: string) {
    this.#folder = folder;
    this.#child = spawn(pythonPath, ['-u', '-I', '-c', SERVER], {
      cwd: folder,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    createInterface({ input: this.#child.stdout as NodeJS.ReadableStream }).on('line', (line) =>
      this.#answers.shift()?.(line),
    );
    const ended = () => {
      this.#alive = false;
      for (const answer of this.#answers.splice(0)) answer('');
    };
    this.#child.once('exit', ended);
    // A Python that cannot be started answers every waiting call as a lost session.
    this.#child.once('error', ended);
  }

  get isAlive(): boolean {
    return this.#alive;
  }

  runCode(code: string, options: BackendRunOptions): Promise<BackendRunResult> {
    const run = this.#queue.then(async (): Promise<BackendRunResult> => {
      if (options.abortSignal?.aborted) return { exitCode: null, interrupted: 'abort' };
      if (!this.#alive) return { exitCode: null, crashed: { reason: 'the Python process exited' } };
      // No interrupt here: a call that runs too long (or is aborted) ends the process.
      let stopped: 'timeout' | 'abort' | undefined;
      const stop = (why: 'timeout' | 'abort') => {
        stopped ??= why;
        this.#child.kill('SIGKILL');
      };
      const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
      const onAbort = () => stop('abort');
      options.abortSignal?.addEventListener('abort', onAbort, { once: true });
      let line: string;
      try {
        line = await new Promise<string>((resolve) => {
          this.#answers.push(resolve);
          this.#child.stdin?.write(`${JSON.stringify(code)}\n`);
        });
      } finally {
        clearTimeout(timer);
        options.abortSignal?.removeEventListener('abort', onAbort);
      }
      if (stopped) {
        return {
          exitCode: null,
          interrupted: stopped,
          crashed: {
            reason: `the Python process was ended after ${stopped === 'timeout' ? `${options.timeoutMs} ms` : 'an abort'}`,
          },
        };
      }
      if (line === '') return { exitCode: null, crashed: { reason: 'the Python process exited' } };
      const answer = JSON.parse(line) as { stdout: string; stderr: string; exitCode: number };
      if (answer.stdout) options.onStdout(answer.stdout);
      if (answer.stderr) options.onStderr(answer.stderr);
      return { exitCode: answer.exitCode };
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async writeFiles(files: SandboxFile[]): Promise<void> {
    for (const file of files) {
      const path = this.#path(file.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.content);
    }
  }

  async readFile(path: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.#path(path)));
    } catch (error) {
      throw new BackendError(`plainPythonBackend: cannot read ${path}`, {
        code: 'FILE_NOT_FOUND',
        cause: error,
      });
    }
  }

  async removeFiles(paths: string[]): Promise<void> {
    for (const path of paths) await rm(this.#path(path), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    this.#alive = false;
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const exited = new Promise((resolve) => this.#child.once('exit', resolve));
      this.#child.kill('SIGKILL');
      await exited;
    }
    await rm(this.#folder, { recursive: true, force: true });
  }

  #path(path: string): string {
    const relative = path.replace(/^\/+/, '');
    if (relative.split('/').includes('..')) {
      throw new BackendError(`plainPythonBackend: the path ${path} leaves the working directory`);
    }
    return join(this.#folder, relative);
  }
}
