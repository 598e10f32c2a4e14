import { emitWarning } from 'node:process';
import { z } from 'zod';
import { parseOptions } from '../internal/parse-options.js';
import { assertBwrapWorks, userNamespaceGuard } from './local/bwrap-probe.js';
import { findPython } from './local/find-python.js';
import { defaultCacheDir } from './local/font-cache.js';
import { startLocalSession } from './local/local-session.js';
import type { LocalSessionConfig } from './local/local-session-config.js';
import { chooseSandboxUser } from './local/sandbox-user.js';
import type { SandboxBackend } from './types.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** Options of `localBackend()`: a persistent Python process per session, sandboxed by bubblewrap. */
export interface LocalBackendOptions {
  /**
   * How the Python is isolated. `'bwrap'` requires bubblewrap; `'auto'` uses it as well and
   * fails with the same clear error when it is missing (it never runs unsandboxed by itself);
   * `'none'` runs Python directly on the host, with only a private work dir and a cleared
   * environment (the code can still read this process's environment from `/proc`): use it only
   * for code you trust.
   * @default 'auto'
   */
  isolation?: 'auto' | 'bwrap' | 'none';
  /**
   * The Python interpreter. It must import matplotlib, numpy (and pandas, for the usual code).
   * @default the SANDPLOT_PYTHON environment variable, else the first python3 with matplotlib
   * among /usr/bin/python3, /usr/local/bin/python3 and the PATH
   */
  pythonPath?: string;
  /**
   * The bubblewrap executable.
   * @default 'bwrap' (looked up in PATH)
   */
  bwrapPath?: string;
  /**
   * Address-space limit of the session's Python (RLIMIT_AS), per process. Allocations beyond it
   * raise MemoryError in the cell. Files in `/tmp` and `/dev/shm` count against `tmpBytes`
   * instead.
   * @default 4294967296 (4 GiB)
   */
  memoryLimitBytes?: number;
  /**
   * CPU time the session's Python may use in total (RLIMIT_CPU), over all its cells: the session
   * is killed when it is used up and the run reports `crashed`.
   * @default 3600
   */
  cpuTimeLimitSeconds?: number;
  /**
   * Largest file the code may write (RLIMIT_FSIZE). The work dir is a host folder: only each
   * file's size is limited there, not their total.
   * @default 1073741824 (1 GiB)
   */
  maxFileBytes?: number;
  /**
   * Size of the sandbox's `/tmp`, and of its `/dev/shm`: each is a tmpfs, host memory that
   * `memoryLimitBytes` does not count. Writing beyond it fails with `OSError` (no space left on
   * device). bubblewrap only; with `isolation: 'none'` both are host folders.
   * @default 268435456 (256 MiB)
   */
  tmpBytes?: number;
  /**
   * Processes and threads the sandboxed code may have at once (RLIMIT_NPROC, counted in the
   * sandbox's own user namespace, threads included): a fork bomb stops there with
   * `BlockingIOError`. Enforced under bubblewrap only; when Node runs as root the sandbox runs as
   * the unprivileged user 65534 (`nobody`), because the kernel never limits root. Leave room for
   * numpy's OpenBLAS, which starts a thread per CPU core.
   * @default 256
   */
  maxProcesses?: number;
  /**
   * After a timeout or abort, how long the code may take to stop after SIGINT (a second SIGINT
   * comes halfway) before the whole sandbox is killed and the run reports `crashed`.
   * @default 2000
   */
  interruptGraceMs?: number;
  /**
   * How long one file request (`writeFiles`, per file; `readFile`; `removeFiles`) may take in the
   * sandbox, plus one second for every 4 MiB it sends or receives. A session that misses it (its
   * code replaced the server's file handling, or hangs it) is killed: the call rejects with a
   * retryable `BackendError` and the next call runs in a new session.
   * @default 30000
   */
  fileTimeoutMs?: number;
  /**
   * How long `createSession()` may take to start Python and import matplotlib.
   * @default 30000
   */
  startTimeoutMs?: number;
  /**
   * Host folder for matplotlib's font list, copied into every new session to save ~0.5 s of
   * start time. Only this process's user may write it.
   * @default `<os.tmpdir()>/sandplot-cache/<uid>`
   */
  cacheDir?: string;
}

