import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentCoreEmulator, startAgentCoreEmulator } from '../../../src/testing.js';
import { emulatorEnvironment } from '../../support/agentcore-clients.js';
import { runCli } from '../../support/cli.js';

interface DoctorJson {
  ok: boolean;
  backend: string;
  checks: { name: string; status: string; found: string; fix?: string }[];
}

function statuses(report: DoctorJson): Record<string, string> {
  return Object.fromEntries(report.checks.map((check) => [check.name, check.status]));
}

describe('sandplot doctor', () => {
  it('passes locally and prints a table of what it checked', async () => {
    const run = await runCli(['doctor']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const check of [
      'python',
      'package matplotlib',
      'bubblewrap',
      'sandboxed print',
      'figure',
    ]) {
      expect(run.stdout).toMatch(new RegExp(`^${check} +ok `, 'm'));
    }
    expect(run.stdout).toMatch(/0 failed/);
  });

  it('prints JSON with --json', async () => {
    const run = await runCli(['doctor', '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as DoctorJson;
    expect(report.ok).toBe(true);
    expect(statuses(report)).toMatchObject({
      python: 'pass',
      'package IPython': 'pass',
      figure: 'pass',
    });
  });

  it('refuses AgentCore options for the local backend', async () => {
    const run = await runCli(['doctor', '--endpoint', 'http://127.0.0.1:1']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--endpoint goes with --backend agentcore');
  });

  describe('with --backend agentcore', () => {
    let emulator: AgentCoreEmulator;
    let terminal: AgentCoreEmulator;
    beforeAll(async () => {
      emulator = await startAgentCoreEmulator({ verifySignatures: true });
      terminal = await startAgentCoreEmulator({ commandOutput: 'terminal' });
    });
    afterAll(async () => {
      await emulator?.close();
      await terminal?.close();
    });

    it('passes against the emulator, checking every behaviour the backend relies on, and stops its sessions', async () => {
      const run = await runCli(
        ['doctor', '--backend', 'agentcore', '--endpoint', emulator.endpoint, '--json'],
        { env: emulatorEnvironment },
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as DoctorJson;
      expect(report.checks.filter((check) => check.status !== 'pass')).toEqual([]);
      expect(Object.keys(statuses(report))).toEqual([
        'credentials',
        'start session',
        'executeCode output',
        'variables persist',
        'figure round trip',
        'writeFiles/readFiles',
        'empty file',
        'missing file',
        'readFiles sees code files',
        'listFiles',
        'executeCommand',
        'executeCommand output',
        'background task',
        'stop session',
        'stopped session answers',
        'expired session answers',
      ]);
      expect(emulator.stats.active).toBe(0);
    }, 60_000);

    it('flags a terminal-style executeCommand as a difference, and still passes', async () => {
      const run = await runCli(
        ['doctor', '--backend', 'agentcore', '--endpoint', terminal.endpoint],
        {
          env: emulatorEnvironment,
        },
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        /^executeCommand +ok +stdout "out\\n", stderr "err\\n", exit code 3/m,
      );
      expect(run.stdout).toMatch(/^executeCommand output +warn +stderr merged into stdout, CRLF/m);
      expect(run.stdout).toContain("commandOutput: 'terminal'");
    }, 60_000);

    it('fails with exit code 1 and a fix for an unknown code interpreter', async () => {
      const run = await runCli(
        [
          'doctor',
          '--backend',
          'agentcore',
          '--endpoint',
          emulator.endpoint,
          '--identifier',
          'nope-1',
        ],
        { env: emulatorEnvironment },
      );
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^start session +FAIL +.*"nope-1"/m);
      expect(run.stdout).toMatch(/fix: check `--identifier` \(nope-1\)/);
      expect(run.stdout).toMatch(/^listFiles +skip/m);
    }, 60_000);
  });
});
