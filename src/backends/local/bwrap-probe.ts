import { spawn } from 'node:child_process';
import { ConfigError } from '../../errors/index.js';
import type { PythonInfo } from './find-python.js';
import { bwrapSandboxArguments } from './sandbox-command.js';
import type { SandboxUser } from './sandbox-user.js';

const PROBE_TIMEOUT_MS = 15_000;
const probes = new Map<string, Promise<string | undefined>>();

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
export function bwrapFailure(
  bwrapPath: string,
  python: PythonInfo,
  user?: SandboxUser,
): Promise<string | undefined> {
  const key = `${bwrapPath}\0${python.path}\0${user?.uid ?? ''}`;
  let probe = probes.get(key);
  if (probe === undefined) {
    probe = probeBwrap(bwrapPath, python, user);
    probes.set(key, probe);
  }
  return probe;
}

function probeBwrap(
  bwrapPath: string,
  python: PythonInfo,
  user: SandboxUser | undefined,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const args = [...bwrapSandboxArguments(python), '--clearenv', '--', python.path, '-c', ''];
    const child = spawn(bwrapPath, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      timeout: PROBE_TIMEOUT_MS,
      // Another user may not be able to enter this process's working directory.
      ...(user === undefined ? {} : { uid: user.uid, gid: user.gid, cwd: '/' }),
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
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
