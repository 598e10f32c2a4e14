import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { errorMessage } from '../../errors/index.js';
import type { ControlPlane, EmulatorCounts, SessionRoute } from './control-plane.js';
import type { AgentCoreOperation, CommandOutput } from './emulator-options.js';
import type { FaultQueue } from './faults.js';
import { answerInvoke } from './invoke-handler.js';
import type { OperationRateLimiter } from './rate-limit.js';
import { ServiceFault } from './service-fault.js';
import { checkSignature, type EmulatorCredentials } from './signature.js';

/** Everything the server's requests are answered from. */
export interface EmulatorServerContext {
  controlPlane: ControlPlane;
  faults: FaultQueue;
  counts: EmulatorCounts;
  rateLimiter: OperationRateLimiter;
  /** The key pair signatures are checked against; undefined when they are not checked. */
  verifyCredentials: EmulatorCredentials | undefined;
  commandOutput: CommandOutput;
}

/**
 * How long an idle keep-alive connection stays open. Node's default (5 s) is shorter than the
 * time a pooled client connection may sit idle, so the server closed sockets just as the SDK
 * reused them, and a request died with ECONNRESET before it was read. A minute, like the load
 * balancers in front of AWS services; the headers timeout must exceed it.
 */
const KEEP_ALIVE_TIMEOUT_MS = 60_000;

type Route = SessionRoute | 'tools/invoke';

const OPERATIONS: Record<Route, AgentCoreOperation> = {
  'sessions/start': 'StartCodeInterpreterSession',
  'sessions/stop': 'StopCodeInterpreterSession',
  'sessions/get': 'GetCodeInterpreterSession',
  'sessions/list': 'ListCodeInterpreterSessions',
  'tools/invoke': 'InvokeCodeInterpreter',
};

const ROUTE =
  /^\/code-interpreters\/([^/]+)\/(sessions\/start|sessions\/stop|sessions\/get|sessions\/list|tools\/invoke)$/;
const METHODS: Record<Route, string> = {
  'sessions/start': 'PUT',
  'sessions/stop': 'PUT',
  'sessions/get': 'GET',
  'sessions/list': 'POST',
  'tools/invoke': 'POST',
};

/** Starts the HTTP server on 127.0.0.1:`port` (0: any free port). */
export async function startEmulatorServer(
  context: EmulatorServerContext,
  port: number,
): Promise<Server> {
  const server = createServer((request, response) => {
    handle(context, request, response).catch((error: unknown) => {
      const fault =
        error instanceof ServiceFault
          ? error
          : new ServiceFault(500, 'InternalServerException', errorMessage(error));
      if (response.headersSent) {
        response.end();
        return;
      }
      const json = JSON.stringify({ message: fault.message, ...fault.extra });
      response.writeHead(fault.status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(json),
        'x-amzn-errortype': fault.type,
        'x-amzn-requestid': randomUUID(),
      });
      response.end(json);
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/**
 * One request: the signature is checked, the route and method matched, the body parsed, the
 * rate limit and the queued call faults applied, then the operation answered.
 */
async function handle(
  context: EmulatorServerContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { controlPlane, faults, counts, rateLimiter, verifyCredentials } = context;
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  if (verifyCredentials !== undefined) {
    const problem = await checkSignature(
      {
        method: request.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: request.headers,
        body: new Uint8Array(raw),
      },
      verifyCredentials,
    );
    if (problem !== undefined) {
      const type = problem.includes('security token')
        ? 'UnrecognizedClientException'
        : 'InvalidSignatureException';
      throw new ServiceFault(403, type, problem);
    }
  }
  const match = ROUTE.exec(url.pathname);
  const route = match?.[2] as Route | undefined;
  if (match === null || route === undefined || METHODS[route] !== request.method) {
    throw new ServiceFault(
      404,
      'UnknownOperationException',
      `No operation at ${request.method} ${url.pathname}.`,
    );
  }
  const identifier = decodeURIComponent(match[1] as string);
  let body: Record<string, unknown> = {};
  if (raw.length > 0) {
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new ServiceFault(400, 'SerializationException', 'The request body is not JSON.');
    }
  }
  if (!rateLimiter.admit(OPERATIONS[route])) {
    counts.throttled++;
    throw new ServiceFault(429, 'ThrottlingException', 'Rate exceeded');
  }
  const fault = faults.takeCallFault();
  if (fault === 'throttle') throw new ServiceFault(429, 'ThrottlingException', 'Rate exceeded');
  if (fault === 'server') {
    throw new ServiceFault(500, 'InternalServerException', 'Internal server error (injected)');
  }
  if (route === 'tools/invoke') {
    await answerInvoke(
      { controlPlane, faults, counts, commandOutput: context.commandOutput },
      identifier,
      body,
      request,
      response,
    );
    return;
  }
  const answer = await controlPlane.answer(route, identifier, body, url);
  if (faults.takeDroppedAnswer(OPERATIONS[route])) {
    response.socket?.destroy();
    return;
  }
  const json = JSON.stringify(answer);
  response.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(json);
}
