import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { type CreateMcpServerOptions, createMcpServer } from '../../src/adapters/mcp.js';
import { localBackend } from '../../src/backends/local.js';
import { createSandboxPool, type SandboxPool } from '../../src/sandbox/pool.js';
import { getFigureLedger } from '../../src/tool/figure-ledger.js';
import { firstCode, secondCode } from '../support/adapter-fixtures.js';
import { describeAdapterPoolContract, type ToolReply } from './support/pool-contract.js';

/**
 * A real MCP client connected in-process to its own createMcpServer(pool). With a transport
 * session id the server sees it as `extra.sessionId`, as with Streamable HTTP sessions.
 */
async function connect(
  pool: SandboxPool,
  options: CreateMcpServerOptions = {},
  transportSessionId?: string,
): Promise<Client> {
  const server = createMcpServer(pool, options);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  if (transportSessionId !== undefined) serverTransport.sessionId = transportSessionId;
  await server.connect(serverTransport);
  const client = new Client({ name: 'sandplot-pool-test', version: '1.0.0' });
  await client.connect(clientTransport);
  return client;
}

async function call(client: Client, code: string): Promise<ToolReply> {
  const result = (await client.callTool({
    name: 'execute_python',
    arguments: { code },
  })) as CallToolResult;
  return {
    isError: result.isError === true,
    text: result.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('\n'),
    images: result.content.flatMap((block) =>
      block.type === 'image' ? [new Uint8Array(Buffer.from(block.data, 'base64'))] : [],
    ),
  };
}

describeAdapterPoolContract('createMcpServer', (pool) => {
  // One client (and server) per conversation, kept across runs: closing it closes the conversation.
  const clients = new Map<string | undefined, Client>();
  const clientOf = async (conversationId: string | undefined) => {
    let client = clients.get(conversationId);
    if (!client) {
      client =
        conversationId === undefined
          ? await connect(pool, { conversationId: () => undefined })
          : await connect(pool, {}, conversationId);
      clients.set(conversationId, client);
    }
    return client;
  };
  return {
    conversationIdHelp: /extra\.sessionId/,
    async run(conversationId, codes) {
      const client = await clientOf(conversationId);
      const replies: ToolReply[] = [];
      for (const code of codes) replies.push(await call(client, code));
      return replies;
    },
    async figures(conversationId) {
      const { resources } = await (await clientOf(conversationId)).listResources();
      return resources.map((resource) => ({ label: resource.name, title: resource.title }));
    },
    async close() {
      for (const client of clients.values()) await client.close();
    },
  };
});

describe('createMcpServer on a pool: figure resources and closing', () => {
  let pool: SandboxPool | undefined;
  const clients: Client[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    await pool?.closeAll();
    pool = undefined;
  });
  const open = async (options: CreateMcpServerOptions = {}, transportSessionId?: string) => {
    const client = await connect(pool as SandboxPool, options, transportSessionId);
    clients.push(client);
    return client;
  };
  const closeClient = async (client: Client) => {
    clients.splice(clients.indexOf(client), 1);
    await client.close();
  };

  it("reads a conversation's figures as resources, and only its own", async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const alpha = await open();
    const beta = await open();
    const first = await call(alpha, firstCode('alpha'));
    await call(beta, firstCode('beta'));
    const read = await alpha.readResource({ uri: 'sandplot://figures/1' });
    const blob = (read.contents[0] as { blob: string }).blob;
    expect(Buffer.from(blob, 'base64').equals(Buffer.from(first.images[0] ?? []))).toBe(true);
    await expect(alpha.readResource({ uri: 'sandplot://figures/2' })).rejects.toThrow(
      /no figure 2 in this session/,
    );
    const lost = await open({ conversationId: () => undefined });
    expect((await lost.listResources()).resources).toEqual([]);
    await expect(lost.readResource({ uri: 'sandplot://figures/1' })).rejects.toThrow(/not found/);
  }, 60_000);

  it('closing one client closes only its conversation, never the pool', async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const alpha = await open();
    const beta = await open();
    await Promise.all([call(alpha, firstCode('alpha')), call(beta, firstCode('beta'))]);
    expect(pool.stats()).toMatchObject({ started: 2, stopped: 0 });

    await closeClient(alpha);
    await expect.poll(() => pool?.stats().stopped).toBe(1);
    expect(pool.stats()).toMatchObject({ started: 2, active: 0, idle: 1 });
    expect((await call(beta, secondCode)).text).toContain('secret is beta');
    expect((await beta.listResources()).resources).toHaveLength(1);
  }, 60_000);

  it('uses the transport session id by default, and forgets its figures when the client closes', async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const client = await open({}, 'session-a');
    await call(client, firstCode('alpha'));
    expect((await pool.executePython('session-a', 'print(secret)')).stdout).toBe('alpha\n');
    expect(getFigureLedger(pool, 'session-a').figures).toHaveLength(1);

    await closeClient(client);
    await expect.poll(() => pool?.stats().stopped).toBe(1);
    expect(getFigureLedger(pool, 'session-a').figures).toEqual([]);
  }, 60_000);

  it('takes the conversation id from the conversationId option, and keeps it open when told', async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const client = await open({
      conversationId: (extra) => `user-${extra.authInfo?.clientId ?? 'anonymous'}`,
      closeSandboxOnClose: false,
    });
    await call(client, firstCode('gamma'));
    await closeClient(client);
    expect(pool.stats()).toMatchObject({ started: 1, stopped: 0 });
    expect((await pool.executePython('user-anonymous', 'print(secret)')).stdout).toBe('gamma\n');
  }, 60_000);
});
