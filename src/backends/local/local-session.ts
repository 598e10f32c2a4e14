import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortError, BackendError, InvalidInputError, SessionError } from '../../errors/index.js';
import { throwIfAborted } from '../../internal/abort.js';
import { closeOnTerminationSignal } from '../../internal/termination-signals.js';
import serverSource from '../python/local-server.py?raw';
import type { BackendRunOptions, BackendRunResult, BackendSession, SandboxFile } from '../types.js';
import { awaitReady } from './await-ready.js';
import { requestWithinDeadline } from './file-deadline.js';
import {
  checkRelativePath,
  MAX_READ_FILE_BYTES,
  removeRequest,
  writeRequests,
} from './file-requests.js';
import { readFontCache } from './font-cache.js';
import type { LocalSessionConfig } from './local-session-config.js';
import { removeFolder, removeFolderAtExit } from './remove-folder.js';
import { runCell } from './run-cell.js';
import { type SandboxCommand, type SessionFolders, sandboxCommand } from './sandbox-command.js';
import { SandboxProcess } from './sandbox-process.js';
import { handFoldersTo } from './sandbox-user.js';
import { SessionEnded } from './session-ended.js';

const BOOTSTRAP = `exec(compile(${JSON.stringify(serverSource)}, '<sandplot-server>', 'exec'), {'__name__': 'sandplot_server'})`;

/** Starts the sandboxed Python server and waits until it has imported matplotlib. */
export async function startLocalSession(
  config: LocalSessionConfig,
  abortSignal?: AbortSignal,
): Promise<BackendSession> {
  throwIfAborted(abortSignal, 'localBackend');
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
      tmpBytes: config.tmpBytes,
      userNamespaceGuard: config.userNamespaceGuard,
    });
    const session = new LocalSession(config, folders, command);
    await session.start(fontCache, abortSignal);
    return session;
  } catch (error) {
    await removeFolder(root).catch(() => undefined);
    throw error;
  }
}

/**
 * One local session: calls run one at a time, in order, on its sandboxed Python server; a file
 * operation or a run on a session that ended or was closed fails with `SESSION_CLOSED`.
 */
class LocalSession implements BackendSession {
  readonly id = `local-${randomBytes(8).toString('hex')}`;
  readonly #config: LocalSessionConfig;
  readonly #folders: SessionFolders;
  readonly #command: SandboxCommand;
  readonly #server: SandboxProcess;
  #state: 'starting' | 'alive' | 'closed' = 'starting';
  #tail: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;
  /** Unregisters the close on SIGTERM/SIGINT, which kills the sandbox and removes its folder. */
  #unregisterSignals: () => void = () => {};

  constructor(config: LocalSessionConfig, folders: SessionFolders, command: SandboxCommand) {
    this.#config = config;
    this.#folders = folders;
    this.#command = command;
    this.#server = new SandboxProcess(config, command);
  }

  get isAlive(): boolean {
    return this.#state === 'alive' && this.#server.endReason === undefined;
  }

  async start(fontCache: Record<string, string>, abortSignal?: AbortSignal): Promise<void> {
    await awaitReady(
      this.#server,
      this.#config,
      { workDir: this.#command.workDir, fontCache },
      abortSignal,
    );
    this.#state = 'alive';
    this.#unregisterSignals = closeOnTerminationSignal(this);
    this.#server.setBusy(false);
  }

  async runCode(code: string, options: BackendRunOptions): Promise<BackendRunResult> {
    if (typeof code !== 'string') throw new InvalidInputError('runCode: code must be a string');
    return this.#enqueue(() => runCell(this.#server, code, options, this.#config.interruptGraceMs));
  }

  async writeFiles(
    files: SandboxFile[],
    options: { abortSignal?: AbortSignal } = {},
  ): Promise<void> {
    const requests = writeRequests(files);
    return this.#fileOperation(options.abortSignal, async () => {
      for (const request of requests) await this.#request(request);
    });
  }

  async readFile(path: string, options: { abortSignal?: AbortSignal } = {}): Promise<Uint8Array> {
    checkRelativePath(path);
    return this.#fileOperation(options.abortSignal, async () => {
      const reply = await this.#request({ op: 'read', path, maxBytes: MAX_READ_FILE_BYTES });
      // A copy: a small Buffer is a view into Node's shared pool.
      return new Uint8Array(Buffer.from(String(reply.content), 'base64'));
    });
  }

  /**
   * Deletes files and folders (recursively) of the work dir. A symlink is removed itself, never
   * what it points to; a missing path is not an error.
   */
  async removeFiles(paths: string[], options: { abortSignal?: AbortSignal } = {}): Promise<void> {
    const request = removeRequest(paths);
    return this.#fileOperation(options.abortSignal, async () => {
      await this.#request(request);
    });
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#server.endReason === undefined) this.#state = 'closed';
      this.#unregisterSignals();
      // Idle sessions hold no ref on the event loop; closing must, or a top-level
      // `await close()` (and `await using`) would let Node exit before cleanup ends.
      const keepAlive = setInterval(() => {}, 60_000);
      try {
        this.#server.kill('The session was closed');
        await this.#server.ended;
        await removeFolder(this.#folders.root);
      } finally {
        clearInterval(keepAlive);
      }
    })();
    return this.#closing;
  }

  #request(message: Record<string, unknown>) {
    return requestWithinDeadline(this.#server, message, this.#config.fileTimeoutMs);
  }

  #fileOperation<T>(abortSignal: AbortSignal | undefined, operation: () => Promise<T>): Promise<T> {
    throwIfAborted(abortSignal, 'localBackend');
    const result = this.#enqueue(async () => {
      throwIfAborted(abortSignal, 'localBackend');
      try {
        return await operation();
      } catch (error) {
        if (error instanceof SessionEnded) {
          // The next call gets a new session, where the same operation can work.
          throw new BackendError(
            `localBackend: the session ended during a file operation: ${error.message}. Retry in a new session (CodeSandbox starts one on its next call).`,
            { cause: error, isRetryable: true },
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

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    this.#assertAlive();
    this.#server.setBusy(true);
    const result = this.#tail.then(() => {
      this.#assertAlive();
      return task();
    });
    this.#tail = result.then(
      () => this.#server.setBusy(false),
      () => this.#server.setBusy(false),
    );
    return result;
  }

  #assertAlive(): void {
    if (this.isAlive) return;
    const why =
      this.#state === 'closed'
        ? 'it was closed'
        : `it ended: ${this.#server.endReason ?? 'unknown'}`;
    throw new SessionError(
      `localBackend: session ${this.id} cannot be used: ${why}. Start a new session.`,
      { code: 'SESSION_CLOSED' },
    );
  }
}
