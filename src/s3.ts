/**
 * `sandplot/s3`: the S3 image sink. Kept out of the core entry so the core never loads the S3
 * client.
 *
 * @module sandplot/s3
 */

export type { S3KeyFunction, S3ServerSideEncryption, S3Sink, S3SinkOptions } from './sinks/s3.js';
export { s3Sink } from './sinks/s3.js';
