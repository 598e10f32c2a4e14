import { spawn } from 'node:child_process';
import { ConfigError } from '../../errors/index.js';
import type { PythonInfo } from './find-python.js';
import { bwrapSandboxArguments } from './sandbox-command.js';
import type { SandboxUser } from './sandbox-user.js';
import { sendSeccompProgram, stdioWithSeccomp, type UserNamespaceGuard } from './seccomp-filter.js';

const PROBE_TIMEOUT_MS = 15_000;
/** The probe only checks that the mounts work; their size does not matter. */
const PROBE_TMP_BYTES = 16 * 1024 * 1024;

/** What a probe found: the sandbox works with this guard, or it does not work at all. */
type ProbeResult = { guard: UserNamespaceGuard } | { failure: string };

const probes = new Map<string, Promise<ProbeResult>>();

/**
 * Throws a ConfigError unless bubblewrap can start this Python in the session's sandbox layout.
 * Probed once per bwrap and Python for the life of the process.
 */
export async function assertBwrapWorks(bwrapPath: string, python: PythonInfo, isolation: string) {
  const failure = await bwrapFailure(bwrapPath, python);
  if (failure === undefined) return;
  throw new ConfigError(
    `localBackend: bubblewrap ("${bwrapPath}") cannot sandbox Python on this machine: ${failure}. ` +
      'Install bubblewrap (apt-get install bubblewrap) and allow unprivileged user namespaces, ' +
      'or set the bwrapPath option; or pass isolation: "none" to run Python WITHOUT a sandbox ' +
      `(isolation is "${isolation}").`,
    { code: 'BACKEND_UNAVAILABLE' },
  );
}

/**
 * Why bubblewrap cannot start this Python in the session's sandbox layout (as `user`, when
 * given), or undefined when it can. Probed once per bwrap, Python and user.
 */
export async function bwrapFailure(
  bwrapPath: string,
  python: PythonInfo,
  user?: SandboxUser,
): Promise<string | undefined> {
  const result = await probeSandbox(bwrapPath, python, user);
  return 'failure' in result ? result.failure : undefined;
}

/**
 * How sessions started as `user` keep the code from creating user namespaces: bubblewrap's
 * `--disable-userns` where this bubblewrap (0.8.0 and later) and kernel allow it, else the
 * seccomp filter. Call it after the sandbox was found to work.
 */
export async function userNamespaceGuard(
  bwrapPath: string,
  python: PythonInfo,
  user?: SandboxUser,
): Promise<UserNamespaceGuard> {
  const result = await probeSandbox(bwrapPath, python, user);
  return 'guard' in result ? result.guard : 'seccomp';
}

function probeSandbox(
  bwrapPath: string,
  python: PythonInfo,
  user: SandboxUser | undefined,
): Promise<ProbeResult> {
  const key = `${bwrapPath}\0${python.path}\0${user?.uid ?? ''}`;
  let probe = probes.get(key);
  if (probe === undefined) {
    probe = (async (): Promise<ProbeResult> => {
      const failure = await probeBwrap(bwrapPath, python, user, 'bwrap');
      if (failure === undefined) return { guard: 'bwrap' };
      // An older bubblewrap without --disable-userns, or a kernel without user namespaces.
      if ((await probeBwrap(bwrapPath, python, user, 'seccomp')) === undefined) {
        return { guard: 'seccomp' };
      }
      return { failure };
    })();
    probes.set(key, probe);
  }
  return probe;
}

function probeBwrap(
  bwrapPath: string,
  python: PythonInfo,
  user: SandboxUser | undefined,
  guard: UserNamespaceGuard,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sandbox = bwrapSandboxArguments(python, {
      tmpBytes: PROBE_TMP_BYTES,
      userNamespaceGuard: guard,
    });
    const args = [...sandbox.args, '--clearenv', '--', python.path, '-c', ''];
    const child = spawn(bwrapPath, args, {
      stdio: stdioWithSeccomp(['ignore', 'ignore', 'pipe'], sandbox.seccompProgram),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      timeout: PROBE_TIMEOUT_MS,
      // Another user may not be able to enter this process's working directory.
      ...(user === undefined ? {} : { uid: user.uid, gid: user.gid, cwd: '/' }),
    });
    sendSeccompProgram(child, sandbox.seccompProgram);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.on('error', (error) => resolve(error.message));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(undefined);
      const detail = stderr.trim().split('\n').slice(-3).join(' ');
      resolve(
        detail || (signal ? `the probe was killed by ${signal}` : `it exited with code ${code}`),
      );
    });
  });
}
