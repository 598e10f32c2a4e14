import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import type { ImageSinkContext } from '../../src/sinks/types.js';
import type { CapturedFigure } from '../../src/types/index.js';
import { tinyPng } from './png.js';
import { type S3TestServer, startS3TestServer } from './s3-server.js';

/** The context CodeSandbox gives a sink for one execution of session `session-1`. */
export function sinkContext(
  executionId: string,
  extra: Partial<ImageSinkContext> = {},
): ImageSinkContext {
  return { executionId, sessionId: 'session-1', reportProblem: () => {}, ...extra };
}

/** A 1×1 PNG figure at `index`. */
export function pngFigure(index: number, title?: string): CapturedFigure {
  return {
    index,
    mediaType: 'image/png',
    data: tinyPng,
    width: 1,
    height: 1,
    ...(title === undefined ? {} : { title }),
  };
}

/**
 * Starts an S3 test server with `bucket` before the file's tests and stops it after them; the
 * server and a client for it are on the returned object once the tests run.
 */
export function useS3Bucket(bucket: string): {
  readonly server: S3TestServer;
  readonly client: S3Client;
} {
  const state = {} as { server: S3TestServer; client: S3Client };
  beforeAll(async () => {
    state.server = await startS3TestServer({ buckets: [bucket] });
    state.client = new S3Client(state.server.clientConfig);
  });
  afterAll(async () => {
    state.client?.destroy();
    await state.server?.close();
  });
  return state;
}
