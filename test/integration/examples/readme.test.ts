import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuildIsCurrent, type CliRun, runProgram } from '../../support/cli.js';
import { pngSize } from '../../support/png.js';

/**
 * The README's code, run as a reader would run it: each block as written, in a fresh project
 * that has only sandplot installed (the built package, linked), without AWS credentials. The
 * blocks that need AWS or a model are marked so in the README; of those, the imports are checked.
 */

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = await readFile(join(root, 'README.md'), 'utf8');

/** The fenced blocks of the section under `## heading`, in order. */
function blocks(heading: string): { lang: string; code: string }[] {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start === -1) throw new Error(`README has no "## ${heading}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({
    lang: match[1] as string,
    code: match[2] as string,
  }));
}

/** The commands of a shell block: one a line, without the comment after `#`. */
function commands(code: string): string[] {
  return code
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line.length > 0);
}

// No AWS account, no profile, no silenced warning: a new user's shell. npm stays offline.
const environment: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')),
);

type Run = CliRun;

function sh(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return runProgram('sh', ['-c', command], { cwd, env });
}

const ANALYSIS = `import matplotlib.pyplot as plt
units = [100, 120, 95, 140]
print("total", sum(units))
plt.plot(units)
plt.title("Units sold");
`;

let project: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  assertBuildIsCurrent();
  // A project that installed sandplot: node_modules/sandplot and its bin, nothing else.
  project = await mkdtemp(join(tmpdir(), 'sandplot-readme-'));
  await mkdir(join(project, 'node_modules', '.bin'), { recursive: true });
  await symlink(root, join(project, 'node_modules', 'sandplot'));
  await symlink(
    join('..', 'sandplot', 'dist', 'cli', 'index.js'),
    join(project, 'node_modules', '.bin', 'sandplot'),
  );
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'readme-project', private: true, type: 'module' }),
  );
  await writeFile(join(project, 'analysis.py'), ANALYSIS);
  // HOME without ~/.aws: no credentials from a profile either.
  const home = join(project, 'home');
  await mkdir(home);
  env = {
    ...environment,
    HOME: home,
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
  };
});

describe('README: quick start', () => {
  it('is two commands; `npm run demo` runs as written', async () => {
    const [block] = blocks('Quick start');
    expect(commands(block?.code ?? '')).toEqual(['npm run demo', 'npm test']);
    // `npm test` is the suite this test belongs to: it cannot run inside itself.
    const run = await sh('npm run demo', root, environment);
    expect(run.stderr).not.toMatch(/Error|Warning/);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('  Product A: 100.0%');
    expect(run.stdout).toMatch(/^figure 1: figures\/[0-9a-f]{32}-figure-1\.png /m);
    expect(run.stdout).toMatch(/^figure 2: figures\/[0-9a-f]{32}-figure-2\.png /m);
  }, 120_000);
});