/** `LocalBackendOptions` with each default written once. */
const localBackendOptionsSchema = z.strictObject({
  isolation: z.enum(['auto', 'bwrap', 'none']).default('auto'),
  pythonPath: z.string().min(1).optional(),
  bwrapPath: z.string().min(1).default('bwrap'),
  memoryLimitBytes: z
    .number()
    .int()
    .min(64 * 1024 * 1024)
    .default(4 * GIB),
  cpuTimeLimitSeconds: z.number().int().positive().default(3600),
  maxFileBytes: z.number().int().positive().default(GIB),
  tmpBytes: z
    .number()
    .int()
    .min(16 * MIB)
    .default(256 * MIB),
  maxProcesses: z.number().int().min(8).max(1_000_000).default(256),
  interruptGraceMs: z.number().int().positive().max(600_000).default(2000),
  fileTimeoutMs: z.number().int().positive().max(2_147_483_647).default(30_000),
  startTimeoutMs: z.number().int().positive().max(2_147_483_647).default(30_000),
  cacheDir: z
    .string()
    .min(1)
    .default(() => defaultCacheDir()),
});

let warnedUnsandboxed = false;

/**
 * Runs Python locally: one long-lived interpreter per session (variables and files persist
 * between calls), isolated with bubblewrap, limited in memory, CPU time and file size.
 * Options are checked here; Python and bubblewrap are probed at the first `createSession()`.
 */
export function localBackend(options: LocalBackendOptions = {}): SandboxBackend {
  const settings = parseOptions(localBackendOptionsSchema, options, 'localBackend options');
  if (settings.isolation === 'none' && !warnedUnsandboxed) {
    warnedUnsandboxed = true;
    emitWarning(
      "localBackend({ isolation: 'none' }) runs Python WITHOUT a sandbox: the code can read and change anything this user can.",
      { code: 'SANDPLOT_UNSANDBOXED' },
    );
  }

  let resolved: Promise<LocalSessionConfig> | undefined;
  const resolveConfig = async (): Promise<LocalSessionConfig> => {
    const python = await findPython(settings.pythonPath);
    let sandboxUser: LocalSessionConfig['sandboxUser'];
    let guard: LocalSessionConfig['userNamespaceGuard'] = 'bwrap';
    if (settings.isolation !== 'none') {
      await assertBwrapWorks(settings.bwrapPath, python, settings.isolation);
      sandboxUser = await chooseSandboxUser(settings.bwrapPath, python);
      guard = await userNamespaceGuard(settings.bwrapPath, python, sandboxUser);
    }
    return {
      isolation: settings.isolation === 'none' ? 'none' : 'bwrap',
      bwrapPath: settings.bwrapPath,
      python,
      memoryLimitBytes: settings.memoryLimitBytes,
      cpuTimeLimitSeconds: settings.cpuTimeLimitSeconds,
      maxFileBytes: settings.maxFileBytes,
      maxProcesses: settings.maxProcesses,
      ...(sandboxUser === undefined ? {} : { sandboxUser }),
      tmpBytes: settings.tmpBytes,
      userNamespaceGuard: guard,
      interruptGraceMs: settings.interruptGraceMs,
      fileTimeoutMs: settings.fileTimeoutMs,
      startTimeoutMs: settings.startTimeoutMs,
      cacheDir: settings.cacheDir,
    };
  };

  return {
    name: 'local',
    async createSession(sessionOptions = {}) {
      resolved ??= resolveConfig();
      return startLocalSession(await resolved, sessionOptions.abortSignal);
    },
  };
}
