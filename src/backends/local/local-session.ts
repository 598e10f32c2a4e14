import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { AbortError, BackendError, InvalidInputError, SessionError } from '../../errors/index.js';
import { closeOnTerminationSignal } from '../../internal/termination-signals.js';
import serverSource from '../python/local-server.py?raw';
import type { BackendRunOptions, BackendRunResult, BackendSession, SandboxFile } from '../types.js';
import { ControlChannel, type ServerMessage } from './control-channel.js';
import type { PythonInfo } from './find-python.js';
import { readFontCache, writeFontCache } from './font-cache.js';
import { OutputStream } from './output-stream.js';
import { findDescendant } from './process-tree.js';
import { removeFolder, removeFolderAtExit } from './remove-folder.js';
import { type SandboxCommand, type SessionFolders, sandboxCommand } from './sandbox-command.js';
import { handFoldersTo, type SandboxUser } from './sandbox-user.js';

/** Everything a session needs, validated and resolved by `localBackend()`. */
export interface LocalSessionConfig {
  isolation: 'bwrap' | 'none';
  bwrapPath: string;
  python: PythonInfo;
  memoryLimitBytes: number;
  cpuTimeLimitSeconds: number;
  maxFileBytes: number;
  /** RLIMIT_NPROC of the sandboxed code; set under bubblewrap only. */
  maxProcesses: number;
  /** The host user bubblewrap runs as (`nobody` when Node is root); undefined: Node's own. */
  sandboxUser?: SandboxUser;
  interruptGraceMs: number;
  startTimeoutMs: number;
  cacheDir: string;
}

/** Largest file `readFile` returns: it travels base64-encoded in one control message. */
const MAX_READ_FILE_BYTES = 256 * 1024 * 1024;
const MAX_CONTROL_LINE_BYTES = Math.ceil((MAX_READ_FILE_BYTES * 4) / 3) + 1024 * 1024;
/** After the reply, the end tokens are at most a pipe buffer behind; this only guards a hang. */
const TOKEN_WAIT_MS = 2000;
/** After the process exited, how long its pipes may stay open (a leftover child holds them). */
const PIPE_CLOSE_WAIT_MS = 1000;
const MAX_TIMER_MS = 2_147_483_647;
const STARTUP_OUTPUT_CHARS = 4000;

const BOOTSTRAP = `exec(compile(${JSON.stringify(serverSource)}, '<sandplot-server>', 'exec'), {'__name__': 'sandplot_server'})`;

type Pending = { resolve: (message: ServerMessage) => void; reject: (error: Error) => void };

/** The process ended; carries the reason the run reports as `crashed`. */
class SessionEnded extends Error {}

/** Starts the sandboxed Python server and waits until it has imported matplotlib. */
export async function startLocalSession(
  config: LocalSessionConfig,
  abortSignal?: AbortSignal,
): Promise<BackendSession> {
  throwIfAborted(abortSignal);
  const root = await mkdtemp(join(tmpdir(), 'sandplot-local-'));
  removeFolderAtExit(root);
  const folders: SessionFolders = { root, work: join(root, 'work') };
  try {
    await mkdir(folders.work, { mode: 0o700 });
    if (config.isolation === 'none') await mkdir(join(root, 'tmp'), { mode: 0o700 });
    if (config.isolation === 'bwrap' && config.sandboxUser !== undefined) {
      await handFoldersTo(config.sandboxUser, folders);
    }
    const fontCache = await readFontCache(config.cacheDir, config.python.realPath);
    const command = sandboxCommand({
      isolation: config.isolation,
      bwrapPath: config.bwrapPath,
      python: config.python,
      folders,
      pythonArgs: ['-c', BOOTSTRAP],
    });
    const session = new LocalSession(config, folders, command);
    await session.start(fontCache, abortSignal);
    return session;
  } catch (error) {
    await removeFolder(root).catch(() => undefined);
    throw error;
  }
}

