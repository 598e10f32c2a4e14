import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import type { SandboxBackend } from '../backends/types.js';
import { ConfigError, errorMessage } from '../errors/index.js';
import { EmulatedSession } from './agentcore-emulator/emulated-session.js';
import { encodeEvent, encodeException } from './agentcore-emulator/event-stream.js';
import {
  type AgentCoreEmulatorFaults,
  FaultQueue,
  type StreamExceptionType,
} from './agentcore-emulator/faults.js';
import { plainPythonBackend } from './agentcore-emulator/plain-python.js';
import { OperationRateLimiter } from './agentcore-emulator/rate-limit.js';
import {
  executeCode,
  executeCommand,
  getTask,
  listFiles,
  type ResultPayload,
  readFiles,
  rememberWorkingDirectory,
  removeFiles,
  startCommandExecution,
  stopTask,
  type ToolArgumentsJson,
  writeFiles,
} from './agentcore-emulator/session-tools.js';
import { checkSignature, type EmulatorCredentials } from './agentcore-emulator/signature.js';

export type { AgentCoreEmulatorFaults, StreamExceptionType } from './agentcore-emulator/faults.js';
export type { EmulatorCredentials } from './agentcore-emulator/signature.js';

export interface AgentCoreEmulatorOptions {
  /** Port on 127.0.0.1 to listen on. @default 0 (any free port) */
  port?: number;
  /** Where each emulated session's code runs. @default localBackend() */
  backend?: SandboxBackend;
  /** Check every request's SigV4 signature against `credentials`; a wrong one answers 403. @default false */
  verifySignatures?: boolean;
  /** The key pair signatures are checked against. @default { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' } */
  credentials?: EmulatorCredentials;
  /** Code interpreter identifiers that exist; others answer ResourceNotFoundException. @default ['aws.codeinterpreter.v1'] */
  identifiers?: string[];
  /** Sessions that may be READY at once; one more answers ServiceQuotaExceededException. @default 20 */
  maxActiveSessions?: number;
  /**
   * Requests each operation accepts in any one-second window, like the service's 30 TPS quota per
   * operation; one more answers HTTP 429 ThrottlingException. A number applies to every operation
   * separately; an object sets operations one by one (others unlimited).
   * @default undefined (no limit)
   */
  requestsPerSecond?: number | Partial<Record<AgentCoreOperation, number>>;
  /**
   * What runs each session's code when `backend` is not given. `'local'`: the sandboxed local
   * backend. `'plain-python'`: a plain, **unisolated** `python3` per session with nothing
   * preloaded, which starts in tens of milliseconds: for load tests of many sessions running
   * code you wrote yourself.
   * @default 'local'
   */
  sessionInterpreter?: 'local' | 'plain-python';
}

/** The data-plane operations the emulator answers, by their API names. */
export type AgentCoreOperation =
  | 'StartCodeInterpreterSession'
  | 'StopCodeInterpreterSession'
  | 'GetCodeInterpreterSession'
  | 'ListCodeInterpreterSessions'
  | 'InvokeCodeInterpreter';

/** Counts since the emulator started. */
export interface AgentCoreEmulatorStats {
  /** Sessions started with StartCodeInterpreterSession. */
  readonly started: number;
  /** Sessions stopped with StopCodeInterpreterSession. */
  readonly stopped: number;
  /** Sessions ended by their timeout (or `faults.expireSession`). */
  readonly expired: number;
  /** Sessions READY now. */
  readonly active: number;
  /** InvokeCodeInterpreter calls answered (faults included). */
  readonly invocations: number;
  /** Requests answered ThrottlingException because `requestsPerSecond` was exceeded (injected faults not counted). */
  readonly throttled: number;
  /** Session starts answered ServiceQuotaExceededException because of `maxActiveSessions`. */
  readonly quotaExceeded: number;
}

export interface AgentCoreEmulator {
  /** `http://127.0.0.1:<port>`: pass it as the client's `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  readonly stats: AgentCoreEmulatorStats;
  readonly faults: AgentCoreEmulatorFaults;
  /** Stops every session and the server. Idempotent. */
  close(): Promise<void>;
}

/** The default key pair of a signature-checking emulator. */
export const EMULATOR_CREDENTIALS: EmulatorCredentials = {
  accessKeyId: 'AKIDEMULATOR',
  secretAccessKey: 'emulator-secret',
};

