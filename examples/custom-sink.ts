// An image sink of your own, verified with checkImageSink, then used by a CodeSandbox.
// The sink uploads each figure with an HTTP PUT to a presigned URL, the way S3, GCS, Azure Blob
// or a company's own file service take uploads. The service here is a stand-in on loopback that
// checks an HMAC signature on every request, so the example needs no account and no network.
// Offline by design: everything is on 127.0.0.1 and the sandbox is local.
// Run: npx tsx examples/custom-sink.ts      The contract it keeps is in docs/sinks.md.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AbortError,
  CodeSandbox,
  createExecutePythonTool,
  type FigureMediaType,
  type ImageSink,
  localBackend,
  renderFigureLinks,
  SinkError,
} from 'sandplot';
import { checkImageSink } from 'sandplot/testing';
import { printReport } from './shared/print-report.js';

/** Where one figure goes: a URL to PUT it to, and a URL that GETs it until `expiresAt`. */
interface PresignedUpload {
  uploadUrl: string;
  downloadUrl: string;
  expiresAt: Date;
}

interface HttpPutSinkOptions {
  /** Signs an upload of `key` (in real life, a call to your storage's SDK or your own API). */
  presign(key: string): PresignedUpload | Promise<PresignedUpload>;
  /** Time one upload may take, the answer included. @default 30000 */
  timeoutMs?: number;
}

const SINK_NAME = 'http-put';
const EXTENSIONS: Record<FigureMediaType, string> = {
  'image/png': 'png',
  'image/svg+xml': 'svg',
  'image/jpeg': 'jpg',
};

/**
 * Uploads figures with an HTTP PUT to presigned URLs. Keys are
 * `figures/{executionId}/figure-{index + 1}.{ext}`: only the random execution id and the position,
 * never the figure's title or anything else the sandboxed code chose. `url` is the presigned
 * download link (http, so the execute_python tool shows it to the model and `renderFigureLinks`
 * lists it), `byteLength` the size the service says it stored.
 */
function httpPutSink(options: HttpPutSinkOptions): ImageSink {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return {
    name: SINK_NAME,
    // Uploads are network-bound: overlapping them is worth it.
    concurrency: 8,
    async put(figure, context) {
      const { abortSignal } = context;
      // Aborted before it started: an AbortError, never a SinkError, and nothing uploaded.
      if (abortSignal?.aborted) throw aborted(abortSignal);
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(context.executionId)) {
        throw new SinkError(
          SINK_NAME,
          `httpPutSink refused the execution id ${JSON.stringify(context.executionId.slice(0, 80))}: ids are 1 to 64 letters, digits, _ and -.`,
        );
      }
      const key = `figures/${context.executionId}/figure-${figure.index + 1}.${EXTENSIONS[figure.mediaType]}`;
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = abortSignal ? AbortSignal.any([abortSignal, timeout]) : timeout;
      let target: PresignedUpload;
      let status: number;
      let answer: string;
      try {
        target = await options.presign(key);
        const response = await fetch(target.uploadUrl, {
          method: 'PUT',
          // The figure's own bytes: `data` may be a view into a larger buffer.
          body: figure.data,
          headers: { 'content-type': figure.mediaType },
          signal,
        });
        status = response.status;
        answer = await response.text();
      } catch (error) {
        if (abortSignal?.aborted) throw aborted(abortSignal);
        const why = timeout.aborted ? `no answer within ${timeoutMs} ms` : describe(error);
        throw new SinkError(SINK_NAME, `httpPutSink could not upload ${key}: ${why}.`, {
          cause: error,
          isRetryable: true,
        });
      }
      if (status !== 200 && status !== 201) {
        throw new SinkError(
          SINK_NAME,
          `httpPutSink: the upload service refused ${key} with HTTP ${status} (${answer.slice(0, 200)}). Check the credentials \`presign\` signs with.`,
          { isRetryable: status >= 500 },
        );
      }
      // What the service stored, not what was sent: a truncated upload must not pass as complete.
      const byteLength = storedSize(answer);
      if (byteLength !== figure.data.byteLength) {
        throw new SinkError(
          SINK_NAME,
          `httpPutSink: the upload service stored ${byteLength ?? 'an unknown number'} of the ${figure.data.byteLength} bytes of ${key}.`,
          { isRetryable: true },
        );
      }
      const { data: _data, ...fields } = figure;
      return {
        ...fields,
        sink: SINK_NAME,
        url: target.downloadUrl,
        key,
        byteLength,
        expiresAt: target.expiresAt,
      };
    },
  };
}

/** The `byteLength` of the service's JSON answer, if it has one. */
function storedSize(answer: string): number | undefined {
  try {
    const { byteLength } = JSON.parse(answer) as { byteLength?: unknown };
    return typeof byteLength === 'number' ? byteLength : undefined;
  } catch {
    return undefined;
  }
}

function aborted(signal: AbortSignal): AbortError {
  return new AbortError('httpPutSink.put was aborted by its abortSignal.', {
    cause: signal.reason,
  });
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}

/** The stand-in for the storage service: presigned PUT and GET of objects, kept in memory. */
interface UploadService extends AsyncDisposable {
  /** Signs a PUT and a GET of `key`; `secret` overrides the service's own (to make a bad one). */
  presign(key: string, secret?: string): PresignedUpload;
  /** The keys stored so far. */
  keys(): string[];
}

