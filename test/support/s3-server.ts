import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { S3_TEST_CREDENTIALS, verifySignature } from './s3-signature.js';

/** What the tests can make the server do. */
export interface S3TestServerOptions {
  /** Buckets that exist from the start. @default ['figures'] */
  buckets?: string[];
  /** Delay added before every request is answered. @default 0 */
  latencyMs?: number;
  /**
   * Folder the temporary data folder is made in.
   * @default /dev/shm when it exists (memory: file creation on the VM disk costs ~1.5 ms), else the OS temp folder
   */
  parentDirectory?: string;
}

export type InjectedFailure = 'InternalError' | 'SlowDown';

export interface RecordedRequest {
  method: string;
  url: string;
  /** How the request was authenticated. */
  auth: 'header' | 'query' | 'anonymous';
  /** The status the proxy answered with (its own refusal, an injected failure, or s3rver's). */
  status: number;
}

export interface S3TestServer {
  /** The verifying proxy's URL: give it to the S3 client as `endpoint` (with `forcePathStyle`). */
  endpoint: string;
  region: string;
  /** The only key pair the proxy (and s3rver) accept. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  buckets: string[];
  /** Everything an S3Client needs to talk to this server. */
  clientConfig: {
    endpoint: string;
    region: string;
    forcePathStyle: true;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  /** Every request the proxy saw, in arrival order. */
  requests: RecordedRequest[];
  setLatency(latencyMs: number): void;
  /** The next `count` requests are answered with this error instead of reaching s3rver. */
  failNext(count: number, failure?: InjectedFailure): void;
  /** Stops both servers (the port then refuses connections) and removes the data folder. */
  close(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

// s3rver ships CommonJS without types.
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

// s3rver's built-in account; it rejects any other access key id.
const region = 'us-east-1';

const failureStatus: Record<InjectedFailure, number> = { InternalError: 500, SlowDown: 503 };
const failureMessage: Record<InjectedFailure, string> = {
  InternalError: 'We encountered an internal error. Please try again.',
  SlowDown: 'Please reduce your request rate.',
};

/** The environment a child process (the CLI) needs to reach `server` through the SDK's default chain. */
export function s3ServerEnvironment(
  server: Pick<S3TestServer, 'credentials' | 'region'>,
): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: server.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
    AWS_REGION: server.region,
    // The SDK warns on Node 20 that its 2027 releases need Node 22; true, and not these tests' subject.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/**
 * Starts s3rver on 127.0.0.1 (free port, silent, temporary folder) behind an HTTP proxy that
 * verifies SigV4 the way S3 does: it re-signs each request with the known secret at the request's
 * own X-Amz-Date and refuses a mismatch with 403 SignatureDoesNotMatch. s3rver itself checks
 * expiry of presigned URLs but not signatures.
 */
export async function startS3TestServer(options: S3TestServerOptions = {}): Promise<S3TestServer> {
  const buckets = options.buckets ?? ['figures'];
  const directory = await mkdtemp(
    join(options.parentDirectory ?? (await defaultParentDirectory()), 'sandplot-s3rver-'),
  );
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const upstream = await s3rver.run();
  const upstreamAgent = new Agent({ keepAlive: true });

  let latencyMs = options.latencyMs ?? 0;
  const failures: InjectedFailure[] = [];
  const requests: RecordedRequest[] = [];

  const proxy = createServer((incoming, response) => {
    void handle(incoming, response).catch((error: unknown) => {
      if (!response.headersSent) {
        sendError(response, 500, 'InternalError', `test proxy failed: ${String(error)}`);
      } else {
        response.destroy();
      }
    });
  });

  async function handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(incoming);
    const record: RecordedRequest = {
      method: incoming.method ?? 'GET',
      url: incoming.url ?? '/',
      auth: authKind(incoming),
      status: 0,
    };
    requests.push(record);
    response.on('finish', () => {
      record.status = response.statusCode;
    });
    if (latencyMs > 0) await sleep(latencyMs);
    if (response.destroyed) return;
    const failure = failures.shift();
    if (failure) {
      sendError(response, failureStatus[failure], failure, failureMessage[failure]);
      return;
    }
    const refusal = await verifySignature(incoming, body);
    if (refusal) {
      sendError(response, refusal.status, refusal.code, refusal.message);
      return;
    }
    forward(incoming, body, response);
  }

  function forward(incoming: IncomingMessage, body: Buffer, response: ServerResponse): void {
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
        agent: upstreamAgent,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    outgoing.on('error', (error) => {
      if (!response.headersSent) sendError(response, 502, 'BadGateway', error.message);
      else response.destroy();
    });
    outgoing.end(body);
  }

  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const credentials = { ...S3_TEST_CREDENTIALS };

  let closed: Promise<void> | undefined;
  return {
    endpoint,
    region,
    credentials,
    buckets,
    clientConfig: { endpoint, region, forcePathStyle: true, credentials },
    requests,
    setLatency(value) {
      latencyMs = value;
    },
    failNext(count, failure = 'InternalError') {
      for (let i = 0; i < count; i++) failures.push(failure);
    },
    close() {
      closed ??= (async () => {
        const proxyClosed = new Promise<void>((resolve) => proxy.close(() => resolve()));
        proxy.closeAllConnections();
        await proxyClosed;
        upstreamAgent.destroy();
        s3rver.httpServer?.closeAllConnections();
        await s3rver.close();
        await rm(directory, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

async function defaultParentDirectory(): Promise<string> {
  try {
    await access('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

function authKind(incoming: IncomingMessage): RecordedRequest['auth'] {
  if (incoming.headers.authorization !== undefined) return 'header';
  const query = new URLSearchParams((incoming.url ?? '').split('?')[1] ?? '');
  return query.has('X-Amz-Signature') ? 'query' : 'anonymous';
}

function readBody(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => resolve(Buffer.concat(chunks)));
    incoming.on('error', reject);
  });
}

function sendError(response: ServerResponse, status: number, code: string, message: string): void {
  const escapeXml = (text: string) =>
    text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message><RequestId>sandplot-test</RequestId></Error>`;
  response.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(xml),
    'x-amz-request-id': 'sandplot-test',
  });
  response.end(xml);
}

/** A server in another process: no live request log, and control calls settle asynchronously. */
export interface S3TestServerHandle
  extends Omit<S3TestServer, 'requests' | 'setLatency' | 'failNext'> {
  setLatency(latencyMs: number): Promise<void>;
  failNext(count: number, failure?: InjectedFailure): Promise<void>;
}

type ControlMessage =
  | { id: number; setLatency: number }
  | { id: number; failNext: [number, InjectedFailure] }
  | { id: number; close: true };

const optionsVariable = 'SANDPLOT_S3_TEST_SERVER_OPTIONS';

/**
 * The same server in a child process, so its CPU (s3rver, signature checks) does not compete
 * with the client's event loop: a benchmark then measures the client the way a remote S3 would.
 */
export async function startS3TestServerProcess(
  options: S3TestServerOptions = {},
): Promise<S3TestServerHandle> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { ...process.env, [optionsVariable]: JSON.stringify(options) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const pending = new Map<number, () => void>();
  let nextId = 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<Omit<S3TestServerHandle, 'setLatency' | 'failNext' | 'close'>>(
    (resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`S3 test server process exited (${code})`)));
      child.on('message', (message: { ready?: S3TestServerHandle; ack?: number }) => {
        if (message.ready) resolve(message.ready);
        if (message.ack !== undefined) {
          pending.get(message.ack)?.();
          pending.delete(message.ack);
        }
      });
    },
  );
  const control = (message: Record<string, unknown>) =>
    new Promise<void>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      child.send({ id, ...message });
    });
  let closed: Promise<void> | undefined;
  return {
    ...ready,
    setLatency: (latencyMs) => control({ setLatency: latencyMs }),
    failNext: (count, failure = 'InternalError') => control({ failNext: [count, failure] }),
    close() {
      closed ??= (async () => {
        if (child.connected) await control({ close: true });
        child.disconnect?.();
        await exited;
      })();
      return closed;
    },
  };
}

async function serveFromChildProcess(): Promise<void> {
  const server = await startS3TestServer(
    JSON.parse(process.env[optionsVariable] ?? '{}') as S3TestServerOptions,
  );
  const { requests: _requests, setLatency, failNext, close, ...ready } = server;
  process.send?.({ ready });
  process.on('message', (message: ControlMessage) => {
    void (async () => {
      if ('setLatency' in message) setLatency(message.setLatency);
      if ('failNext' in message) failNext(...message.failNext);
      if ('close' in message) await close();
      process.send?.({ ack: message.id });
      if ('close' in message) process.disconnect();
    })();
  });
  process.once('disconnect', () => void close());
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await serveFromChildProcess();
}
