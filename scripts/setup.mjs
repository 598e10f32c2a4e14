#!/usr/bin/env node
// Makes a fresh checkout ready for `npm run demo`, `npm test` and `npm run bench`: Node
// dependencies, Debian's Python packages, bubblewrap and redis-server, and an up-to-date build.
// With `--browser` (npm test, npm run docs:images) also Debian's chromium, which the browser tests
// drive headless; the demo does not need it. Idempotent and quick when everything is in place.
// Plain Node on purpose: it runs before any dependency exists.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const withBrowser = process.argv.includes('--browser');
const chromiumPath = '/usr/bin/chromium';
// What model-written code expects beside matplotlib, numpy and pandas (AgentCore's image ships
// them too): seaborn, Excel files (openpyxl), IPython's display helpers, plotly, scipy, Pillow.
const pythonPackages = [
  'python3-matplotlib',
  'python3-numpy',
  'python3-pandas',
  'python3-scipy',
  'python3-seaborn',
  'python3-openpyxl',
  'python3-ipython',
  'python3-plotly',
  'python3-pil',
];
const pythonModules = 'matplotlib, numpy, pandas, scipy, seaborn, openpyxl, IPython, plotly, PIL';
// redis-server: the tests and benchmarks of pools sharing a session store start their own.
const debianPackages = [
  ...pythonPackages,
  'bubblewrap',
  'redis-server',
  ...(withBrowser ? ['chromium'] : []),
];

function log(message) {
  process.stderr.write(`setup: ${message}\n`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    ...options,
  });
  if (result.status !== 0) {
    log(`\`${[command, ...args].join(' ')}\` failed (exit ${result.status ?? result.signal}).`);
    process.exit(1);
  }
}

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function nodeDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  log('installing Node dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

function pythonReady() {
  const python = process.env.SANDPLOT_PYTHON || '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', `import ${pythonModules}`], { stdio: 'ignore' });
  return probe.status === 0;
}

function bwrapReady() {
  return spawnSync('bwrap', ['--version'], { stdio: 'ignore' }).status === 0;
}

function redisReady() {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

function chromiumReady() {
  try {
    accessSync(chromiumPath, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function systemPackages() {
  const missing = [];
  if (!pythonReady()) missing.push(...pythonPackages);
  if (!bwrapReady()) missing.push('bubblewrap');
  if (!redisReady()) missing.push('redis-server');
  if (withBrowser && !chromiumReady()) missing.push('chromium');
  if (missing.length === 0) return;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  const isRoot = process.getuid?.() === 0;
  if (!hasApt || !isRoot) {
    log(`missing: ${missing.join(', ')}. Install them, then run this command again:`);
    log(`  sudo apt-get update && sudo apt-get install -y ${debianPackages.join(' ')}`);
    log(`(or point SANDPLOT_PYTHON at a python3 that can import ${pythonModules})`);
    process.exit(1);
  }
  log(`installing ${missing.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...debianPackages], { env });
  if (!pythonReady() || !bwrapReady() || !redisReady()) {
    log('apt-get finished but the Python packages, bubblewrap or redis-server still do not work.');
    process.exit(1);
  }
  if (withBrowser && !chromiumReady()) {
    log(`apt-get finished but ${chromiumPath} is still missing.`);
    process.exit(1);
  }
}

function build() {
  const output = join(root, 'dist', 'cli', 'index.js');
  const inputs = ['src', 'package.json', 'tsup.config.ts'].map((path) =>
    newestMtime(join(root, path)),
  );
  if (existsSync(output) && statSync(output).mtimeMs >= Math.max(...inputs)) return;
  log('building (tsup)');
  execFileSync(join(root, 'node_modules', '.bin', 'tsup'), ['--silent'], {
    cwd: root,
    stdio: 'inherit',
  });
}

nodeDependencies();
systemPackages();
build();