class LocalSession implements BackendSession {
  readonly id = `local-${randomBytes(8).toString('hex')}`;
  private state: 'starting' | 'alive' | 'ended' | 'closed' = 'starting';
  private endReason: string | undefined;
  private endExitCode: number | null = null;
  /** Set when we killed the process on purpose, so its exit is described by why we did. */
  private killReason: string | undefined;
  private readonly child: ChildProcess;
  private readonly channel: ControlChannel;
  private readonly stdout: OutputStream;
  private readonly stderr: OutputStream;
  private pythonPid: number | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextRequestId = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private busyCount = 0;
  private tokenListener: (() => void) | undefined;
  private readonly ended: Promise<void>;
  private markEnded!: () => void;
  private closing: Promise<void> | undefined;
  /** Unregisters the close on SIGTERM/SIGINT, which kills the sandbox and removes its folder. */
  private unregisterSignals: () => void = () => {};

  constructor(
    private readonly config: LocalSessionConfig,
    private readonly folders: SessionFolders,
    private readonly command: SandboxCommand,
  ) {
    this.ended = new Promise((resolve) => {
      this.markEnded = resolve;
    });
    this.child = spawn(command.command, command.args, {
      cwd: command.cwd,
      env: command.env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C in the terminal is not an interrupt of the cell, and
      // close() can kill whatever the code started along with it.
      detached: true,
      ...(config.isolation === 'bwrap' && config.sandboxUser !== undefined
        ? { uid: config.sandboxUser.uid, gid: config.sandboxUser.gid }
        : {}),
    });
    const [, stdout, stderr, requests, replies] = this.child.stdio as unknown as [
      null,
      Readable,
      Readable,
      Writable,
      Readable,
    ];
    const onToken = () => this.tokenListener?.();
    this.stdout = new OutputStream('stdout', onToken);
    this.stderr = new OutputStream('stderr', onToken);
    stdout.on('data', (chunk: Buffer) => this.stdout.push(chunk));
    stderr.on('data', (chunk: Buffer) => this.stderr.push(chunk));
    // A pipe to a process that died fails (EPIPE, ECONNRESET); the exit handler reports it.
    for (const stream of [stdout, stderr, requests, replies]) stream.on('error', () => undefined);
    this.channel = new ControlChannel(
      requests,
      replies,
      {
        onMessage: (message) => this.onMessage(message),
        onViolation: (reason) =>
          this.kill(`The Python server broke the control protocol (${reason}) and was killed`),
      },
      MAX_CONTROL_LINE_BYTES,
    );
    this.child.on('error', (error) => this.onExit(null, null, error));
    this.child.on('exit', (code, signal) => this.onExit(code, signal));
  }

  get isAlive(): boolean {
    return this.state === 'alive';
  }

  async start(fontCache: Record<string, string>, abortSignal?: AbortSignal): Promise<void> {
    let output = '';
    const collect = (text: string) => {
      output = (output + text).slice(-STARTUP_OUTPUT_CHARS);
    };
    const startToken = randomBytes(16).toString('hex');
    this.stdout.begin(startToken, collect);
    this.stderr.begin(startToken, collect);

    const ready = new Promise<ServerMessage>((resolve, reject) => {
      this.pending.set(0, { resolve, reject });
    });
    this.channel.send({
      op: 'init',
      workDir: this.command.workDir,
      limits: {
        memoryBytes: this.config.memoryLimitBytes,
        cpuSeconds: this.config.cpuTimeLimitSeconds,
        fileBytes: this.config.maxFileBytes,
        // Outside bubblewrap RLIMIT_NPROC would count every process of the host user.
        ...(this.config.isolation === 'bwrap' ? { processes: this.config.maxProcesses } : {}),
      },
      fontCache,
    });

    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      const message = await Promise.race([
        ready,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new SessionEnded(
                  `it did not get ready within ${this.config.startTimeoutMs} ms (startTimeoutMs)`,
                ),
              ),
            this.config.startTimeoutMs,
          );
          onAbort = () =>
            reject(
              new AbortError('localBackend: createSession was aborted', {
                cause: abortSignal?.reason,
              }),
            );
          // The signal may have fired while the folders were made and the process spawned.
          if (abortSignal?.aborted) onAbort();
          else abortSignal?.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
      if (typeof message.error === 'string') throw new SessionEnded(message.error);
      this.pythonPid =
        this.config.isolation === 'none'
          ? this.child.pid
          : await findDescendant(this.child.pid ?? -1, this.config.python.realPath);
      if (message.fontCache !== undefined && typeof message.fontCache === 'object') {
        await writeFontCache(
          this.config.cacheDir,
          this.config.python.realPath,
          message.fontCache as Record<string, string>,
        );
      }
      this.stdout.end();
      this.stderr.end();
      if (this.state !== 'starting') throw new SessionEnded(this.endReason ?? 'it ended');
      this.state = 'alive';
      this.unregisterSignals = closeOnTerminationSignal(this);
      this.setBusy(false);
    } catch (error) {
      this.kill('The session failed to start');
      await this.ended;
      this.stdout.end();
      this.stderr.end();
      if (error instanceof AbortError) throw error;
      const reason = error instanceof SessionEnded ? error.message : String(error);
      const excerpt = output.trim();
      // Under a tight RLIMIT_AS, imports fail with MemoryError or, for OpenBLAS, with threads
      // that cannot get a stack.
      const hint = /MemoryError|Cannot allocate memory|pthread_create failed/.test(
        `${reason}\n${excerpt}`,
      )
        ? ` It probably ran out of memory: memoryLimitBytes is ${this.config.memoryLimitBytes}; raise it.`
        : '';
      throw new SessionError(
        `localBackend: the Python session did not start: ${reason}.${hint}` +
          (excerpt ? ` Its output ended with:\n${excerpt}` : ''),
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
      if (onAbort) abortSignal?.removeEventListener('abort', onAbort);
    }
  }

