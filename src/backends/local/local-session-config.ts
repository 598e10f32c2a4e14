import type { PythonInfo } from './find-python.js';
import type { SandboxUser } from './sandbox-user.js';
import type { UserNamespaceGuard } from './seccomp-filter.js';

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
  /** Size of the sandbox's `/tmp` and of its `/dev/shm` (each); bubblewrap only. */
  tmpBytes: number;
  /** How nested user namespaces are refused; bubblewrap only. */
  userNamespaceGuard: UserNamespaceGuard;
  interruptGraceMs: number;
  /** Time one file request may take, plus time for the bytes it moves (see `fileDeadline`). */
  fileTimeoutMs: number;
  startTimeoutMs: number;
  cacheDir: string;
}
