import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { PythonInfo } from './find-python.js';
import { SECCOMP_FD, seccompProgram, type UserNamespaceGuard } from './seccomp-filter.js';

/** Where the session's private work dir appears inside the bubblewrap sandbox. */
export const SANDBOX_WORK_DIR = '/home/sandbox/work';

/** Host folders of one session: created fresh, removed on close. */
export interface SessionFolders {
  /** Holds everything below; removed on close. */
  root: string;
  /** The work dir: the Python's cwd and HOME. */
  work: string;
}

export interface SandboxCommand {
  command: string;
  args: string[];
  /** The environment of the spawned process (bubblewrap replaces it inside the sandbox). */
  env: Record<string, string>;
  cwd: string;
  /** The work dir as the Python sees it. */
  workDir: string;
  /** The seccomp program bubblewrap reads from file descriptor `SECCOMP_FD`, if any. */
  seccompProgram?: Buffer;
}

/** How the sandbox is laid out and limited; shared by the probe and the sessions. */
export interface SandboxLayout {
  /** Size of each of the sandbox's memory-backed mounts, `/tmp` and `/dev/shm`. */
  tmpBytes: number;
  userNamespaceGuard: UserNamespaceGuard;
  /** The host folder bound as the work dir, when there is one. */
  workDir?: string;
}

const HOST_LIBRARY_DIRS = ['/bin', '/lib', '/lib64', '/sbin'];
// Read-only extras, each bound only if present: numpy's BLAS goes through /etc/alternatives,
// Debian's matplotlib refuses to import without /etc/matplotlibrc, fontconfig wants /etc/fonts.
const HOST_READ_ONLY_FILES = [
  '/etc/alternatives',
  '/etc/matplotlibrc',
  '/etc/fonts',
  '/etc/ld.so.cache',
];

/** The environment every session starts with; nothing of the host's environment leaks in. */
function baseEnvironment(paths: { home: string; tmp: string }): Record<string, string> {
  return {
    HOME: paths.home,
    PATH: '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    TMPDIR: paths.tmp,
    MPLBACKEND: 'agg',
    MPLCONFIGDIR: join(paths.tmp, 'matplotlib'),
    XDG_CACHE_HOME: join(paths.tmp, 'cache'),
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
  };
}

/**
 * `bwrap` arguments that only bind what Python needs, plus the work dir when given, with the
 * seccomp program to pass on `SECCOMP_FD` (undefined on an architecture without one).
 */
export function bwrapSandboxArguments(
  python: PythonInfo,
  layout: SandboxLayout,
): { args: string[]; seccompProgram: Buffer | undefined } {
  const args = [
    '--unshare-all',
    // In a user namespace of its own the code would hold every capability again (and could
    // mount): none may be created inside the sandbox.
    ...(layout.userNamespaceGuard === 'bwrap' ? ['--unshare-user', '--disable-userns'] : []),
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--hostname',
    'sandbox',
    '--ro-bind',
    '/usr',
    '/usr',
  ];
  for (const dir of HOST_LIBRARY_DIRS) {
    const entry = lstatOrUndefined(dir);
    if (entry?.isSymbolicLink()) args.push('--symlink', `usr${dir}`, dir);
    else if (entry?.isDirectory()) args.push('--ro-bind', dir, dir);
  }
  for (const path of HOST_READ_ONLY_FILES) {
    if (existsSync(path)) args.push('--ro-bind', path, path);
  }
  for (const prefix of python.prefixes) {
    // A venv or a Python outside /usr; never the whole root.
    if (prefix !== '/' && prefix !== '/usr' && !prefix.startsWith('/usr/') && existsSync(prefix)) {
      args.push('--ro-bind', prefix, prefix);
    }
  }
  // tmpfs is host memory that no rlimit counts: each mount gets a size. bubblewrap's /dev is a
  // tmpfs of half the host's memory; it is made read-only (its device nodes are mounts of their
  // own and stay writable) and /dev/shm, which POSIX semaphores need, gets a sized tmpfs.
  const size = String(layout.tmpBytes);
  args.push('--proc', '/proc', '--dev', '/dev', '--size', size, '--tmpfs', '/dev/shm');
  args.push('--size', size, '--tmpfs', '/tmp', '--remount-ro', '/dev');
  if (layout.workDir !== undefined)
    args.push('--bind', layout.workDir, SANDBOX_WORK_DIR, '--chdir', SANDBOX_WORK_DIR);
  // The root is bubblewrap's own tmpfs: without this, /etc/x or /x could be written (in memory).
  args.push('--remount-ro', '/');
  const program = seccompProgram(layout.userNamespaceGuard);
  if (program !== undefined) args.push('--seccomp', String(SECCOMP_FD));
  return { args, seccompProgram: program };
}

/** The command that starts the session's Python, sandboxed or (explicitly) not. */
export function sandboxCommand(input: {
  isolation: 'bwrap' | 'none';
  bwrapPath: string;
  python: PythonInfo;
  folders: SessionFolders;
  pythonArgs: string[];
  tmpBytes: number;
  userNamespaceGuard: UserNamespaceGuard;
}): SandboxCommand {
  const { python, folders, pythonArgs } = input;
  if (input.isolation === 'none') {
    return {
      command: python.path,
      args: pythonArgs,
      env: baseEnvironment({ home: folders.work, tmp: join(folders.root, 'tmp') }),
      cwd: folders.work,
      workDir: folders.work,
    };
  }
  const environment = baseEnvironment({ home: SANDBOX_WORK_DIR, tmp: '/tmp' });
  const sandbox = bwrapSandboxArguments(python, {
    tmpBytes: input.tmpBytes,
    userNamespaceGuard: input.userNamespaceGuard,
    workDir: folders.work,
  });
  const args = [
    ...sandbox.args,
    '--clearenv',
    ...Object.entries(environment).flatMap(([name, value]) => ['--setenv', name, value]),
    '--',
    python.path,
    ...pythonArgs,
  ];
  // The host PATH only serves to find bwrap itself; --clearenv drops it inside.
  const hostEnvironment = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  return {
    command: input.bwrapPath,
    args,
    env: hostEnvironment,
    cwd: folders.root,
    workDir: SANDBOX_WORK_DIR,
    ...(sandbox.seccompProgram === undefined ? {} : { seccompProgram: sandbox.seccompProgram }),
  };
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
