import { spawn } from 'node:child_process';
import { assertBwrapWorks } from '../../backends/local/bwrap-probe.js';
import { findPython, type PythonInfo } from '../../backends/local/find-python.js';
import { localBackend } from '../../backends/local.js';
import { CodeSandbox } from '../../sandbox/code-sandbox.js';
import type { DoctorChecks } from './doctor-report.js';
import { FIGURE_CODE, figureFound } from './figure-check.js';

/** Packages the library needs (fail when missing) and ones common analysis code uses (warn). */
const PACKAGES: { name: string; module: string; required: boolean }[] = [
  { name: 'matplotlib', module: 'matplotlib', required: true },
  { name: 'numpy', module: 'numpy', required: true },
  { name: 'pandas', module: 'pandas', required: false },
  { name: 'seaborn', module: 'seaborn', required: false },
  { name: 'openpyxl', module: 'openpyxl', required: false },
  { name: 'IPython', module: 'IPython', required: false },
];

const VERSIONS_SCRIPT = `import importlib, json
found = {}
for name in ${JSON.stringify(PACKAGES.map((entry) => entry.module))}:
    try:
        found[name] = getattr(importlib.import_module(name), '__version__', 'installed')
    except Exception as error:
        found[name] = None
print(json.dumps(found))`;

const DEBIAN_PACKAGES: Record<string, string> = {
  matplotlib: 'python3-matplotlib',
  numpy: 'python3-numpy',
  pandas: 'python3-pandas',
  seaborn: 'python3-seaborn',
  openpyxl: 'python3-openpyxl',
  IPython: 'python3-ipython',
};

/** The local backend: Python and its packages, bubblewrap, a sandboxed print and a figure. */
export async function checkLocal(checks: DoctorChecks): Promise<void> {
  let python: PythonInfo | undefined;
  await checks.run(
    'python',
    'install python3-matplotlib and python3-numpy (Debian/Ubuntu), or set SANDPLOT_PYTHON',
    async () => {
      python = await findPython(undefined);
      return { status: 'pass', found: `Python ${python.version} at ${python.path}` };
    },
  );
  if (python === undefined) {
    checks.skip(['packages', 'bubblewrap', 'sandboxed print', 'figure'], 'no usable Python');
    return;
  }
  const found = python;
  for (const entry of PACKAGES) {
    await checks.run(
      `package ${entry.name}`,
      `apt-get install ${DEBIAN_PACKAGES[entry.name]}`,
      () =>
        packageVersion(found.path, entry.module).then((version) => {
          if (version !== null) return { status: 'pass', found: version };
          return {
            status: entry.required ? 'fail' : 'warn',
            found: entry.required ? 'missing' : 'missing (optional: code that imports it fails)',
            fix: `apt-get install ${DEBIAN_PACKAGES[entry.name]} (or pip install ${entry.name} for ${found.path})`,
          };
        }),
    );
  }
  const isolated = await checks.run(
    'bubblewrap',
    'apt-get install bubblewrap, and allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)',
    async () => {
      await assertBwrapWorks('bwrap', found, 'bwrap');
      return { status: 'pass', found: 'bwrap runs Python in a sandbox' };
    },
  );
  if (!isolated) {
    checks.skip(['sandboxed print', 'figure'], 'bubblewrap does not work');
    return;
  }
  const sandbox = new CodeSandbox({ backend: localBackend({ isolation: 'bwrap' }) });
  try {
    await checks.run('sandboxed print', 'see the error above', async () => {
      const result = await sandbox.executePython('print(6 * 7)');
      if (result.stdout !== '42\n' || result.isError) {
        return {
          status: 'fail',
          found: `printed ${JSON.stringify(result.stdout)}: ${result.stderr}`,
        };
      }
      return { status: 'pass', found: 'print(6 * 7) printed 42' };
    });
    await checks.run('figure', 'check that matplotlib works in the sandbox', async () =>
      figureFound(await sandbox.executePython(FIGURE_CODE)),
    );
  } finally {
    await sandbox.close();
  }
}

/** The package's version in `python`, 'installed' when it has none, null when it is missing. */
async function packageVersion(python: string, module: string): Promise<string | null> {
  const versions = await pythonJson(python, VERSIONS_SCRIPT);
  return (versions as Record<string, string | null>)[module] ?? null;
}

const cache = new Map<string, Promise<unknown>>();

function pythonJson(python: string, script: string): Promise<unknown> {
  const key = `${python}\0${script}`;
  let pending = cache.get(key);
  if (pending === undefined) {
    pending = new Promise((resolve, reject) => {
      const child = spawn(python, ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      child.on('error', reject);
      child.on('close', (code) => {
        try {
          resolve(JSON.parse(stdout));
        } catch {
          reject(new Error(`${python} exited with ${code}: ${stderr.trim().slice(-300)}`));
        }
      });
    });
    cache.set(key, pending);
  }
  return pending;
}
