import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
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

  it('with a loopback --endpoint and no credentials, signs with the emulator credentials; the Node note is one line, none with --quiet', async () => {
    // A new user's shell: no AWS credentials, no profile, the AWS SDK's warning not silenced.
    const bare = {
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_PROFILE: '',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '',
      HOME: await mkdtemp(join(tmpdir(), 'sandplot-home-')),
    };
    const args = ['run', '-', '--backend', 'agentcore', '--endpoint', emulator.endpoint];
    const run = await runCli(args, { env: bare, input: 'print(6 * 7)\n' });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('42\n');
    const major = Number.parseInt(process.versions.node, 10);
    expect(run.stderr).toBe(
      major < 22
        ? `sandplot: note: AWS SDK releases after the first week of January 2027 need Node 22 or newer; this is Node ${process.versions.node} (--quiet hides this note)\n`
        : '',
    );
    const quiet = await runCli([...args, '--quiet'], { env: bare, input: 'print(1)\n' });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    // Credentials the person set are theirs: the command does not replace them.
    const wrong = await runCli([...args, '--quiet'], {
      env: { ...bare, AWS_ACCESS_KEY_ID: 'AKIDSOMEONE', AWS_SECRET_ACCESS_KEY: 'not-the-secret' },
      input: 'print(1)\n',
    });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(wrong.stderr).not.toMatch(/\n\s+at /);
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
  it('says in --help which credentials it accepts and that the commands use its own', async () => {
    const help = await runCli(['emulator', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/accepts requests signed with any AWS credentials/);
    expect(help.stdout).toMatch(
      /with a loopback --endpoint and\s+no AWS credentials in the environment/,
    );
  });

  it('a port in use is one line and exit 2', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const busy = await runCli(['emulator', '--port', String(port)]);
    server.close();
    expect(busy.code).toBe(2);
    expect(busy.stderr).toMatch(
      /^sandplot: --port \d+ cannot be used \(another program is listening on it\): choose another port, or --port 0 for any free one\. \[CONFIG_INVALID\]\n$/,
    );
  });

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
