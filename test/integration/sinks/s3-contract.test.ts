import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { s3Sink } from '../../../src/s3.js';
import { describeImageSinkContract } from '../../support/image-sink-contract.js';
import { useS3Bucket } from '../../support/s3-sink-fixtures.js';

const bucket = 'figures';
const s3 = useS3Bucket(bucket);

async function storedKeys(): Promise<string[]> {
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((object) => object.Key ?? '');
}

// Against s3rver behind the SigV4-verifying proxy: uploads and presigned downloads are verified.
describeImageSinkContract('s3Sink', () => ({
  sink: s3Sink({ bucket, client: s3.client }),
  options: {
    keyPrefix: 'figures/',
    listStored: storedKeys,
    failingSink: () => s3Sink({ bucket: 'no-such-bucket', client: s3.client }),
  },
}));