type Answer = (status: number, body: string | Buffer, mediaType?: string) => void;

const MAX_UPLOAD_BYTES = 16 * 1024 * 1024;
const LINK_LIFETIME_MS = 60 * 60 * 1000;

async function startUploadService(): Promise<UploadService> {
  const secret = randomBytes(32);
  const objects = new Map<string, { bytes: Buffer; mediaType: string }>();
  const sign = (key: Buffer | string, method: string, path: string, expires: number) =>
    createHmac('sha256', key).update(`${method}\n${path}\n${expires}`).digest();

  const server = createServer((request, response) => {
    const answer = (status: number, body: string | Buffer, mediaType = 'text/plain') => {
      response.writeHead(status, { 'content-type': mediaType }).end(body);
    };
    handle(request, answer).catch((error: unknown) => answer(400, describe(error)));
  });
  const handle = async (request: IncomingMessage, answer: Answer) => {
    const url = new URL(request.url ?? '/', 'http://upload.invalid');
    if (!url.pathname.startsWith('/upload/')) return answer(404, 'no such object');
    const key = decodeURIComponent(url.pathname.slice('/upload/'.length));
    const expires = Number(url.searchParams.get('expires'));
    const signature = Buffer.from(url.searchParams.get('signature') ?? '', 'hex');
    const expected = sign(secret, request.method ?? '', url.pathname, expires);
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      return answer(403, 'the signature does not match');
    }
    if (!(expires > Date.now())) return answer(403, 'the link has expired');
    if (request.method === 'GET') {
      const object = objects.get(key);
      return object ? answer(200, object.bytes, object.mediaType) : answer(404, 'no such object');
    }
    if (request.method !== 'PUT') return answer(405, 'PUT or GET');
    const body = await readBody(request);
    if (body === 'too-large') return answer(413, `uploads are at most ${MAX_UPLOAD_BYTES} bytes`);
    // An upload cut short (the client aborted) stores nothing.
    if (body === 'cut-short') return;
    objects.set(key, {
      bytes: body,
      mediaType: request.headers['content-type'] ?? 'application/octet-stream',
    });
    answer(201, JSON.stringify({ key, byteLength: body.byteLength }), 'application/json');
  };
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const link = (method: string, key: string, expires: number, signWith: Buffer | string) => {
    const path = `/upload/${key.split('/').map(encodeURIComponent).join('/')}`;
    const signature = sign(signWith, method, path, expires).toString('hex');
    return `${origin}${path}?expires=${expires}&signature=${signature}`;
  };
  return {
    presign(key, otherSecret) {
      const expires = Date.now() + LINK_LIFETIME_MS;
      return {
        uploadUrl: link('PUT', key, expires, otherSecret ?? secret),
        downloadUrl: link('GET', key, expires, otherSecret ?? secret),
        expiresAt: new Date(expires),
      };
    },
    keys: () => [...objects.keys()],
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((resolveClose) => server.close(resolveClose));
    },
  };
}

/** The request body, unless it was cut short or is over MAX_UPLOAD_BYTES. */
async function readBody(request: IncomingMessage): Promise<Buffer | 'cut-short' | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > MAX_UPLOAD_BYTES) return 'too-large';
      chunks.push(chunk);
    }
  } catch {
    return 'cut-short';
  }
  return request.complete ? Buffer.concat(chunks) : 'cut-short';
}

await using service = await startUploadService();
const sink = httpPutSink({ presign: (key) => service.presign(key) });

// 1. The contract: every check must pass before a CodeSandbox can rely on the sink.
const report = await checkImageSink(sink, {
  // The same sink with credentials the service refuses: its failures must be SinkErrors.
  failingSink: () => httpPutSink({ presign: (key) => service.presign(key, 'not-the-secret') }),
  // Lets the abort check see that an aborted put uploaded nothing.
  listStored: async () => service.keys(),
  keyPrefix: 'figures/',
});
printReport(`checkImageSink(${sink.name})`, report);
if (!report.ok) process.exit(1);

// 2. The sink behind a CodeSandbox and its execute_python tool: a real figure, uploaded.
await using sandbox = new CodeSandbox({ backend: localBackend(), imageSink: sink });
// The sink keeps no bytes: 'always' downloads each figure once through its url for the model.
const python = createExecutePythonTool(sandbox, { imagesForModel: 'always' });
const output = await python.invoke({
  description: 'plot the sales',
  code: `import matplotlib.pyplot as plt
plt.plot([100, 120, 95, 140, 160, 180, 200], marker="o")
plt.title("Uploaded through a presigned URL")
plt.show()`,
});
// What the model reads: an http(s) url is in the figure's line (data: and file: urls never are).
console.log(`the model reads:\n${output.text}\nand sees ${output.images.length} image(s)`);
for (const figure of python.figures) {
  const response = await fetch(figure.url);
  const bytes = new Uint8Array(await response.arrayBuffer());
  console.log(
    `${figure.label}: ${figure.key}, ${figure.byteLength} bytes stored, ` +
      `${bytes.byteLength} bytes fetched back as ${response.headers.get('content-type')}`,
  );
}
// The links for the final answer, from the ledger rather than from what the model repeats.
console.log(renderFigureLinks(python.figures, { format: 'text' }));
