import { describe, expect, it } from 'vitest';
import { base64Sink } from '../../../src/sinks/base64.js';
import { tinyPng } from '../../support/png.js';

const context = { executionId: 'abc123', reportProblem: () => {} };

describe('base64Sink', () => {
  it('returns a data: URL holding exactly the figure bytes, and keeps the bytes', async () => {
    const stored = await base64Sink().put(
      { index: 2, mediaType: 'image/png', data: tinyPng, width: 1, height: 1, title: 'Dot' },
      context,
    );
    expect(stored.sink).toBe('base64');
    expect(stored.url.startsWith('data:image/png;base64,')).toBe(true);
    const decoded = Buffer.from(stored.url.slice('data:image/png;base64,'.length), 'base64');
    expect(Buffer.compare(decoded, Buffer.from(tinyPng))).toBe(0);
    expect(stored.data).toBe(tinyPng);
    expect(stored).toMatchObject({
      index: 2,
      width: 1,
      height: 1,
      title: 'Dot',
      byteLength: tinyPng.byteLength,
    });
  });

  it('encodes a view into a larger buffer without the surrounding bytes', async () => {
    const backing = new Uint8Array(tinyPng.length + 20).fill(7);
    backing.set(tinyPng, 10);
    const view = backing.subarray(10, 10 + tinyPng.length);
    const stored = await base64Sink().put(
      { index: 0, mediaType: 'image/png', data: view },
      context,
    );
    expect(stored.url).toBe(`data:image/png;base64,${Buffer.from(tinyPng).toString('base64')}`);
  });
});
