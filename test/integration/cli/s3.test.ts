import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { pngSize } from '../../support/png.js';
import {
  type S3TestServer,
  s3ServerEnvironment,
  startS3TestServer,
} from '../../support/s3-server.js';

describe('sandplot run --sink s3://', () => {
  let s3: S3TestServer;
  beforeAll(async () => {
    s3 = await startS3TestServer({ buckets: ['cli-figures'] });
  });
  afterAll(() => s3?.close());

  it('uploads the figures and prints presigned URLs that download them', async () => {
    const run = await runCli(
      [
        'run',
        '-',
        '--sink',
        's3://cli-figures/runs',
        '--s3-endpoint',
        s3.endpoint,
        '--expires',
        '600',
        '--json',
      ],
      {
        cwd: await mkdtemp(join(tmpdir(), 'sandplot-cli-s3-')),
        input: 'import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.title("Line")\n',
        env: s3ServerEnvironment(s3),
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.figures).toHaveLength(1);
    const [figure] = result.figures;
    expect(figure.key).toMatch(/^runs\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f]{32}\/figure-1\.png$/);
    const expiresInSeconds = (Date.parse(figure.expiresAt) - Date.now()) / 1000;
    expect(expiresInSeconds).toBeGreaterThan(500);
    expect(expiresInSeconds).toBeLessThanOrEqual(600);
    const response = await fetch(figure.url);
    expect(response.status).toBe(200);
    expect(pngSize(new Uint8Array(await response.arrayBuffer()))).toEqual({
      width: figure.width,
      height: figure.height,
    });
  });

  it('refuses S3 flags without an s3:// sink', async () => {
    const run = await runCli(['run', '-', '--expires', '60'], { input: 'print(1)' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--s3-endpoint and --expires go with --sink s3:\/\//);
  });
});
