import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  type CallToolResult,
  ResourceListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { type CreateMcpServerOptions, createMcpServer } from '../../src/adapters/mcp.js';
import { localBackend } from '../../src/backends/local.js';
import { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { localDirSink } from '../../src/sinks/local-dir.js';
import {
  failingCode,
  isPng,
  SHAREABLE_HOST,
  salesAnalysisCode,
  salesSandbox,
  shareableTestSink,
} from '../support/adapter-fixtures.js';
import { isSalesFigureSize, pngSize, SALES_FIGURE_LINE } from '../support/png.js';

let sandbox: CodeSandbox | undefined;
let client: Client | undefined;
afterEach(async () => {
  await client?.close();
  await sandbox?.close();
  client = undefined;
  sandbox = undefined;
});

/** A real MCP client connected in-process to createMcpServer(sandbox). */
async function connect(options: CreateMcpServerOptions = {}) {
  const server = createMcpServer(sandbox as CodeSandbox, options);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  client = new Client({ name: 'sandplot-test', version: '1.0.0' });
  let listChanged = 0;
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
    listChanged++;
  });
  await client.connect(clientTransport);
  return { client, server, listChanged: () => listChanged };
}

async function call(args: Record<string, unknown>) {
  const result = (await (client as Client).callTool({
    name: 'execute_python',
    arguments: args,
  })) as CallToolResult;
  const text = result.content.flatMap((block) => (block.type === 'text' ? [block.text] : []));
  const images = result.content.flatMap((block) => (block.type === 'image' ? [block] : []));
  const links = result.content.flatMap((block) => (block.type === 'resource_link' ? [block] : []));
  return { result, text: text.join('\n'), images, links };
}

