import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { IMAGE_SINK_CHECKS } from '../../../src/testing.js';
import { assertBuildIsCurrent } from '../../support/cli.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('examples/custom-sink.ts', () => {
  it('passes every checkImageSink check, then stores a real figure behind a link the model reads', async () => {
    assertBuildIsCurrent();
    const cwd = await mkdtemp(join(tmpdir(), 'sandplot-custom-sink-'));
    const { stdout } = await promisify(execFile)(
      join(root, 'node_modules', '.bin', 'tsx'),
      [join(root, 'examples', 'custom-sink.ts')],
      { cwd, timeout: 120_000 },
    );
    const names = Object.keys(IMAGE_SINK_CHECKS);
    expect(stdout).toContain(
      `checkImageSink(http-put): ${names.length} of ${names.length} checks passed\n` +
        names.map((name) => `  ok   ${name}\n`).join(''),
    );
    const link =
      /^- figure 1, "Uploaded through a presigned URL", \d+×\d+ px, attached as an image, (http:\/\/127\.0\.0\.1:\d+\/upload\/figures\/[0-9a-f]{32}\/figure-1\.png\?expires=\d+&signature=[0-9a-f]{64})$/m.exec(
        stdout,
      );
    expect(link, stdout).not.toBeNull();
    expect(stdout).toContain('and sees 1 image(s)\n');
    const stored =
      /^figure 1: (figures\/[0-9a-f]{32}\/figure-1\.png), (\d+) bytes stored, (\d+) bytes fetched back as image\/png$/m.exec(
        stdout,
      );
    expect(stored, stdout).not.toBeNull();
    expect(link?.[1]).toContain(stored?.[1]);
    expect(Number(stored?.[2])).toBeGreaterThan(1000);
    expect(stored?.[3]).toBe(stored?.[2]);
    expect(stdout).toContain(`figure 1: Uploaded through a presigned URL <${link?.[1]}>\n`);
  }, 150_000);
});
