import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { localBackend } from '../../../src/backends/local.js';
import { s3Sink } from '../../../src/s3.js';
import { CodeSandbox } from '../../../src/sandbox/code-sandbox.js';
import type { CapturedFile } from '../../../src/types/index.js';
import { sinkContext, useS3Bucket } from '../../support/s3-sink-fixtures.js';

const bucket = 'figures';
const s3 = useS3Bucket(bucket);

function file(path: string, content: string, mediaType = 'text/csv'): CapturedFile {
  return { path, mediaType, data: new TextEncoder().encode(content) };
}

describe('s3Sink putFile against s3rver behind a SigV4-verifying proxy', () => {
  it('uploads under the execution prefix and presigns a URL that downloads the exact bytes as an attachment', async () => {
    const sink = s3Sink({ bucket, client: s3.client, prefix: 'runs/' });
    const stored = await sink.putFile?.(
      file('out/clean.csv', 'region,units\nnorth,120\n'),
      sinkContext('exec-files-1'),
    );
    expect(stored).toMatchObject({
      path: 'out/clean.csv',
      mediaType: 'text/csv',
      sink: 's3',
      byteLength: 23,
      key: expect.stringMatching(
        /^runs\/\d{4}\/\d{2}\/\d{2}\/exec-files-1\/files\/out\/clean\.csv$/,
      ),
    });
    expect(stored?.expiresAt).toBeInstanceOf(Date);
    const response = await fetch(stored?.url as string);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('region,units\nnorth,120\n');
    expect(response.headers.get('content-type')).toBe('text/csv');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="clean.csv"; filename*=UTF-8''clean.csv`,
    );
  });

  it('serves HTML and SVG the code wrote only as downloads', async () => {
    const sink = s3Sink({ bucket, client: s3.client });
    for (const [path, mediaType] of [
      ['page.html', 'text/html'],
      ['chart.svg', 'image/svg+xml'],
    ] as const) {
      const stored = await sink.putFile?.(
        file(path, '<script>alert(1)</script>', mediaType),
        sinkContext('exec-files-2'),
      );
      const head = await s3.client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: stored?.key }),
      );
      expect(head.ContentDisposition).toMatch(/^attachment; /);
      const response = await fetch(stored?.url as string);
      expect(response.headers.get('content-disposition')).toMatch(/^attachment; /);
    }
  });

  it('keeps names the code chose inside the execution prefix, cleaned and distinct', async () => {
    const sink = s3Sink({ bucket, client: s3.client, prefix: 'safe/' });
    const names = [
      '%2e%2e/x.csv',
      'a b.csv',
      'a_b.csv',
      'back\\slash.txt',
      `${'é'.repeat(50)}.txt`,
    ];
    const keys: string[] = [];
    for (const name of names) {
      const stored = await sink.putFile?.(file(name, name), sinkContext('exec-files-3'));
      keys.push(stored?.key as string);
      expect(await (await fetch(stored?.url as string)).text()).toBe(name);
    }
    expect(new Set(keys).size).toBe(names.length);
    for (const key of keys) {
      expect(key).toMatch(/^safe\/\d{4}\/\d{2}\/\d{2}\/exec-files-3\/files\/[A-Za-z0-9._~/-]+$/);
      expect(key.split('/')).not.toContain('..');
    }
    const listed = await s3.client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'safe/' }),
    );
    expect(listed.Contents?.length).toBe(names.length);
  });

  it('stores the files of a real execution through CodeSandbox', async () => {
    await using sandbox = new CodeSandbox({
      backend: localBackend(),
      imageSink: s3Sink({ bucket, client: s3.client }),
    });
    const result = await sandbox.executePython(
      'import pandas as pd\npd.DataFrame({"a": [1, 2]}).to_excel("report.xlsx", index=False)',
    );
    expect(result.problems).toEqual([]);
    const [stored] = result.files;
    expect(stored?.mediaType).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    const bytes = new Uint8Array(await (await fetch(stored?.url as string)).arrayBuffer());
    expect(Buffer.from(bytes)).toEqual(Buffer.from(await sandbox.readFile('report.xlsx')));
  });
});