describe('createMcpServer with a real MCP client', () => {
  it('offers execute_python with its JSON Schema and answers the sales analysis with text and PNGs', async () => {
    sandbox = await salesSandbox();
    const { listChanged } = await connect();
    const { tools } = await (client as Client).listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['execute_python']);
    expect(tools[0]?.description).toMatch(/every matplotlib figure is captured automatically/i);
    expect(tools[0]?.inputSchema).toMatchObject({
      type: 'object',
      properties: { code: { type: 'string' }, description: { type: 'string' } },
      required: ['code'],
    });

    const { result, text, images, links } = await call({
      code: salesAnalysisCode,
      description: 'sales analysis',
    });
    expect(result.isError).toBe(false);
    expect(text).toContain('Product A: 100.0%');
    expect(text).toMatch(SALES_FIGURE_LINE);
    expect(text).not.toMatch(/data:|base64,|iVBORw0KGgo/);
    expect(images).toHaveLength(2);
    for (const image of images) {
      expect(image.mimeType).toBe('image/png');
      expect(isSalesFigureSize(pngSize(Buffer.from(image.data, 'base64')))).toBe(true);
    }
    // base64 figures are attached, and data: URLs are not links worth sending.
    expect(links).toEqual([]);
    await expect.poll(listChanged).toBe(1);

    const { resources } = await (client as Client).listResources();
    expect(resources).toEqual([
      expect.objectContaining({
        uri: 'sandplot://figures/1',
        name: 'figure 1',
        title: 'Sales trends',
        mimeType: 'image/png',
        description: 'sales analysis',
      }),
      expect.objectContaining({
        uri: 'sandplot://figures/2',
        name: 'figure 2',
        title: 'Period-over-period growth (%)',
      }),
    ]);
    const read = await (client as Client).readResource({ uri: 'sandplot://figures/2' });
    const content = read.contents[0] as { uri: string; mimeType: string; blob: string };
    expect(content.uri).toBe('sandplot://figures/2');
    expect(content.mimeType).toBe('image/png');
    expect(content.blob).toBe(images[1]?.data);
  });

  it('links figures by their https URL when the sink gives one', async () => {
    sandbox = await salesSandbox(shareableTestSink());
    await connect();
    const { images, links } = await call({ code: salesAnalysisCode });
    expect(images).toHaveLength(2);
    expect(links.map((link) => [link.name, link.title, link.mimeType])).toEqual([
      ['figure 1', 'Sales trends', 'image/png'],
      ['figure 2', 'Period-over-period growth (%)', 'image/png'],
    ]);
    expect(links.every((link) => link.uri.startsWith(`${SHAREABLE_HOST}/`))).toBe(true);
  });

  it('clips a hostile figure title and a long description in resource links and the resource list', async () => {
    sandbox = await salesSandbox(shareableTestSink());
    await connect();
    const { text, links } = await call({
      code: `import matplotlib.pyplot as plt
plt.plot([1, 2])
plt.gca().set_title("[click](https://attacker.example) " + "T" * 1_000_000)
plt.gca().title.set_visible(False)
`,
      description: 'd'.repeat(5000),
    });
    expect(text.length).toBeLessThanOrEqual(20_000);
    expect(links).toHaveLength(1);
    // Before: the title went out whole (1,000,035 characters) in the link and the list.
    expect(links[0]?.title).toHaveLength(200);
    expect(links[0]?.title?.startsWith('[click](https://attacker.example) TTT')).toBe(true);
    expect(links[0]?.description).toHaveLength(500);
    const { resources } = await (client as Client).listResources();
    expect(resources[0]?.title).toBe(links[0]?.title);
    expect(resources[0]?.description).toBe(links[0]?.description);
  });

  it('marks a failing script as an error result, with the traceback and the figure attached', async () => {
    sandbox = await salesSandbox();
    await connect();
    const { result, text, images } = await call({ code: failingCode });
    expect(result.isError).toBe(true);
    expect(text).toMatch(/^Error: ZeroDivisionError: division by zero\nTraceback/m);
    expect(images).toHaveLength(1);
    expect(isPng(Buffer.from(images[0]?.data ?? '', 'base64'))).toBe(true);
  });

  it('answers invalid arguments with an error result, and the code does not run', async () => {
    sandbox = await salesSandbox();
    await connect();
    const { result, text } = await call({ source: 'print(1)' });
    expect(result.isError).toBe(true);
    expect(text).toMatch(/Invalid arguments for tool execute_python: .*code/s);
    expect(sandbox.sessionId).toBeDefined(); // the session writeFiles started
    const empty = await call({ code: '' });
    expect(empty.result.isError).toBe(true);
  });

  it('serves figures that were not attached (SVG) as resources, and links them', async () => {
    sandbox = new CodeSandbox({ backend: localBackend(), capture: { format: 'svg' } });
    await connect();
    const { text, images, links } = await call({
      code: 'import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.title("Vector")\n',
    });
    expect(images).toEqual([]);
    expect(text).toMatch(/figure 1, "Vector", .*not attached as an image/);
    expect(links).toEqual([
      expect.objectContaining({
        uri: 'sandplot://figures/1',
        name: 'figure 1',
        mimeType: 'image/svg+xml',
      }),
    ]);
    const read = await (client as Client).readResource({ uri: 'sandplot://figures/1' });
    const svg = Buffer.from((read.contents[0] as { blob: string }).blob, 'base64').toString();
    expect(svg).toMatch(/<svg[\s>]/);
  });

  it('reads figures again from their file when no bytes are cached, and rejects unknown figures', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandplot-mcp-figures-'));
    sandbox = await salesSandbox(localDirSink({ dir }));
    await connect({ maxCachedFigureBytes: 0 });
    const { images } = await call({ code: salesAnalysisCode });
    expect(images).toHaveLength(2);
    const read = await (client as Client).readResource({ uri: 'sandplot://figures/1' });
    expect((read.contents[0] as { blob: string }).blob).toBe(images[0]?.data);
    await expect((client as Client).readResource({ uri: 'sandplot://figures/3' })).rejects.toThrow(
      /no figure 3 in this session/,
    );
    await expect(
      (client as Client).readResource({ uri: 'sandplot://figures/zero' }),
    ).rejects.toThrow(/not found/);
  });

  it('closes the sandbox when the connection closes, unless told not to', async () => {
    sandbox = await salesSandbox();
    await connect();
    await call({ code: 'x = 41' });
    expect(sandbox.sessionId).toBeDefined();
    await (client as Client).close();
    await expect.poll(() => sandbox?.sessionId).toBeUndefined();
    await expect(sandbox.executePython('print(x)')).rejects.toMatchObject({
      code: 'SESSION_CLOSED',
    });

    sandbox = await salesSandbox();
    await connect({ closeSandboxOnClose: false, figureResources: false });
    await call({ code: 'x = 41' });
    await (client as Client).close();
    const after = await sandbox.executePython('print(x + 1)');
    expect(after.stdout).toBe('42\n');
  });

  it('interrupts the running code when the client cancels the call; the session lives on', async () => {
    sandbox = await salesSandbox();
    await connect();
    await call({ code: 'kept = 42' });
    const controller = new AbortController();
    const started = Date.now();
    const slow = (client as Client).callTool(
      { name: 'execute_python', arguments: { code: 'import time\ntime.sleep(30)' } },
      undefined,
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(new Error('user pressed stop')), 500);
    await expect(slow).rejects.toThrow(/user pressed stop/);
    const next = await call({ code: 'print(kept)' });
    expect(next.text).toBe('stdout:\n42\n');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('rejects invalid options with a ConfigError', () => {
    expect(() =>
      createMcpServer(new CodeSandbox({ backend: localBackend() }), { maxCachedFigureBytes: -1 }),
    ).toThrow(/maxCachedFigureBytes/);
  });
});
