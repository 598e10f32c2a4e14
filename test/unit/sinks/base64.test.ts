import { describe, expect, it } from 'vitest';
import { base64Sink } from '../../../src/sinks/base64.js';
import { imageSinkCheckNames } from '../../../src/testing.js';
import { describeImageSinkContract } from '../../support/image-sink-contract.js';
import { tinyPng } from '../../support/png.js';

// base64Sink cannot be made to fail, so the `sink-error` check does not apply.
describeImageSinkContract('base64Sink', () => ({ sink: base64Sink() }), {
  checks: imageSinkCheckNames(),
});

describe('base64Sink', () => {
  it('returns a base64 data: URL of the media type and keeps the bytes for multimodal models', async () => {
    const stored = await base64Sink().put(
      { index: 0, mediaType: 'image/png', data: tinyPng },
      { executionId: 'abc123', reportProblem: () => {} },
    );
    expect(stored.url).toBe(`data:image/png;base64,${Buffer.from(tinyPng).toString('base64')}`);
    expect(stored.data).toBe(tinyPng);
  });
});
