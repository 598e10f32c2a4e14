import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { s3Sink } from '../../../src/s3.js';
import { describeImageSinkContract } from '../../support/image-sink-contract.js';
import { type S3TestServer, startS3TestServer } from '../../support/s3-server.js';

const bucket = 'figures';
let server: S3TestServer;
let client: S3Client;

beforeAll(async () => {
  server = await startS3TestServer({ buckets: [bucket] });
  client = new S3Client(server.clientConfig);
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
});

async function storedKeys(): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((object) => object.Key ?? '');
}

// Against s3rver behind the SigV4-verifying proxy: uploads and presigned downloads are verified.
describeImageSinkContract('s3Sink', () => ({
  sink: s3Sink({ bucket, client }),
  options: {
    keyPrefix: 'figures/',
    listStored: storedKeys,
    failingSink: () => s3Sink({ bucket: 'no-such-bucket', client }),
  },
}));