  async runCode(code: string, options: BackendRunOptions): Promise<BackendRunResult> {
    if (typeof code !== 'string') throw new InvalidInputError('runCode: code must be a string');
    return this.enqueue(() => this.run(code, options));
  }

  async writeFiles(
    files: SandboxFile[],
    options: { abortSignal?: AbortSignal } = {},
  ): Promise<void> {
    const requests = files.map((file) => {
      checkRelativePath(file.path);
      if (typeof file.content !== 'string' && !(file.content instanceof Uint8Array)) {
        throw new InvalidInputError(
          `writeFiles: the content of "${file.path}" must be a string or Uint8Array`,
        );
      }
      const bytes =
        typeof file.content === 'string'
          ? Buffer.from(file.content, 'utf8')
          : Buffer.from(file.content.buffer, file.content.byteOffset, file.content.byteLength);
      return { op: 'write', path: file.path, content: bytes.toString('base64') };
    });
    return this.fileOperation(options.abortSignal, async () => {
      for (const request of requests) await this.request(request);
    });
  }

  async readFile(path: string, options: { abortSignal?: AbortSignal } = {}): Promise<Uint8Array> {
    checkRelativePath(path);
    return this.fileOperation(options.abortSignal, async () => {
      const reply = await this.request({ op: 'read', path, maxBytes: MAX_READ_FILE_BYTES });
      // A copy: a small Buffer is a view into Node's shared pool.
      return new Uint8Array(Buffer.from(String(reply.content), 'base64'));
    });
  }

