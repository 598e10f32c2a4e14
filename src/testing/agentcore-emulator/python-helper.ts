import { randomBytes } from 'node:crypto';
import type { BackendSession } from '../../backends/types.js';

/** The service has no per-command timeout; 15 minutes is its limit for a synchronous call. */
const CALL_LIMIT_MS = 15 * 60 * 1000;

/** Prepended to every helper: BASE is the session's working directory, recorded at start. */
const BASE_SOURCE = `import os, sys
BASE = sys.modules['_agentcore_emulator'].base if '_agentcore_emulator' in sys.modules else os.getcwd()
`;

/** Runs code in the session's interpreter and collects its output. */
export async function collect(
  session: BackendSession,
  code: string,
): Promise<{ stdout: string; stderr: string; exitCode: number | null; crashed?: string }> {
  let stdout = '';
  let stderr = '';
  const run = await session.runCode(code, {
    timeoutMs: CALL_LIMIT_MS,
    onStdout: (text) => {
      stdout += text;
    },
    onStderr: (text) => {
      stderr += text;
    },
  });
  return {
    stdout,
    stderr,
    exitCode: run.exitCode,
    ...(run.crashed ? { crashed: run.crashed.reason } : {}),
  };
}

/**
 * Runs a helper script in a namespace of its own (the user's variables stay untouched) and
 * returns the JSON it printed after a random marker.
 */
export async function runHelper(
  session: BackendSession,
  source: string,
  args: unknown,
): Promise<unknown> {
  const marker = `@@agentcore-emulator-${randomBytes(8).toString('hex')}@@`;
  const script = `import json\nARGS = json.loads(${JSON.stringify(JSON.stringify(args))})\nMARK = ${JSON.stringify(marker)}\n${BASE_SOURCE}${source}`;
  const run = await collect(
    session,
    `exec(${JSON.stringify(script)}, {'__name__': '__agentcore_emulator__'})\n`,
  );
  const at = run.stdout.lastIndexOf(marker);
  if (at === -1) {
    throw new Error(`the emulator's helper failed: ${run.crashed ?? run.stderr.trim()}`);
  }
  return JSON.parse(run.stdout.slice(at + marker.length).trim());
}

/**
 * The service resolves file paths and runs commands in the session's working directory, whatever
 * the user's code did with os.chdir; the helpers below use the directory recorded at start.
 */
export async function rememberWorkingDirectory(session: BackendSession): Promise<void> {
  await collect(
    session,
    "import sys as _s, os as _o, types as _t\n_m = _t.ModuleType('_agentcore_emulator')\n_m.base = _o.getcwd()\n_s.modules['_agentcore_emulator'] = _m\ndel _s, _o, _t, _m\n",
  );
}