const optionsSchema = z
  .object({
    port: z.number().int().min(0).max(65_535).optional(),
    backend: z
      .custom<SandboxBackend>(
        (value) =>
          typeof value === 'object' &&
          value !== null &&
          typeof (value as { createSession?: unknown }).createSession === 'function',
        { message: 'expected a backend such as localBackend()' },
      )
      .optional(),
    verifySignatures: z.boolean().optional(),
    credentials: z
      .object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) })
      .optional(),
    identifiers: z.array(z.string().min(1)).min(1).optional(),
    maxActiveSessions: z.number().int().positive().optional(),
    requestsPerSecond: z
      .union([
        z.number().int().positive(),
        z
          .object({
            StartCodeInterpreterSession: z.number().int().positive().optional(),
            StopCodeInterpreterSession: z.number().int().positive().optional(),
            GetCodeInterpreterSession: z.number().int().positive().optional(),
            ListCodeInterpreterSessions: z.number().int().positive().optional(),
            InvokeCodeInterpreter: z.number().int().positive().optional(),
          })
          .strict(),
      ])
      .optional(),
    sessionInterpreter: z.enum(['local', 'plain-python']).optional(),
  })
  .strict();

const OPERATIONS: Record<string, AgentCoreOperation> = {
  'sessions/start': 'StartCodeInterpreterSession',
  'sessions/stop': 'StopCodeInterpreterSession',
  'sessions/get': 'GetCodeInterpreterSession',
  'sessions/list': 'ListCodeInterpreterSessions',
  'tools/invoke': 'InvokeCodeInterpreter',
};

const TOOL_NAMES = new Set([
  'executeCode',
  'executeCommand',
  'readFiles',
  'writeFiles',
  'listFiles',
  'removeFiles',
  'startCommandExecution',
  'getTask',
  'stopTask',
]);

const ROUTE =
  /^\/code-interpreters\/([^/]+)\/(sessions\/start|sessions\/stop|sessions\/get|sessions\/list|tools\/invoke)$/;
const METHODS: Record<string, string> = {
  'sessions/start': 'PUT',
  'sessions/stop': 'PUT',
  'sessions/get': 'GET',
  'sessions/list': 'POST',
  'tools/invoke': 'POST',
};

/** An error the service answers with: status, `x-amzn-errortype`, JSON body. */
class ServiceFault extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const notFound = (what: string) => new ServiceFault(404, 'ResourceNotFoundException', what);
const invalid = (message: string, field?: string) =>
  new ServiceFault(400, 'ValidationException', message, {
    reason: 'FieldValidationFailed',
    ...(field === undefined ? {} : { fieldList: [{ name: field, message }] }),
  });

/**
 * `clearContext` drops the user's variables in place: the interpreter and the session's files
 * stay, as on the service.
 */
const CLEAR_CONTEXT = `for __name in [name for name in list(globals()) if not name.startswith('__')]:
    del globals()[__name]
del __name
`;

/** 26 characters of Crockford base32, the shape of the service's session ids. */
function sessionIdentifier(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  return [...randomBytes(26)].map((byte) => alphabet[byte % 32]).join('');
}

/**
 * Starts a loopback emulator of the AgentCore Code Interpreter data plane that the real
 * `@aws-sdk/client-bedrock-agentcore` talks to through its `endpoint` option. Each emulated
 * session runs in a session of `backend` (the local sandbox by default).
 */