  /**
   * Deletes files and folders (recursively) of the work dir. A symlink is removed itself, never
   * what it points to; a missing path is not an error.
   */
  async removeFiles(paths: string[], options: { abortSignal?: AbortSignal } = {}): Promise<void> {
    if (!Array.isArray(paths)) {
      throw new InvalidInputError('localBackend: removeFiles expects an array of paths');
    }
    for (const path of paths) checkRelativePath(path);
    return this.fileOperation(options.abortSignal, async () => {
      await this.request({ op: 'remove', paths });
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.state === 'starting' || this.state === 'alive') this.state = 'closed';
      this.unregisterSignals();
      // Idle sessions hold no ref on the event loop; closing must, or a top-level
      // `await close()` (and `await using`) would let Node exit before cleanup ends.
      const keepAlive = setInterval(() => {}, 60_000);
      try {
        this.kill('The session was closed');
        await this.ended;
        await removeFolder(this.folders.root);
      } finally {
        clearInterval(keepAlive);
      }
    })();
    return this.closing;
  }

  private fileOperation<T>(
    abortSignal: AbortSignal | undefined,
    operation: () => Promise<T>,
  ): Promise<T> {
    throwIfAborted(abortSignal);
    const result = this.enqueue(async () => {
      throwIfAborted(abortSignal);
      try {
        return await operation();
      } catch (error) {
        if (error instanceof SessionEnded) {
          throw new BackendError(
            `localBackend: the session ended during a file operation: ${error.message}`,
            {
              cause: error,
            },
          );
        }
        throw error;
      }
    });
    if (abortSignal === undefined) return result;
    // The server finishes the operation regardless; the caller stops waiting for it.
    return new Promise<T>((resolve, reject) => {
      const onAbort = () =>
        reject(
          new AbortError('localBackend: the file operation was aborted', {
            cause: abortSignal.reason,
          }),
        );
      abortSignal.addEventListener('abort', onAbort, { once: true });
      result.then(resolve, reject).finally(() => abortSignal.removeEventListener('abort', onAbort));
    });
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    this.assertAlive();
    this.setBusy(true);
    const result = this.tail.then(() => {
      this.assertAlive();
      return task();
    });
    this.tail = result.then(
      () => this.setBusy(false),
      () => this.setBusy(false),
    );
    return result;
  }

  private assertAlive(): void {
    if (this.state === 'alive') return;
    const why =
      this.state === 'closed' ? 'it was closed' : `it ended: ${this.endReason ?? 'unknown'}`;
    throw new SessionError(
      `localBackend: session ${this.id} cannot be used: ${why}. Start a new session.`,
      {
        code: 'SESSION_CLOSED',
      },
    );
  }

  /** Sends a request and resolves with the server's successful reply. */
  private request(message: Record<string, unknown>): Promise<ServerMessage> {
    const id = ++this.nextRequestId;
    return new Promise<ServerMessage>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.channel.send({ ...message, id });
    }).then((reply) => {
      if (reply.ok === true) return reply;
      const text = `localBackend: ${String(reply.message)}`;
      if (reply.code === 'FILE_NOT_FOUND') throw new BackendError(text, { code: 'FILE_NOT_FOUND' });
      if (reply.code === 'INVALID_INPUT') throw new InvalidInputError(text);
      throw new BackendError(text);
    });
  }

  private run(code: string, options: BackendRunOptions): Promise<BackendRunResult> {
    if (options.abortSignal?.aborted)
      return Promise.resolve({ exitCode: null, interrupted: 'abort' });
    return new Promise<BackendRunResult>((resolve, reject) => {
      const token = `\0sandplot-end-${randomBytes(16).toString('hex')}\0`;
      const timers: NodeJS.Timeout[] = [];
      let reply: ServerMessage | undefined;
      let interrupted: 'timeout' | 'abort' | undefined;
      let callbackError: { error: unknown } | undefined;
      let settled = false;

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
        this.tokenListener = undefined;
        this.stdout.end();
        this.stderr.end();
        if (callbackError) reject(callbackError.error);
        else resolve(result);
      };
      const completeIfDone = () => {
        if (reply === undefined || !this.stdout.tokenSeen || !this.stderr.tokenSeen) return;
        complete();
      };
      const complete = () => {
        if (interrupted) settle({ exitCode: null, interrupted });
        else settle({ exitCode: typeof reply?.exitCode === 'number' ? reply.exitCode : 1 });
      };
      const interrupt = (kind: 'timeout' | 'abort') => {
        if (interrupted || reply !== undefined || settled) return;
        interrupted = kind;
        const grace = this.config.interruptGraceMs;
        this.signalPython('SIGINT');
        timers.push(setTimeout(() => this.signalPython('SIGINT'), grace / 2));
        timers.push(
          setTimeout(
            () =>
              this.kill(
                `The Python process did not stop within ${grace} ms (interruptGraceMs) of the interrupt and was killed`,
              ),
            grace,
          ),
        );
      };
      const onAbort = () => interrupt('abort');

      this.stdout.begin(token, guarded(options.onStdout));
      this.stderr.begin(token, guarded(options.onStderr));
      this.tokenListener = completeIfDone;
      if (Number.isFinite(options.timeoutMs)) {
        timers.push(
          setTimeout(
            () => interrupt('timeout'),
            Math.min(Math.max(options.timeoutMs, 0), MAX_TIMER_MS),
          ),
        );
      }
      options.abortSignal?.addEventListener('abort', onAbort, { once: true });

      this.request({ op: 'run', code, token }).then(
        (message) => {
          reply = message;
          // The process answered: no more interrupts or kills for this run.
          for (const timer of timers) clearTimeout(timer);
          timers.push(setTimeout(complete, TOKEN_WAIT_MS));
          completeIfDone();
        },
        (error: unknown) => {
          const reason = error instanceof Error ? error.message : String(error);
          settle({
            exitCode: this.endExitCode,
            crashed: { reason },
            ...(interrupted ? { interrupted } : {}),
          });
        },
      );
    });
  }

  private onMessage(message: ServerMessage): void {
    const id = message.op === 'ready' ? 0 : message.id;
    const pending = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (pending === undefined) {
      this.kill(
        'The Python server broke the control protocol (a reply to no request) and was killed',
      );
      return;
    }
    this.pending.delete(id as number);
    pending.resolve(message);
  }

  private signalPython(signal: NodeJS.Signals): void {
    // Only while the process lives: after it exits its pid may belong to someone else.
    if (this.pythonPid === undefined || this.endReason !== undefined) return;
    try {
      process.kill(this.pythonPid, signal);
    } catch {
      // It just exited; the exit handler reports that.
    }
  }

  /** Kills the whole sandbox; `reason` becomes the crash reason of a run in progress. */
  private kill(reason: string): void {
    if (this.endReason !== undefined) return;
    this.killReason ??= reason;
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
    this.signalPython('SIGKILL');
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, error?: Error): void {
    if (this.endReason !== undefined) return;
    const exit = describeExit(code, signal, this.config);
    this.endExitCode = exit.exitCode;
    this.endReason = error
      ? `The Python process could not be started: ${error.message}`
      : (this.killReason ?? exit.reason);
    if (this.state === 'alive' || this.state === 'starting') this.state = 'ended';
    // Whatever the code left running in the process group goes with it.
    if (this.child.pid !== undefined) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    // Deliver every byte that arrived before reporting the end.
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      const ended = new SessionEnded(this.endReason);
      for (const pending of this.pending.values()) pending.reject(ended);
      this.pending.clear();
      this.setBusy(false);
      this.markEnded();
    };
    if (error) finish();
    this.child.once('close', finish);
    setTimeout(finish, PIPE_CLOSE_WAIT_MS).unref();
  }

  /** An idle session does not keep Node running; the server exits when its channel closes. */
  private setBusy(busy: boolean): void {
    this.busyCount = Math.max(0, this.busyCount + (busy ? 1 : -1));
    const active = this.busyCount > 0 && this.endReason === undefined;
    const handles = [this.child, ...this.child.stdio] as ({
      ref?: () => void;
      unref?: () => void;
    } | null)[];
    for (const handle of handles) {
      if (active) handle?.ref?.();
      else handle?.unref?.();
    }
  }
}

