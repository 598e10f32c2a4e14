import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FigureTooLargeError, readFigureBytes } from '../../../src/tool/figure-bytes.js';
import { tinyPng } from '../../support/png.js';

const png = { mediaType: 'image/png' as const };
const tinyPngDataUrl = `data:image/png;base64,${Buffer.from(tinyPng).toString('base64')}`;
const same = (bytes: Uint8Array | undefined) =>
  Buffer.from(bytes ?? new Uint8Array()).equals(Buffer.from(tinyPng));

describe('readFigureBytes: bytes at hand, data: URLs and files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sandplot-figure-bytes-'));
    await writeFile(join(dir, 'figure.png'), tinyPng);
  });

  it('reads the bytes the sink kept, its data: URL, its path and its file: URL', async () => {
    const fromMemory = await readFigureBytes({ ...png, url: 'https://x.test/f', data: tinyPng });
    expect(fromMemory?.source.kind).toBe('memory');
    expect(same(fromMemory?.data)).toBe(true);
    const fromDataUrl = await readFigureBytes({ ...png, url: tinyPngDataUrl });
    expect(fromDataUrl?.source.kind).toBe('data-url');
    expect(same(fromDataUrl?.data)).toBe(true);
    const path = join(dir, 'figure.png');
    expect(same((await readFigureBytes({ ...png, url: 'local', path }))?.data)).toBe(true);
    const byUrl = await readFigureBytes({ ...png, url: pathToFileURL(path).href });
    expect(byUrl?.source).toEqual({ kind: 'file', path });
    expect(same(byUrl?.data)).toBe(true);
  });

  it('finds nothing in a data: URL of another media type, malformed base64 or a script URL', async () => {
    const html = `data:text/html;base64,${Buffer.from('<script>').toString('base64')}`;
    expect(await readFigureBytes({ ...png, url: html })).toBeUndefined();
    expect(await readFigureBytes({ ...png, url: 'data:image/png;base64,<svg onload=x>' })).toBe(
      undefined,
    );
    expect(await readFigureBytes({ ...png, url: 'javascript:alert(1)' })).toBeUndefined();
  });

  it('refuses more than maxBytes from memory, a data: URL or a file, saying how large', async () => {
    const path = join(dir, 'figure.png');
    for (const figure of [
      { ...png, url: 'x', data: tinyPng },
      { ...png, url: tinyPngDataUrl },
      { ...png, url: 'x', path },
    ]) {
      const read = readFigureBytes(figure, { maxBytes: 10 });
      await expect(read).rejects.toBeInstanceOf(FigureTooLargeError);
      await expect(read).rejects.toMatchObject({ maxBytes: 10, byteLength: tinyPng.byteLength });
    }
    await expect(
      readFigureBytes({ ...png, url: 'x', path: join(dir, 'gone.png') }),
    ).rejects.toThrow(/ENOENT/);
  });
});

describe('readFigureBytes: http(s) downloads', () => {
  let server: Server;
  let base: string;
  /** How many body bytes the endless route managed to write before the client hung up. */
  let endlessWritten = 0;
  let endlessFinished = false;

  const endless = (response: ServerResponse) => {
    // No Content-Length: chunked, 64 MiB in 64 KiB chunks, as fast as the client takes them.
    response.writeHead(200, { 'content-type': 'image/png' });
    const chunk = Buffer.alloc(64 * 1024, 1);
    let left = 1024;
    const pump = () => {
      while (left > 0) {
        left -= 1;
        endlessWritten += chunk.byteLength;
        if (!response.write(chunk)) return void response.once('drain', pump);
      }
      endlessFinished = true;
      response.end();
    };
    response.on('error', () => undefined);
    pump();
  };

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/figure.png') response.writeHead(200).end(Buffer.from(tinyPng));
      else if (request.url === '/declared-large.png') {
        response.writeHead(200, { 'content-length': String(50_000_000) });
        response.write(Buffer.alloc(1000));
        // Left open: the reader must stop at the header, not wait for 50 MB.
      } else if (request.url === '/endless.png') endless(response);
      else if (request.url === '/slow.png') response.writeHead(200).write(Buffer.alloc(10));
      else response.writeHead(403).end('denied');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('downloads only with fetchRemote, and says which HTTP status failed', async () => {
    const figure = { ...png, url: `${base}/figure.png` };
    expect(await readFigureBytes(figure)).toBeUndefined();
    const read = await readFigureBytes(figure, { fetchRemote: true, maxBytes: 1000 });
    expect(read?.source).toEqual({ kind: 'http', url: figure.url });
    expect(same(read?.data)).toBe(true);
    await expect(
      readFigureBytes({ ...png, url: `${base}/private.png` }, { fetchRemote: true }),
    ).rejects.toThrow(/^HTTP 403$/);
  });

  it('stops at a Content-Length over maxBytes without reading the body', async () => {
    const read = readFigureBytes(
      { ...png, url: `${base}/declared-large.png` },
      { fetchRemote: true, maxBytes: 100_000, timeoutMs: 5_000 },
    );
    await expect(read).rejects.toMatchObject({
      name: 'FigureTooLargeError',
      byteLength: 50_000_000,
    });
  });

  it('without a Content-Length, stops streaming once past maxBytes', async () => {
    const read = readFigureBytes(
      { ...png, url: `${base}/endless.png` },
      { fetchRemote: true, maxBytes: 200_000 },
    );
    await expect(read).rejects.toBeInstanceOf(FigureTooLargeError);
    await expect(read).rejects.toMatchObject({ byteLength: undefined });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(endlessFinished).toBe(false);
    expect(endlessWritten).toBeLessThan(64 * 1024 * 1024);
  });

  it('gives up after timeoutMs, and when the abort signal fires', async () => {
    const started = Date.now();
    await expect(
      readFigureBytes({ ...png, url: `${base}/slow.png` }, { fetchRemote: true, timeoutMs: 200 }),
    ).rejects.toThrow(/timeout|aborted/i);
    expect(Date.now() - started).toBeLessThan(5_000);
    const controller = new AbortController();
    const read = readFigureBytes(
      { ...png, url: `${base}/slow.png` },
      { fetchRemote: true, abortSignal: controller.signal },
    );
    controller.abort(new Error('user pressed stop'));
    await expect(read).rejects.toThrow(/user pressed stop/);
  });
});
