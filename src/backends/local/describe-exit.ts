import { constants } from 'node:os';
import type { LocalSessionConfig } from './local-session-config.js';

/** Why the sandbox process ended, as a run reports it, and its exit code when it had one. */
export function describeExit(
  code: number | null,
  signal: NodeJS.Signals | null,
  config: Pick<LocalSessionConfig, 'isolation' | 'cpuTimeLimitSeconds'>,
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
