import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { type CreateMcpServerOptions, createMcpServer } from '../../src/adapters/mcp.js';
import { localBackend } from '../../src/backends/local.js';
import { createSandboxPool, type SandboxPool } from '../../src/sandbox/pool.js';
import { getFigureLedger } from '../../src/tool/figure-ledger.js';
import { firstCode, isPng, secondCode } from '../support/adapter-fixtures.js';

let pool: SandboxPool | undefined;
const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await pool?.closeAll();
  pool = undefined;
});

/** A real MCP client connected in-process to its own createMcpServer(pool). */
async function connect(
  options: CreateMcpServerOptions = {},
  transportSessionId?: string,
): Promise<Client> {
  const server = createMcpServer(pool as SandboxPool, options);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  // As a Streamable HTTP transport with sessions does: the SDK hands it to handlers as extra.sessionId.
  if (transportSessionId !== undefined) serverTransport.sessionId = transportSessionId;
  await server.connect(serverTransport);
  const client = new Client({ name: 'sandplot-pool-test', version: '1.0.0' });
  await client.connect(clientTransport);
  clients.push(client);
  return client;
}

async function call(client: Client, code: string) {
  const result = (await client.callTool({
    name: 'execute_python',
    arguments: { code },
  })) as CallToolResult;
  const text = result.content.flatMap((block) => (block.type === 'text' ? [block.text] : []));
  const images = result.content.flatMap((block) => (block.type === 'image' ? [block] : []));
  return { result, text: text.join('\n'), images };
}

describe('createMcpServer on a sandbox pool: one conversation per client', () => {
  it('serves two clients on one pool: own variables, own figures as resources', async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const alpha = await connect();
    const beta = await connect();
    const [alphaFirst, betaFirst] = await Promise.all([
      call(alpha, firstCode('alpha')),
      call(beta, firstCode('beta')),
    ]);
    for (const [name, first] of [
      ['alpha', alphaFirst],
      ['beta', betaFirst],
    ] as const) {
      expect(first.result.isError).toBe(false);
      expect(first.text).toContain('no secret yet');
      expect(first.text).toContain(`- figure 1, "${name} chart"`);
      expect(first.images).toHaveLength(1);
    }
    expect((await call(alpha, secondCode)).text).toContain('secret is alpha');
    expect((await call(beta, secondCode)).text).toContain('secret is beta');
    expect(pool.stats()).toMatchObject({ started: 2, stopped: 0 });

    for (const [name, client, first] of [
      ['alpha', alpha, alphaFirst],
      ['beta', beta, betaFirst],
    ] as const) {
      const { resources } = await client.listResources();
      expect(resources).toEqual([
        expect.objectContaining({
          uri: 'sandplot://figures/1',
          name: 'figure 1',
          title: `${name} chart`,
        }),
      ]);
      const read = await client.readResource({ uri: 'sandplot://figures/1' });
      const blob = (read.contents[0] as { blob: string }).blob;
      expect(blob).toBe(first.images[0]?.data);
      expect(isPng(Buffer.from(blob, 'base64'))).toBe(true);
      await expect(client.readResource({ uri: 'sandplot://figures/2' })).rejects.toThrow(
        /no figure 2 in this session/,
      );
    }
  }, 60_000);

  it('closing one client closes only its conversation, never the pool', async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const alpha = await connect();
    const beta = await connect();
    await Promise.all([call(alpha, firstCode('alpha')), call(beta, firstCode('beta'))]);
    expect(pool.stats()).toMatchObject({ started: 2, stopped: 0 });

    await alpha.close();
    clients.splice(clients.indexOf(alpha), 1);
    await expect.poll(() => pool?.stats().stopped).toBe(1);
    expect(pool.stats()).toMatchObject({ started: 2, active: 0, idle: 1 });

    const after = await call(beta, secondCode);
    expect(after.text).toContain('secret is beta');
    expect((await beta.listResources()).resources).toHaveLength(1);
    expect(pool.stats()).toMatchObject({ started: 2, stopped: 1 });
  }, 60_000);

  it('uses the transport session id (Streamable HTTP) as the conversation id by default', async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const client = await connect({}, 'session-a');
    await call(client, firstCode('alpha'));
    const direct = await pool.executePython('session-a', 'print(secret)');
    expect(direct.stdout).toBe('alpha\n');
    expect(getFigureLedger(pool, 'session-a').figures).toHaveLength(1);

    await client.close();
    clients.splice(clients.indexOf(client), 1);
    await expect.poll(() => pool?.stats().stopped).toBe(1);
    expect(getFigureLedger(pool, 'session-a').figures).toEqual([]);
  }, 60_000);

  it('takes the conversation id from the conversationId option, and keeps it open when told', async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const client = await connect({
      conversationId: (extra) => `user-${extra.authInfo?.clientId ?? 'anonymous'}`,
      closeSandboxOnClose: false,
    });
    await call(client, firstCode('gamma'));
    expect((await pool.executePython('user-anonymous', 'print(secret)')).stdout).toBe('gamma\n');

    await client.close();
    clients.splice(clients.indexOf(client), 1);
    expect(pool.stats()).toMatchObject({ started: 1, stopped: 0 });
    expect((await pool.executePython('user-anonymous', 'print(secret)')).stdout).toBe('gamma\n');
  }, 60_000);

  it('answers with an error result when the conversationId function finds none', async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const client = await connect({ conversationId: () => undefined });
    const { result, text } = await call(client, 'print(1)');
    expect(result.isError).toBe(true);
    expect(text).toMatch(/did not say which conversation/);
    expect((await client.listResources()).resources).toEqual([]);
    await expect(client.readResource({ uri: 'sandplot://figures/1' })).rejects.toThrow(/not found/);
    expect(pool.stats().started).toBe(0);
  }, 60_000);
});
