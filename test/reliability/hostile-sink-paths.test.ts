import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { localBackend } from '../../src/backends/local.js';
import { s3Sink } from '../../src/s3.js';
import { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { localDirSink } from '../../src/sinks/local-dir.js';
import { type S3TestServer, startS3TestServer } from '../support/s3-server.js';
import { recordCase } from './support/case-ledger.js';

// Figure titles are the one text the code puts into a figure's metadata: aimed at sink paths.
const titles = [
  '../../etc/passwd',
  '/abs/olute',
  'a\u0000b',
  '..\\..\\windows',
  'x'.repeat(600),
  'evil\u202Egnp.exe',
  '%2e%2e%2f',
  'line\nbreak',
];
const code = `import matplotlib.pyplot as plt
for title in ${JSON.stringify(titles)}:
    plt.figure(figsize=(1, 1), dpi=20)
    plt.title(title)`;

let dir: string;
let server: S3TestServer;
let client: S3Client;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandplot-hostile-sinks-'));
  server = await startS3TestServer({ buckets: ['figures'] });
  client = new S3Client(server.clientConfig);
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('hostile: figure titles aimed at sink paths and keys', () => {
  test('localDirSink: every file lands inside the folder, named by execution id and index', async () => {
    await using sandbox = new CodeSandbox({
      backend: localBackend(),
      imageSink: localDirSink({ dir }),
    });
    const result = await sandbox.executePython(code);
    const files = await readdir(dir, { recursive: true });
    const outside = result.figures.filter(
      (figure) => figure.path !== join(dir, `${result.executionId}-figure-${figure.index + 1}.png`),
    );
    recordCase({
      group: 'hostile',
      name: 'path traversal through 8 figure titles into localDirSink (../, /abs, NUL, ..\\, 600 chars, RTL, %2e, newline)',
      tried: titles.length,
      survived: result.figures.length - outside.length,
      lost: outside.length + (titles.length - result.figures.length),
      outcome: `${result.figures.length} files, all {executionId}-figure-{n}.png (n = index + 1) in the folder; titles kept as data only`,
    });
    expect(result.figures).toHaveLength(titles.length);
    expect(outside).toEqual([]);
    expect(files).toHaveLength(titles.length);
    expect(result.figures[0]?.title).toBe('../../etc/passwd');
  });

  test('s3Sink: every key stays under the prefix; titles reach only sanitised metadata', async () => {
    await using sandbox = new CodeSandbox({
      backend: localBackend(),
      imageSink: s3Sink({ bucket: 'figures', prefix: 'tenant-a/', client }),
    });
    const result = await sandbox.executePython(code);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'figures' }));
    const keys = (listed.Contents ?? []).map((object) => object.Key ?? '');
    const pattern = new RegExp(
      `^tenant-a/\\d{4}/\\d{2}/\\d{2}/${result.executionId}/figure-\\d+\\.png$`,
    );
    const outside = keys.filter((key) => !pattern.test(key));
    recordCase({
      group: 'hostile',
      name: 'key traversal through 8 figure titles into s3Sink (prefix tenant-a/)',
      tried: titles.length,
      survived: keys.length - outside.length,
      lost: outside.length + (titles.length - result.figures.length),
      outcome: `${keys.length} objects, all {prefix}{date}/{executionId}/figure-{n}.png (n = index + 1); titles only in printable-ASCII metadata (≤ 256 chars)`,
    });
    expect(result.problems).toEqual([]);
    expect(keys).toHaveLength(titles.length);
    expect(outside).toEqual([]);
  });
});
