import { spawn } from 'node:child_process';
import { ConfigError } from '../../errors.js';
import type { PythonInfo } from './find-python.js';
import { bwrapSandboxArguments } from './sandbox-command.js';

const PROBE_TIMEOUT_MS = 15_000;
const probes = new Map<string, Promise<string | undefined>>();

/**
 * Throws a ConfigError unless bubblewrap can start this Python in the session's sandbox layout.
 * Probed once per bwrap and Python for the life of the process.
 */
export async function assertBwrapWorks(bwrapPath: string, python: PythonInfo, isolation: string) {
  const key = `${bwrapPath}\0${python.path}`;
  let probe = probes.get(key);
  if (probe === undefined) {
    probe = probeBwrap(bwrapPath, python);
    probes.set(key, probe);
  }
  const failure = await probe;
  if (failure === undefined) return;
  throw new ConfigError(
    `localBackend: bubblewrap ("${bwrapPath}") cannot sandbox Python on this machine: ${failure}. ` +
      'Install bubblewrap (apt-get install bubblewrap) and allow unprivileged user namespaces, ' +
      'or set the bwrapPath option; or pass isolation: "none" to run Python WITHOUT a sandbox ' +
      `(isolation is "${isolation}").`,
    { code: 'BACKEND_UNAVAILABLE' },
  );
}

function probeBwrap(bwrapPath: string, python: PythonInfo): Promise<string | undefined> {
  return new Promise((resolve) => {
    const args = [...bwrapSandboxArguments(python), '--clearenv', '--', python.path, '-c', ''];
    const child = spawn(bwrapPath, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      timeout: PROBE_TIMEOUT_MS,
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
