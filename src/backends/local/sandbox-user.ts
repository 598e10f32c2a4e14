import { chown } from 'node:fs/promises';
import { emitWarning } from 'node:process';
import { bwrapFailure } from './bwrap-probe.js';
import type { PythonInfo } from './find-python.js';
import type { SessionFolders } from './sandbox-command.js';

/** A host user and group the sandbox's processes run as. */
export interface SandboxUser {
  uid: number;
  gid: number;
}

/**
 * `nobody`: the host user a sandbox runs as when Node runs as root. The kernel never enforces
 * RLIMIT_NPROC for root (user id 0 on the host, whatever namespace it is in), so a root sandbox
 * could fork without bound; as `nobody` it is counted, per user namespace, like any user.
 */
export const UNPRIVILEGED_USER: Readonly<SandboxUser> = Object.freeze({ uid: 65534, gid: 65534 });

let warnedRoot = false;

/**
 * The user to start bubblewrap as: `nobody` when this process is root and bubblewrap works
 * unprivileged here, else undefined (bubblewrap runs as this process's user). When root cannot
 * hand the sandbox to `nobody` it warns once that `maxProcesses` is not enforced.
 */
export async function chooseSandboxUser(
  bwrapPath: string,
  python: PythonInfo,
): Promise<SandboxUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const failure = await bwrapFailure(bwrapPath, python, UNPRIVILEGED_USER);
  if (failure === undefined) return UNPRIVILEGED_USER;
  if (!warnedRoot) {
    warnedRoot = true;
    emitWarning(
      `localBackend: Node runs as root and bubblewrap cannot start the sandbox as the unprivileged user ${UNPRIVILEGED_USER.uid} (${failure}); the sandbox runs as root without capabilities, and maxProcesses is NOT enforced (the kernel exempts root from RLIMIT_NPROC). Allow unprivileged user namespaces, or run Node as a non-root user.`,
      { code: 'SANDPLOT_ROOT_SANDBOX' },
    );
  }
  return undefined;
}

/** Gives the session's host folders to the sandbox user, so it can enter and write them. */
export async function handFoldersTo(user: SandboxUser, folders: SessionFolders): Promise<void> {
  await chown(folders.root, user.uid, user.gid);
  await chown(folders.work, user.uid, user.gid);
}