describe('README: the examples', () => {
  it('the example runs as example.mjs on this Node, and prints what its comments say', async () => {
    const [example] = blocks('Example');
    expect(example?.lang).toBe('js');
    expect(example?.code).not.toContain('await using');
    await writeFile(join(project, 'example.mjs'), example?.code ?? '');
    const run = await sh('node example.mjs', project, env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^count\s+4\.0+$/m);
    expect(run.stdout).toMatch(/^mean\s+113\.750*$/m);
    const [path] = /\/\S+\/figures\/[0-9a-f]{32}-figure-1\.png/.exec(run.stdout) ?? [];
    expect(path, run.stdout).toBeDefined();
    expect(pngSize(await readFile(path as string)).width).toBeGreaterThan(0);
    expect(run.stdout.trimEnd().endsWith('[]')).toBe(true);
  }, 60_000);

  it('files in and out runs inside the example, and lists the Excel file it wrote', async () => {
    const [example] = blocks('Example');
    const [files] = blocks('Files in and out');
    expect(readme).toContain('continuing the example, inside its `try`');
    const program = (example?.code ?? '').replace('} finally {', `${files?.code}} finally {`);
    await writeFile(join(project, 'files.mjs'), program);
    const run = await sh('node files.mjs', project, env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^out\/sales\.xlsx \d+ file:\/\/\S+\/figures\/[0-9a-f]{32}\/out\/sales\.xlsx$/m,
    );
  }, 60_000);

  it('the AgentCore example runs as written without credentials (no session starts)', async () => {
    const [agentcore] = blocks('On Amazon Bedrock AgentCore, with figures in S3');
    expect(agentcore?.lang).toBe('js');
    await writeFile(join(project, 'agentcore.mjs'), agentcore?.code ?? '');
    const run = await sh('node agentcore.mjs', project, env);
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.code).toBe(0);
  });

  it('the examples that need a model or AWS say so, and their imports exist', async () => {
    const [agent] = blocks('In an agent');
    const [pool] = blocks('Many conversations');
    expect(readme).toMatch(/`model` is your Strands\s+model/);
    expect(pool?.code).toContain('// AWS credentials');
    const imports = [agent, pool]
      .flatMap((block) => (block?.code ?? '').split('\n'))
      .filter((line) => line.startsWith('import '))
      .join('\n');
    expect(imports.split('\n').length).toBeGreaterThanOrEqual(8);
    await writeFile(join(project, 'imports.mjs'), imports);
    const run = await sh('node imports.mjs', project, env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});

describe('README: the command line', () => {
  let emulator: ChildProcess | undefined;
  afterAll(async () => {
    if (emulator?.pid === undefined || emulator.exitCode !== null) return;
    const exited = new Promise((resolve) => emulator?.once('exit', resolve));
    // The whole group: sh, npx and the emulator under it.
    process.kill(-emulator.pid, 'SIGINT');
    await exited;
  });

  it('runs every offline line as written, the emulator flow included', async () => {
    const [offline] = blocks('Command line');
    const lines = commands(offline?.code ?? '');
    expect(lines).toHaveLength(7);
    const outputs: Run[] = [];
    for (const line of lines) {
      if (line.endsWith('&')) {
        emulator = spawn('sh', ['-c', line.slice(0, -1)], {
          cwd: project,
          env,
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let said = '';
        await new Promise<void>((resolve, reject) => {
          emulator?.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
            said += chunk;
            if (said.includes('listening on')) resolve();
          });
          emulator?.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
            said += chunk;
          });
          emulator?.once('exit', () => reject(new Error(`${line}: exited early: ${said}`)));
        });
        expect(said).toContain('AgentCore emulator listening on http://127.0.0.1:8787');
        continue;
      }
      const run = await sh(line, project, env);
      expect(run.code, `${line}\n${run.stderr}`).toBe(0);
      outputs.push(run);
    }
    const [dir, stdin, json, html, demo, agentcore] = outputs as Run[];
    expect(dir?.stdout).toMatch(/^total 455\nfigure 1: figures\/[0-9a-f]{32}-figure-1\.png /);
    expect(stdin?.stdout).toBe('1\n');
    // --json with the default dir: sink carries the figure's file, not its bytes.
    const result = JSON.parse(json?.stdout ?? '');
    expect(result.figures[0]).toMatchObject({ mediaType: 'image/svg+xml', sink: 'local-dir' });
    expect(result.figures[0].url).toMatch(/^file:\/\/.*-figure-1\.svg$/);
    expect((await stat(result.figures[0].path)).isFile()).toBe(true);
    expect(html?.stdout).toMatch(/^report: report\.html {2}[\d,]+ bytes$/m);
    expect(demo?.stdout).toMatch(/^figure 2: figures\/[0-9a-f]{32}-figure-2\.png /m);
    // The emulator flow: no credentials in the environment, yet it ran; the AWS SDK's
    // eight-line warning became one line.
    expect(agentcore?.stdout).toMatch(/^total 455\nfigure 1: figures\/[0-9a-f]{32}-figure-1\.png /);
    expect(agentcore?.stderr).not.toContain('NodeVersionSupportWarning');
    expect(agentcore?.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(1);
  }, 180_000);

  it('marks the lines that need AWS, and their options exist (each --help answers)', async () => {
    const [, aws] = blocks('Command line');
    expect(readme).toContain('These need AWS credentials');
    const lines = commands(aws?.code ?? '');
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      const run = await sh(`${line} --help`, project, env);
      expect(run.code, `${line} --help\n${run.stderr}`).toBe(0);
      expect(run.stdout).toMatch(/^Usage: sandplot (run|mcp|doctor)/);
    }
  });
});
