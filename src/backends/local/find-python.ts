import { spawn } from 'node:child_process';
import { access, constants, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ConfigError } from '../../errors/index.js';

/** A Python interpreter that can import matplotlib. */
export interface PythonInfo {
  /** The path to run, as configured or found. */
  path: string;
  /** The path with symlinks resolved: what `/proc/<pid>/exe` shows for it. */
  realPath: string;
  version: string;
  /** `sys.prefix` and `sys.base_prefix`: the folders the interpreter needs to see. */
  prefixes: string[];
}

type Probe = { ok: true; python: PythonInfo } | { ok: false; reason: string };

const INSTALL_HINT =
  'On Debian/Ubuntu: apt-get install python3-matplotlib python3-numpy python3-pandas';
const PROBE_SCRIPT = [
  'import json, sys, matplotlib, numpy',
  'print(json.dumps({"version": sys.version.split()[0], "prefixes": sorted({sys.prefix, sys.base_prefix})}))',
].join('\n');
const PROBE_TIMEOUT_MS = 30_000;

const probes = new Map<string, Promise<Probe>>();

/**
 * The Python to run: the `pythonPath` option, else `SANDPLOT_PYTHON`, else the first `python3`
 * that can import matplotlib. Probes are cached for the life of the process.
 */
export async function findPython(pythonPath: string | undefined): Promise<PythonInfo> {
  if (pythonPath !== undefined) return requirePython(pythonPath, 'the pythonPath option');
  const fromEnvironment = process.env.SANDPLOT_PYTHON;
  if (fromEnvironment)
    return requirePython(fromEnvironment, 'the SANDPLOT_PYTHON environment variable');

  const candidates = [
    '/usr/bin/python3',
    '/usr/local/bin/python3',
    ...(process.env.PATH ?? '')
      .split(delimiter)
      .filter((folder) => folder.startsWith('/'))
      .map((folder) => join(folder, 'python3')),
  ];
  const tried: string[] = [];
  for (const candidate of new Set(candidates)) {
    if (!(await isExecutable(candidate))) continue;
    tried.push(candidate);
    const probe = await probeCached(candidate);
    if (probe.ok) return probe.python;
  }
  throw new ConfigError(
    `localBackend: found no Python 3 that can import matplotlib (tried ${tried.join(', ') || 'no python3 at all'}). ` +
      `Install it (${INSTALL_HINT}), or set the pythonPath option or the SANDPLOT_PYTHON environment variable.`,
    { code: 'BACKEND_UNAVAILABLE' },
  );
}

async function requirePython(path: string, source: string): Promise<PythonInfo> {
  const probe = await probeCached(path);
  if (probe.ok) return probe.python;
  throw new ConfigError(
    `localBackend: the Python "${path}" from ${source} cannot be used: ${probe.reason}. ` +
      `Point it at a Python 3 with matplotlib, numpy and pandas (${INSTALL_HINT}, then use /usr/bin/python3).`,
    { code: 'BACKEND_UNAVAILABLE' },
  );
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function probeCached(path: string): Promise<Probe> {
  let probe = probes.get(path);
  if (probe === undefined) {
    probe = probePython(path);
    probes.set(path, probe);
  }
  return probe;
}

async function probePython(path: string): Promise<Probe> {
  const result = await runProbe(path);
  if (!result.ok) return result;
  try {
    const parsed = JSON.parse(result.stdout) as { version: string; prefixes: string[] };
    return {
      ok: true,
      python: {
        path,
        realPath: await realpath(path),
        version: parsed.version,
        prefixes: parsed.prefixes,
      },
    };
  } catch (error) {
    return { ok: false, reason: `its answer to the probe was unexpected (${String(error)})` };
  }
}

function runProbe(
  path: string,
): Promise<{ ok: true; stdout: string } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    const child = spawn(path, ['-c', PROBE_SCRIPT], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: homedir(), MPLBACKEND: 'agg' },
      timeout: PROBE_TIMEOUT_MS,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.on('error', (error) => resolve({ ok: false, reason: error.message }));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve({ ok: true, stdout });
      const lastLine = stderr.trim().split('\n').at(-1);
      resolve({
        ok: false,
        reason:
          lastLine ||
          (signal ? `the probe was killed by ${signal}` : `the probe exited with code ${code}`),
      });
    });
  });
}