function describeExit(
  code: number | null,
  signal: NodeJS.Signals | null,
  config: LocalSessionConfig,
): { reason: string; exitCode: number | null } {
  let signalName: string | null = signal;
  // bubblewrap reports a child killed by a signal as exit code 128 + the signal number.
  if (signalName === null && config.isolation === 'bwrap' && code !== null && code > 128) {
    signalName =
      Object.entries(constants.signals).find(([, number]) => number === code - 128)?.[0] ?? null;
  }
  if (signalName === null) {
    return { reason: `The Python process exited with code ${code}`, exitCode: code };
  }
  let hint = '';
  if (signalName === 'SIGXCPU') {
    hint = ` after using up its CPU time (cpuTimeLimitSeconds: ${config.cpuTimeLimitSeconds}, counted per session)`;
  } else if (signalName === 'SIGKILL') {
    hint = ' (out of memory, out of CPU time, or killed from outside)';
  }
  return { reason: `The Python process was killed by ${signalName}${hint}`, exitCode: null };
}

function checkRelativePath(path: unknown): void {
  if (typeof path !== 'string' || path === '' || path.includes('\0')) {
    throw new InvalidInputError('localBackend: a file path must be a non-empty string');
  }
  if (path.startsWith('/')) {
    throw new InvalidInputError(
      `localBackend: the path "${path}" is absolute; use a path relative to the sandbox's work dir`,
    );
  }
  if (path.split('/').includes('..')) {
    throw new InvalidInputError(
      `localBackend: the path "${path}" contains "..", which could leave the work dir`,
    );
  }
}

function throwIfAborted(abortSignal: AbortSignal | undefined): void {
  if (abortSignal?.aborted) {
    throw new AbortError('localBackend: the operation was aborted', { cause: abortSignal.reason });
  }
}
