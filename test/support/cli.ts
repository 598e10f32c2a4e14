import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const cliPath = join(root, 'dist', 'cli', 'index.js');

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(
    stat.mtimeMs,
    ...readdirSync(path).map((entry) => newestMtime(join(path, entry))),
  );
}

/**
 * The CLI and example tests run the built package, as users do. `npm test` builds first; a
 * direct `vitest run` of these files needs `npm run build` after changing src/.
 */
export function assertBuildIsCurrent(): void {
  let built: number;
  try {
    built = statSync(cliPath).mtimeMs;
  } catch {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it for you).');
  }
  if (newestMtime(join(root, 'src')) > built) {
    throw new Error('dist/ is older than src/: run `npm run build` (npm test does it for you).');
  }
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `sandplot` command and collects its output. */
export function runCli(
  args: string[],
  options: { cwd?: string; input?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  assertBuildIsCurrent();
  return runProgram(process.execPath, [cliPath, ...args], {
    ...options,
    env: { ...process.env, ...options.env },
  });
}

/** Runs a program to its end and collects its output; `env` replaces the environment. */
export function runProgram(
  file: string,
  args: string[],
  options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
