import { createServer, type Http2ServerRequest, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';

/** One Converse request as the server received it (JSON, image bytes as base64 strings). */
export interface ConverseRequestRecord {
  modelId: string;
  body: {
    messages: { role: string; content: Record<string, unknown>[] }[];
    system?: { text: string }[];
    toolConfig?: {
      tools: { toolSpec: { name: string; description: string; inputSchema: { json: unknown } } }[];
    };
  };
  authorization: string | undefined;
}

/** What the scripted model answers: the assistant's content blocks and the stop reason. */
export interface ScriptedTurn {
  content: Record<string, unknown>[];
  stopReason: 'tool_use' | 'end_turn' | 'max_tokens';
}

export interface ScriptedConverseServer {
  endpoint: string;
  requests: ConverseRequestRecord[];
  /** The real BedrockRuntimeClient, pointed at this server with static credentials. */
  client(): BedrockRuntimeClient;
  close(): Promise<void>;
}

/**
 * A loopback server speaking the Converse wire protocol (restJson1: `POST /model/{modelId}/converse`,
 * JSON in and out) that answers from a script, one turn per request. The real AWS SDK client talks
 * to it over cleartext HTTP/2 (BedrockRuntimeClient's default handler is HTTP/2); the server checks
 * that requests are SigV4-signed and records them for assertions.
 */
export async function startScriptedConverseServer(
  script: (request: ConverseRequestRecord, step: number) => ScriptedTurn,
): Promise<ScriptedConverseServer> {
  const requests: ConverseRequestRecord[] = [];
  const server = createServer(async (request, response) => {
    const match = /^\/model\/([^/]+)\/converse$/.exec(request.url ?? '');
    if (request.method !== 'POST' || !match) {
      response
        .writeHead(404, {
          'content-type': 'application/json',
          'x-amzn-errortype': 'UnknownOperationException',
        })
        .end(JSON.stringify({ message: `no route ${request.method} ${request.url}` }));
      return;
    }
    const authorization = request.headers.authorization;
    if (!authorization?.startsWith('AWS4-HMAC-SHA256 Credential=')) {
      response
        .writeHead(403, {
          'content-type': 'application/json',
          'x-amzn-errortype': 'AccessDeniedException',
        })
        .end(JSON.stringify({ message: 'missing SigV4 signature' }));
      return;
    }
    const record: ConverseRequestRecord = {
      modelId: decodeURIComponent(match[1] as string),
      body: JSON.parse(await readBody(request)),
      authorization,
    };
    requests.push(record);
    let turn: ScriptedTurn;
    try {
      turn = script(record, requests.length - 1);
    } catch (error) {
      response
        .writeHead(400, {
          'content-type': 'application/json',
          'x-amzn-errortype': 'ValidationException',
        })
        .end(JSON.stringify({ message: String(error) }));
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        output: { message: { role: 'assistant', content: turn.content } },
        stopReason: turn.stopReason,
        usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120 },
        metrics: { latencyMs: 5 },
      }),
    );
  });
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    requests,
    client: () =>
      new BedrockRuntimeClient({
        region: 'us-east-1',
        endpoint,
        maxAttempts: 1,
        credentials: { accessKeyId: 'AKIDSCRIPTED', secretAccessKey: 'scripted-secret' },
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}

async function readBody(request: Http2ServerRequest): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
