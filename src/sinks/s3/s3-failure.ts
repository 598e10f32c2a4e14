import { errorMessage, SinkError } from '../../errors/index.js';
import { describeAwsError, isTransientNetworkCode } from '../../internal/aws-errors.js';

/** What the sink was doing when the SDK call failed, for the message. */
export interface S3FailureContext {
  /** e.g. `upload figure 2 to`, followed by the object's s3:// URL. */
  action: string;
  bucket: string;
  key: string;
  /** Whether uploads use SSE-KMS, which needs a KMS permission too. */
  kms: boolean;
}

const REGION_NAMES = new Set([
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'IllegalLocationConstraintException',
]);

/** Turns what the SDK threw into a SinkError that names bucket, key and the likely fix. */
export function s3Failure(error: unknown, context: S3FailureContext): SinkError {
  const failure = describeAwsError(error);
  const { name, httpStatus, networkCode } = failure;
  const text = errorMessage(error);
  const where = `s3Sink could not ${context.action} s3://${context.bucket}/${context.key}`;
  const label = [
    ...new Set([
      name === 'Error' || name === 'AggregateError' ? '' : name,
      networkCode,
      httpStatus,
    ]),
  ]
    .filter((part) => part !== undefined && part !== '')
    .join(', ');
  const said = `${where}: ${text}${label ? ` (${label})` : ''}.`;
  const fail = (fix: string, isRetryable: boolean) =>
    new SinkError('s3', `${said} ${fix}`, { cause: error, isRetryable });

  if (failure.category === 'credentials-missing') {
    return fail(
      'No AWS credentials were found: configure them (environment, profile, role) or pass `client` or `clientConfig.credentials`.',
      false,
    );
  }
  if (/region is missing/i.test(text)) {
    return fail("Set the `region` option (or AWS_REGION) to the bucket's region.", false);
  }
  if (name === 'NoSuchBucket') {
    return fail(
      `The bucket ${context.bucket} does not exist where the client looked: check the \`bucket\` option and the \`region\` (or endpoint).`,
      false,
    );
  }
  if (REGION_NAMES.has(name) || httpStatus === 301) {
    return fail(
      `The bucket ${context.bucket} is in another region: set the \`region\` option to the bucket's region.`,
      false,
    );
  }
  switch (failure.category) {
    case 'credentials-expired':
      return fail(
        'The credentials the S3 client uses have expired: refresh them (a new session token or role session), or give the sink a `client` whose credentials provider refreshes them.',
        false,
      );
    case 'clock-skew':
      return fail(
        "This machine's clock is too far from AWS's for the request signature to be accepted: synchronise the clock (NTP) and try again.",
        false,
      );
    case 'access-denied': {
      const kms = context.kms ? ' and kms:GenerateDataKey on the KMS key' : '';
      return fail(
        `Check the credentials the S3 client uses and that their IAM policy allows s3:PutObject on arn:aws:s3:::${context.bucket}/${context.key}${kms}.`,
        false,
      );
    }
    case 'throttled':
      return fail(
        'S3 is throttling requests: try again later, or lower `maxConcurrentUploads`.',
        true,
      );
    case 'timeout':
      return fail('Raise the `timeoutMs` option or check the network path to S3.', true);
    case 'network':
    case 'connection-dropped':
      return fail(
        networkCode === 'ENOTFOUND'
          ? 'The S3 endpoint host name does not resolve: check `region` and `clientConfig.endpoint`.'
          : 'S3 could not be reached: check the network path to S3 and `clientConfig.endpoint`, then try again.',
        networkCode === undefined || isTransientNetworkCode(networkCode),
      );
    case 'server':
      return fail('S3 failed on its side: try again.', true);
    case 'not-found':
      return fail(
        `Check the \`bucket\` option (${context.bucket}) and the \`region\` (or endpoint).`,
        false,
      );
    default:
      return fail(
        'Check the `bucket`, `region` and credentials of the s3Sink.',
        failure.sdkRetryable,
      );
  }
}
