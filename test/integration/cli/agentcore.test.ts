import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentCoreEmulator, startAgentCoreEmulator } from '../../../src/testing.js';
import { emulatorEnvironment } from '../../support/agentcore-clients.js';
import { assertBuildIsCurrent, cliPath, runCli } from '../../support/cli.js';
import sales from '../../support/fixtures/sales.json' with { type: 'json' };
import { isSalesFigureSize, pngSize } from '../../support/png.js';

describe('sandplot with --backend agentcore', () => {
  let emulator: AgentCoreEmulator;
  beforeAll(async () => {
    emulator = await startAgentCoreEmulator({ verifySignatures: true });
  });
  afterAll(() => emulator.close());

  it('runs the demo against the emulator and stops the session it started', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'sandplot-demo-agentcore-'));
    const before = emulator.stats.started;
    const run = await runCli(['demo', '--backend', 'agentcore', '--endpoint', emulator.endpoint], {
      cwd,
      env: emulatorEnvironment,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/agentcore backend/);
    for (const [product, growth] of Object.entries(sales.expected.overall_growth_pct)) {
      expect(run.stdout).toContain(`  ${product}: ${growth.toFixed(1)}%`);
    }
    for (const [product, rates] of Object.entries(sales.expected.period_growth_pct_1dp)) {
      expect(run.stdout).toContain(
        `  ${product}: ${rates.map((rate) => rate.toFixed(1)).join(', ')}`,
      );
    }
    const paths = [...run.stdout.matchAll(/^figure \d+: (\S+)/gm)].map(
      (match) => match[1] as string,
    );
    expect(paths).toHaveLength(2);
    for (const path of paths) {
      expect(isSalesFigureSize(pngSize(await readFile(join(cwd, path))))).toBe(true);
    }
    expect(emulator.stats.started - before).toBe(1);
    expect(emulator.stats.active).toBe(0);
  });

  it('refuses --endpoint without --backend agentcore, and a bad backend name', async () => {
    const local = await runCli(['run', '-', '--endpoint', emulator.endpoint], {
      input: 'print(1)',
    });
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/--endpoint and --region go with --backend agentcore/);
    const unknown = await runCli(['run', '-', '--backend', 'lambda'], { input: 'print(1)' });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--backend must be local or agentcore/);
  });
});

describe('sandplot emulator', () => {
  it('serves the emulator until SIGINT, then stops every session', async () => {
    assertBuildIsCurrent();
    const child = spawn(process.execPath, [cliPath, 'emulator', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const endpoint = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match) resolve(match[1] as string);
      });
      child.once('exit', () => reject(new Error(`emulator exited early: ${stderr}`)));
    });
    const cwd = await mkdtemp(join(tmpdir(), 'sandplot-run-agentcore-'));
    const run = await runCli(
      ['run', '-', '--backend', 'agentcore', '--endpoint', endpoint, '--json'],
      {
        cwd,
        env: emulatorEnvironment,
        input: 'x = 6 * 7\nprint(x)\n',
      },
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ stdout: '42\n', isError: false });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(stderr).toMatch(/emulator stopped: 1 session\(s\) started, 1 stopped/);
  });
});
