import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  getDefaultEnvironment,
  StdioClientTransport,
} from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { salesAnalysisCode, salesSeries } from '../../../src/cli/sales-analysis.js';
import { type AgentCoreEmulator, startAgentCoreEmulator } from '../../../src/testing.js';
import { emulatorEnvironment } from '../../support/agentcore-clients.js';
import { assertBuildIsCurrent, cliPath } from '../../support/cli.js';
import sales from '../../support/fixtures/sales.json' with { type: 'json' };
import { isSalesFigureSize, pngSize } from '../../support/png.js';

/** The sales analysis with its data written first: an MCP client has no other way to send files. */
const salesCode = `import json\nwith open("sales.json", "w") as f:\n    json.dump(${JSON.stringify(salesSeries)}, f)\n\n${salesAnalysisCode}`;

/** Spawns the built `sandplot mcp` as an MCP client would, and connects a real MCP client. */
async function startServer(args: string[], env: Record<string, string> = {}) {
  assertBuildIsCurrent();
  const cwd = await mkdtemp(join(tmpdir(), 'sandplot-mcp-cli-'));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cliPath, 'mcp', ...args],
    cwd,
    env: { ...getDefaultEnvironment(), ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'sandplot-cli-test', version: '1.0.0' });
  await client.connect(transport);
  const pid = transport.pid;
  if (pid === null) throw new Error('the server process did not start');
  return { client, transport, cwd, pid, stderr: () => stderr };
}

async function callPython(client: Client, args: Record<string, unknown>) {
  return (await client.callTool({ name: 'execute_python', arguments: args })) as CallToolResult;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('sandplot mcp (stdio)', () => {
  it('serves execute_python: the sales analysis comes back as text and PNG images', async () => {
    const { client, pid, stderr } = await startServer([]);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['execute_python']);

    const result = await callPython(client, { code: salesCode, description: 'sales analysis' });
    expect(result.isError, JSON.stringify(result.content[0])).toBe(false);
    const text = result.content.flatMap((block) => (block.type === 'text' ? [block.text] : []));
    for (const [product, growth] of Object.entries(sales.expected.overall_growth_pct)) {
      expect(text.join('\n')).toContain(`  ${product}: ${growth.toFixed(1)}%`);
    }
    const images = result.content.flatMap((block) => (block.type === 'image' ? [block] : []));
    expect(images.map((image) => image.mimeType)).toEqual(['image/png', 'image/png']);
    for (const image of images) {
      expect(isSalesFigureSize(pngSize(Buffer.from(image.data, 'base64')))).toBe(true);
    }
    const { resources } = await client.listResources();
    // The analysis wrote its data to sales.json first: a file of the session, like the figures.
    expect(resources.map((resource) => [resource.uri, resource.title])).toEqual([
      ['sandplot://files/sales.json', 'sales.json'],
      ['sandplot://figures/1', 'Sales trends'],
      ['sandplot://figures/2', 'Period-over-period growth (%)'],
    ]);
    const file = await client.readResource({ uri: 'sandplot://files/sales.json' });
    const [content] = file.contents;
    expect(content?.mimeType).toBe('application/json');
    expect(
      JSON.parse(
        Buffer.from(String(content && 'blob' in content ? content.blob : ''), 'base64').toString(
          'utf8',
        ),
      ),
    ).toEqual(sales.series);

    const bad = await callPython(client, { script: 'print(1)' });
    expect(bad.isError).toBe(true);
    expect(bad.content[0]).toMatchObject({
      type: 'text',
      text: expect.stringMatching(/Invalid arguments for tool execute_python/),
    });
    // The session survived the bad call: state persists.
    const after = await callPython(client, { code: 'print(len(sales))' });
    expect(after.content[0]).toMatchObject({ type: 'text', text: 'stdout:\n7\n' });

    await client.close();
    await expect.poll(() => isRunning(pid), { timeout: 5_000 }).toBe(false);
    expect(stderr()).toMatch(/the client disconnected; closing the sandbox session/);
    expect(stderr()).toMatch(/sandbox session closed/);
  }, 60_000);

  it('stores figures in a folder with --sink dir:PATH', async () => {
    const { client, cwd } = await startServer(['--sink', 'dir:out']);
    const result = await callPython(client, {
      code: 'import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.title("One line")\n',
    });
    expect(result.content.map((block) => block.type)).toEqual(['text', 'image']);
    const read = await client.readResource({ uri: 'sandplot://figures/1' });
    const blob = Buffer.from((read.contents[0] as { blob: string }).blob, 'base64');
    const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
    expect(text).toMatch(/figure 1, "One line"/);
    await client.close();
    const { readdir } = await import('node:fs/promises');
    const files = await readdir(join(cwd, 'out'), { recursive: true });
    const png = files.find((file) => String(file).endsWith('.png'));
    expect(png).toBeDefined();
    expect(await readFile(join(cwd, 'out', String(png)))).toEqual(blob);
  }, 60_000);

  it('refuses bad options before speaking MCP', async () => {
    assertBuildIsCurrent();
    const { runCli } = await import('../../support/cli.js');
    const run = await runCli(['mcp', '--images', 'sometimes']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/--images must be auto, always or never/);
    const help = await runCli(['mcp', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: sandplot mcp/);
  });
});

describe('sandplot mcp --backend agentcore', () => {
  let emulator: AgentCoreEmulator;
  beforeAll(async () => {
    emulator = await startAgentCoreEmulator({ verifySignatures: true });
  });
  afterAll(() => emulator.close());

  it('stops the AgentCore session when the client disconnects', async () => {
    const before = { started: emulator.stats.started, stopped: emulator.stats.stopped };
    const { client, pid, stderr } = await startServer(
      ['--backend', 'agentcore', '--endpoint', emulator.endpoint],
      emulatorEnvironment,
    );
    const result = await callPython(client, { code: salesCode });
    expect(result.isError, JSON.stringify(result.content[0])).toBe(false);
    expect(result.content.filter((block) => block.type === 'image')).toHaveLength(2);
    expect(emulator.stats.active).toBe(1);

    const closing = Date.now();
    await client.close();
    // Well before the client's 2 s SIGTERM: the server saw standard input end and stopped.
    expect(Date.now() - closing).toBeLessThan(1_900);
    await expect.poll(() => isRunning(pid), { timeout: 5_000 }).toBe(false);
    expect(emulator.stats.started - before.started).toBe(1);
    expect(emulator.stats.stopped - before.stopped).toBe(1);
    expect(emulator.stats.active).toBe(0);
    expect(stderr()).toMatch(/the client disconnected/);
  }, 60_000);

  it('stops the session on SIGTERM too', async () => {
    const { client, transport, pid, stderr } = await startServer(
      ['--backend', 'agentcore', '--endpoint', emulator.endpoint],
      emulatorEnvironment,
    );
    const result = await callPython(client, { code: 'x = 1' });
    expect(result.isError, JSON.stringify(result.content[0])).toBe(false);
    expect(emulator.stats.active).toBe(1);
    process.kill(pid, 'SIGTERM');
    await expect.poll(() => isRunning(pid), { timeout: 5_000 }).toBe(false);
    expect(emulator.stats.active).toBe(0);
    expect(stderr()).toMatch(/received SIGTERM; closing the sandbox session/);
    await transport.close();
  }, 60_000);
});
