import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuildIsCurrent } from '../support/cli.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The adapter entries, and the framework each needs (an optional peer dependency). */
const adapters = [
  ['sandplot/strands', 'strandsTool', '@strands-agents/sdk'],
  ['sandplot/langchain', 'langchainTool', '@langchain/core'],
  ['sandplot/ai', 'aiSdkTool', 'ai'],
  ['sandplot/mcp', 'createMcpServer', '@modelcontextprotocol/sdk'],
  ['sandplot/openai-agents', 'openAIAgentsTool', '@openai/agents'],
  // Not an adapter, but an entry with an optional peer all the same (node-redis).
  ['sandplot/redis', 'redisSessionStore', 'redis'],
] as const;

let project: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function node(args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { cwd: project });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

beforeAll(async () => {
  assertBuildIsCurrent();
  // A project with sandplot installed (a copy of the built package, so that Node looks for the
  // frameworks here and not in this repository) and zod and rate-limiter-flexible, the
  // dependencies these entries load.
  project = await mkdtemp(join(tmpdir(), 'sandplot-no-framework-'));
  const installed = join(project, 'node_modules', 'sandplot');
  await mkdir(installed, { recursive: true });
  await cp(join(root, 'package.json'), join(installed, 'package.json'));
  await cp(join(root, 'dist'), join(installed, 'dist'), {
    recursive: true,
    filter: (path) => !path.endsWith('.map') && !path.endsWith('.ts'),
  });
  for (const dependency of ['zod', 'rate-limiter-flexible']) {
    await symlink(
      join(root, 'node_modules', dependency),
      join(project, 'node_modules', dependency),
    );
  }
  await writeFile(join(project, 'package.json'), '{ "type": "module" }');
});

describe('an adapter whose framework is not installed', () => {
  it.each(adapters)(
    '%s names the package to install (import and require)',
    async (entry, name, peer) => {
      // A user's module that imports the adapter as the README shows.
      await writeFile(
        join(project, 'agent.mjs'),
        `import { ${name} } from '${entry}';\n${name};\n`,
      );
      const imported = await node(['agent.mjs']);
      expect(imported.code).toBe(1);
      // The error Node prints is ours (Node's own is only its cause).
      const thrown = imported.stderr.split('\n').find((line) => /^\w*Error\b/.test(line));
      expect(thrown).toMatch(
        new RegExp(
          `^ConfigError: ${entry} needs ${peer}, which is not installed: npm install ${peer} \\(`,
        ),
      );

      const report = (how: string) =>
        `${how}.then(() => console.log('loaded'), (error) => console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message })))`;
      const esm = await node(['--input-type=module', '-e', report(`import('${entry}')`)]);
      const cjs = await node([
        '--input-type=commonjs',
        '-e',
        report(`new Promise((resolve) => resolve(require('${entry}')))`),
      ]);
      for (const run of [esm, cjs]) {
        const error = JSON.parse(run.stdout);
        expect(error).toMatchObject({ name: 'ConfigError', code: 'BACKEND_UNAVAILABLE' });
        expect(error.message).toMatch(
          new RegExp(
            `^${entry} needs ${peer}, which is not installed: npm install ${peer} \\(sandplot supports [^)]+\\)\\.$`,
          ),
        );
      }
    },
  );

  it('loads as before once the framework is there', async () => {
    await symlink(join(root, 'node_modules', 'ai'), join(project, 'node_modules', 'ai'));
    const run = await node([
      '--input-type=module',
      '-e',
      "const { aiSdkTool } = await import('sandplot/ai'); console.log(typeof aiSdkTool);",
    ]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('function\n');
  });
});