export async function startAgentCoreEmulator(
  options: AgentCoreEmulatorOptions = {},
): Promise<AgentCoreEmulator> {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`)
      .join('; ');
    throw new ConfigError(`Invalid startAgentCoreEmulator options: ${detail}.`, {
      cause: parsed.error,
    });
  }
  // Loaded only when needed, so a caller bringing its own backend does not load the local one.
  const backend =
    options.backend ??
    (options.sessionInterpreter === 'plain-python'
      ? plainPythonBackend()
      : (await import('../backends/local.js')).localBackend());
  const credentials = options.credentials ?? EMULATOR_CREDENTIALS;
  const identifiers = new Set(options.identifiers ?? ['aws.codeinterpreter.v1']);
  const maxActiveSessions = options.maxActiveSessions ?? 20;
  const sessions = new Map<string, EmulatedSession>();
  const starts = new Map<string, Promise<EmulatedSession>>();
  const faults = new FaultQueue();
  const counts = {
    started: 0,
    stopped: 0,
    expired: 0,
    invocations: 0,
    throttled: 0,
    quotaExceeded: 0,
  };
  const rateLimiter = new OperationRateLimiter(options.requestsPerSecond);
  let closed = false;

  const activeCount = () =>
    [...sessions.values()].filter((session) => session.status === 'READY').length;

  const expire = (session: EmulatedSession) => {
    if (session.status !== 'READY') return;
    counts.expired++;
    void session.terminate();
  };

  const findSession = (identifier: string, sessionId: string | null | undefined) => {
    const session = sessionId ? sessions.get(sessionId) : undefined;
    if (session === undefined || session.identifier !== identifier) {
      throw notFound(`Session ${sessionId ?? ''} not found for code interpreter ${identifier}.`);
    }
    return session;
  };

  const startSession = async (identifier: string, body: Record<string, unknown>) => {
    if (!identifiers.has(identifier)) {
      throw notFound(`Code interpreter ${identifier} not found.`);
    }
    const timeoutSeconds = body.sessionTimeoutSeconds ?? 900;
    if (
      typeof timeoutSeconds !== 'number' ||
      !Number.isInteger(timeoutSeconds) ||
      timeoutSeconds < 1 ||
      timeoutSeconds > 28_800
    ) {
      throw invalid(
        'sessionTimeoutSeconds must be an integer between 1 and 28800.',
        'sessionTimeoutSeconds',
      );
    }
    if (activeCount() >= maxActiveSessions) {
      counts.quotaExceeded++;
      throw new ServiceFault(
        402,
        'ServiceQuotaExceededException',
        `The number of active sessions reached the limit of ${maxActiveSessions}.`,
      );
    }
    let local: Awaited<ReturnType<SandboxBackend['createSession']>>;
    try {
      local = await backend.createSession();
    } catch (error) {
      throw new ServiceFault(
        500,
        'InternalServerException',
        `The emulator could not start a sandbox: ${errorMessage(error)}`,
      );
    }
    try {
      await rememberWorkingDirectory(local);
    } catch (error) {
      await local.close();
      throw new ServiceFault(
        500,
        'InternalServerException',
        `The emulator could not prepare a sandbox: ${errorMessage(error)}`,
      );
    }
    const session = new EmulatedSession({
      id: sessionIdentifier(),
      identifier,
      name: typeof body.name === 'string' ? body.name : undefined,
      timeoutSeconds,
      backend,
      local,
      onExpire: expire,
    });
    sessions.set(session.id, session);
    counts.started++;
    if (closed) await session.terminate();
    return session;
  };

  const operations = {
    async 'sessions/start'(identifier: string, body: Record<string, unknown>) {
      const token = typeof body.clientToken === 'string' ? body.clientToken : undefined;
      let pending = token === undefined ? undefined : starts.get(`${identifier}\0${token}`);
      if (pending === undefined) {
        pending = startSession(identifier, body);
        if (token !== undefined) {
          const key = `${identifier}\0${token}`;
          starts.set(key, pending);
          pending.catch(() => starts.delete(key));
        }
      }
      const session = await pending;
      return {
        codeInterpreterIdentifier: identifier,
        sessionId: session.id,
        createdAt: session.createdAt.toISOString(),
      };
    },
    async 'sessions/stop'(identifier: string, _body: unknown, url: URL) {
      const session = findSession(identifier, url.searchParams.get('sessionId'));
      if (session.status !== 'READY')
        throw notFound(`Session ${session.id} is already terminated.`);
      counts.stopped++;
      await session.terminate();
      return {
        codeInterpreterIdentifier: identifier,
        sessionId: session.id,
        lastUpdatedAt: session.lastUpdatedAt.toISOString(),
      };
    },
    async 'sessions/get'(identifier: string, _body: unknown, url: URL) {
      const session = findSession(identifier, url.searchParams.get('sessionId'));
      return {
        codeInterpreterIdentifier: identifier,
        sessionId: session.id,
        ...(session.name === undefined ? {} : { name: session.name }),
        createdAt: session.createdAt.toISOString(),
        sessionTimeoutSeconds: session.timeoutSeconds,
        status: session.status,
      };
    },
    async 'sessions/list'(identifier: string, body: Record<string, unknown>) {
      if (!identifiers.has(identifier)) throw notFound(`Code interpreter ${identifier} not found.`);
      const maxResults = typeof body.maxResults === 'number' ? body.maxResults : 10;
      if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
        throw invalid('maxResults must be between 1 and 100.', 'maxResults');
      }
      const offset = typeof body.nextToken === 'string' ? Number(body.nextToken) : 0;
      if (!Number.isInteger(offset) || offset < 0) throw invalid('Invalid nextToken.', 'nextToken');
      const matching = [...sessions.values()]
        .filter(
          (session) =>
            session.identifier === identifier &&
            (body.status === undefined || session.status === body.status),
        )
        .reverse();
      const page = matching.slice(offset, offset + maxResults);
      return {
        items: page.map((session) => ({
          codeInterpreterIdentifier: identifier,
          sessionId: session.id,
          ...(session.name === undefined ? {} : { name: session.name }),
          status: session.status,
          createdAt: session.createdAt.toISOString(),
          lastUpdatedAt: session.lastUpdatedAt.toISOString(),
        })),
        ...(offset + maxResults < matching.length
          ? { nextToken: String(offset + maxResults) }
          : {}),
      };
    },
  };

  const runTool = (
    session: EmulatedSession,
    name: string,
    args: ToolArgumentsJson,
  ): Promise<ResultPayload> =>
    session.run(async (local) => {
      switch (name) {
        case 'executeCode':
          return executeCode(
            local,
            args.clearContext ? `${CLEAR_CONTEXT}${args.code ?? 'pass'}` : (args.code ?? ''),
          );
        case 'executeCommand':
          return executeCommand(local, args.command ?? '');
        case 'readFiles':
          return readFiles(local, args.paths ?? []);
        case 'writeFiles':
          return writeFiles(local, args.content ?? []);
        case 'listFiles':
          return listFiles(local, args.directoryPath ?? args.path ?? '');
        case 'startCommandExecution': {
          const taskId = randomUUID();
          const started = await startCommandExecution(local, taskId, args.command ?? '');
          if (!started.isError) session.taskIds.add(taskId);
          return started;
        }
        case 'getTask':
          return getTask(local, args.taskId ?? '');
        case 'stopTask':
          return stopTask(local, args.taskId ?? '');
        default:
          return removeFiles(local, args.paths ?? []);
      }
    });

  const checkToolArguments = (session: EmulatedSession, name: string, args: ToolArgumentsJson) => {
    if (!TOOL_NAMES.has(name)) throw invalid(`Unknown tool name ${name}.`, 'name');
    if (name === 'executeCode') {
      if (args.language !== undefined && args.language !== 'python') {
        throw invalid(`The emulator runs only python, not ${args.language}.`, 'arguments.language');
      }
      if (typeof args.code !== 'string' && !args.clearContext) {
        throw invalid('executeCode needs arguments.code.', 'arguments.code');
      }
    }
    if (
      (name === 'executeCommand' || name === 'startCommandExecution') &&
      typeof args.command !== 'string'
    ) {
      throw invalid(`${name} needs arguments.command.`, 'arguments.command');
    }
    if (name === 'getTask' || name === 'stopTask') {
      if (typeof args.taskId !== 'string') {
        throw invalid(`${name} needs arguments.taskId.`, 'arguments.taskId');
      }
      // Not ResourceNotFoundException: clients read that as "the session is gone".
      if (!session.taskIds.has(args.taskId)) {
        throw invalid(`No task ${args.taskId} in session ${session.id}.`, 'arguments.taskId');
      }
    }
    if ((name === 'readFiles' || name === 'removeFiles') && !Array.isArray(args.paths)) {
      throw invalid(`${name} needs arguments.paths.`, 'arguments.paths');
    }
    if (name === 'writeFiles' && !Array.isArray(args.content)) {
      throw invalid('writeFiles needs arguments.content.', 'arguments.content');
    }
  };

  const invoke = async (
    identifier: string,
    body: Record<string, unknown>,
    request: IncomingMessage,
    response: ServerResponse,
  ) => {
    counts.invocations++;
    const sessionId = request.headers['x-amzn-code-interpreter-session-id'];
    const session = findSession(identifier, typeof sessionId === 'string' ? sessionId : undefined);
    if (session.status !== 'READY') throw notFound(`Session ${session.id} is terminated.`);
    const name = String(body.name ?? '');
    const args = (body.arguments ?? {}) as ToolArgumentsJson;
    checkToolArguments(session, name, args);

    const injected = faults.streamExceptions.shift();
    const cut = faults.takeCut();
    const firstFrameDelayMs = faults.delays.shift();
    const parts = name === 'executeCode' ? faults.splitParts : undefined;
    if (parts !== undefined) faults.splitParts = undefined;

    response.writeHead(200, {
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-requestid': randomUUID(),
      'x-amzn-code-interpreter-session-id': session.id,
    });
    response.flushHeaders();
    const frames: Uint8Array[] = [];
    if (injected !== undefined && !injected.afterResult) {
      frames.push(
        encodeException(injected.exceptionType, exceptionMessage(injected.exceptionType)),
      );
    } else {
      let result: ResultPayload;
      try {
        result = await runTool(session, name, args);
      } catch (error) {
        result = undefined as never;
        frames.push(
          encodeException('internalServerException', `The tool failed: ${errorMessage(error)}`),
        );
      }
      if (frames.length === 0) {
        for (const payload of splitPayload(result, parts))
          frames.push(encodeEvent('result', payload));
        if (injected !== undefined) {
          frames.push(
            encodeException(injected.exceptionType, exceptionMessage(injected.exceptionType)),
          );
        }
      }
    }
    if (firstFrameDelayMs !== undefined) await delay(firstFrameDelayMs);
    if (cut) {
      const first = frames[0] as Uint8Array;
      response.write(first.subarray(0, Math.max(1, Math.floor(first.length / 2))));
      // Let the half frame reach the client before the connection drops.
      await delay(10);
      response.socket?.destroy();
      return;
    }
    for (const frame of frames) response.write(frame);
    response.end();
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (options.verifySignatures) {
      const problem = await checkSignature(
        {
          method: request.method ?? 'GET',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: request.headers,
          body: new Uint8Array(raw),
        },
        credentials,
      );
      if (problem !== undefined) {
        const type = problem.includes('security token')
          ? 'UnrecognizedClientException'
          : 'InvalidSignatureException';
        throw new ServiceFault(403, type, problem);
      }
    }
    const match = ROUTE.exec(url.pathname);
    const route = match?.[2];
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
    if (!rateLimiter.admit(OPERATIONS[route] as AgentCoreOperation)) {
      counts.throttled++;
      throw new ServiceFault(429, 'ThrottlingException', 'Rate exceeded');
    }
    const fault = faults.takeCallFault();
    if (fault === 'throttle') throw new ServiceFault(429, 'ThrottlingException', 'Rate exceeded');
    if (fault === 'server') {
      throw new ServiceFault(500, 'InternalServerException', 'Internal server error (injected)');
    }
    if (route === 'tools/invoke') {
      await invoke(identifier, body, request, response);
      return;
    }
    const answer = await operations[route as keyof typeof operations](identifier, body, url);
    if (faults.takeDroppedAnswer(OPERATIONS[route] as AgentCoreOperation)) {
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
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stats: {
      get started() {
        return counts.started;
      },
      get stopped() {
        return counts.stopped;
      },
      get expired() {
        return counts.expired;
      },
      get active() {
        return activeCount();
      },
      get invocations() {
        return counts.invocations;
      },
      get throttled() {
        return counts.throttled;
      },
      get quotaExceeded() {
        return counts.quotaExceeded;
      },
    },
    faults: {
      throttle(count = 1) {
        faults.throttled += count;
      },
      serverError(count = 1) {
        faults.serverErrors += count;
      },
      streamException(exceptionType: StreamExceptionType, { count = 1, afterResult = false } = {}) {
        for (let i = 0; i < count; i++)
          faults.streamExceptions.push({ exceptionType, afterResult });
      },
      expireSession(sessionId?: string) {
        for (const session of sessions.values()) {
          if (sessionId === undefined || session.id === sessionId) expire(session);
        }
      },
      dropAnswer(operation, count = 1) {
        faults.droppedAnswers.set(operation, (faults.droppedAnswers.get(operation) ?? 0) + count);
      },
      cutStream(count = 1) {
        faults.cuts += count;
      },
      delayFirstFrame(delayMs: number, count = 1) {
        for (let i = 0; i < count; i++) faults.delays.push(delayMs);
      },
      splitResult(parts: number) {
        faults.splitParts = Math.max(1, Math.floor(parts));
      },
      reset() {
        faults.reset();
      },
    },
    close() {
      closed = true;
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await Promise.all([...sessions.values()].map((session) => session.terminate()));
        await stopped;
      })();
      return closing;
    },
  };
}

function exceptionMessage(type: StreamExceptionType): string {
  return `${type[0]?.toUpperCase()}${type.slice(1)} (injected by the emulator)`;
}

/** Spreads one executeCode result over `parts` result events, the output split between them. */
function splitPayload(result: ResultPayload, parts: number | undefined): ResultPayload[] {
  const structured = result.structuredContent;
  if (parts === undefined || parts <= 1 || structured === undefined) return [result];
  const stdout = String(structured.stdout ?? '');
  const size = Math.ceil(stdout.length / parts);
  const payloads: ResultPayload[] = [];
  for (let part = 0; part < parts; part++) {
    const slice = stdout.slice(part * size, (part + 1) * size);
    const last = part === parts - 1;
    payloads.push({
      content: [{ type: 'text', text: slice }],
      structuredContent: last ? { ...structured, stdout: slice } : { stdout: slice, stderr: '' },
      isError: last ? result.isError : false,
    });
  }
  return payloads;
}
