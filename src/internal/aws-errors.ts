/**
 * What went wrong in an AWS SDK call, in neutral terms. Each caller (the S3 sink, the AgentCore
 * backend) builds its own message and retry decision from it.
 */
export type AwsErrorCategory =
  /** No credentials could be loaded (no environment, profile or role). */
  | 'credentials-missing'
  /** The credentials (a session token) have expired: they need refreshing. */
  | 'credentials-expired'
  /** The request's signing time is too far from the service's clock. */
  | 'clock-skew'
  /** The credentials are refused or lack a permission (HTTP 403). */
  | 'access-denied'
  /** The service is throttling requests (HTTP 429, S3's SlowDown 503). */
  | 'throttled'
  /** The request or the connection timed out. */
  | 'timeout'
  /** The service could not be reached (refused, unreachable, the name does not resolve). */
  | 'network'
  /** The connection was dropped after the request went out: the service may have acted. */
  | 'connection-dropped'
  /** The service failed on its side (HTTP 5xx). */
  | 'server'
  /** What the request names does not exist (HTTP 404). */
  | 'not-found'
  /** The service rejected the request as invalid (HTTP 400). */
  | 'validation'
  /** The call was aborted through its abortSignal. */
  | 'aborted'
  | 'other';

/** An SDK error read into plain fields. */
export interface AwsErrorDescription {
  category: AwsErrorCategory;
  /** The error's name (the service's error code for a service error); '' when it has none. */
  name: string;
  /** The error's message; its name, or the value as a string, when it has none. */
  message: string;
  /** The HTTP status the service answered, when it answered. */
  httpStatus: number | undefined;
  /** The errno-style code of a network failure (`ECONNREFUSED`...), found through `cause` and AggregateError. */
  networkCode: string | undefined;
  /** Whether the SDK marked the error as retryable (`$retryable`). */
  sdkRetryable: boolean;
}

/**
 * The network failures worth trying again: the same request may get through later. Others (e.g.
 * ENOTFOUND, a host name that does not resolve) need a configuration change.
 */
export const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

/** Network codes of a connection that was open when it failed: the request may have arrived. */
const DROPPED_CONNECTION_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE']);

const EXPIRED_CREDENTIALS_NAMES = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
]);
const CLOCK_SKEW_NAMES = new Set(['RequestTimeTooSkewed', 'RequestTimeTooSkewedException']);
/** Signature errors that are clock skew when their message speaks of time. */
const SIGNATURE_NAMES = new Set(['SignatureDoesNotMatch', 'InvalidSignatureException']);
const CLOCK_SKEW_MESSAGE =
  /skew|clock|signature (?:expired|not yet current)|request time|time difference/i;
const ACCESS_DENIED_NAMES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'Forbidden',
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'InvalidToken',
  'AllAccessDisabled',
  'KMS.AccessDeniedException',
]);
const THROTTLED_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
]);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const SERVER_NAMES = new Set(['InternalServerException', 'InternalError', 'InternalFailure']);
const NOT_FOUND_NAMES = new Set(['ResourceNotFoundException', 'NoSuchBucket', 'NoSuchKey']);
const VALIDATION_NAMES = new Set([
  'ValidationException',
  'InvalidArgument',
  'InvalidRequest',
  'InvalidParameterValue',
  'MalformedXML',
]);

interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: unknown;
}

/** Reads what an AWS SDK call threw (a service exception, a network or credential error, anything). */
export function describeAwsError(error: unknown): AwsErrorDescription {
  const shape: SdkErrorShape = typeof error === 'object' && error !== null ? error : {};
  const name = typeof shape.name === 'string' ? shape.name : '';
  const message =
    typeof shape.message === 'string' && shape.message !== '' ? shape.message : fallback(error);
  const status = shape.$metadata?.httpStatusCode;
  const httpStatus = typeof status === 'number' ? status : undefined;
  const networkCode = findNetworkCode(error);
  const facts = { name, message, httpStatus, networkCode, fault: shape.$fault };
  return {
    category: categorise(facts),
    name,
    message,
    httpStatus,
    networkCode,
    sdkRetryable: shape.$retryable !== undefined && shape.$retryable !== null,
  };
}

/** True for a network failure the same request may get past later. */
export function isTransientNetworkCode(code: string | undefined): boolean {
  return code !== undefined && TRANSIENT_NETWORK_CODES.has(code);
}

interface Facts {
  name: string;
  message: string;
  httpStatus: number | undefined;
  networkCode: string | undefined;
  fault: unknown;
}

/** The first category that fits, most specific first. */
function categorise({ name, message, httpStatus, networkCode, fault }: Facts): AwsErrorCategory {
  if (name === 'AbortError') return 'aborted';
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return 'credentials-missing';
  }
  if (EXPIRED_CREDENTIALS_NAMES.has(name)) return 'credentials-expired';
  if (
    CLOCK_SKEW_NAMES.has(name) ||
    (SIGNATURE_NAMES.has(name) && CLOCK_SKEW_MESSAGE.test(message))
  ) {
    return 'clock-skew';
  }
  if (ACCESS_DENIED_NAMES.has(name) || httpStatus === 403) return 'access-denied';
  if (NOT_FOUND_NAMES.has(name)) return 'not-found';
  if (THROTTLED_NAMES.has(name) || httpStatus === 429 || httpStatus === 503) return 'throttled';
  if (TIMEOUT_NAMES.has(name) || networkCode === 'ETIMEDOUT') return 'timeout';
  if (networkCode !== undefined) {
    return DROPPED_CONNECTION_CODES.has(networkCode) ? 'connection-dropped' : 'network';
  }
  if (/socket hang up|ECONNRESET|EPIPE/.test(message)) return 'connection-dropped';
  if (
    SERVER_NAMES.has(name) ||
    (httpStatus !== undefined && httpStatus >= 500) ||
    fault === 'server'
  ) {
    return 'server';
  }
  if (httpStatus === 404) return 'not-found';
  if (VALIDATION_NAMES.has(name) || httpStatus === 400) return 'validation';
  return 'other';
}

function fallback(error: unknown): string {
  if (error instanceof Error) return error.name;
  return String(error);
}

/** The errno-style code of a network failure, looking through `cause` and AggregateError. */
function findNetworkCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const found = findNetworkCode(inner, depth + 1);
      if (found) return found;
    }
  }
  return findNetworkCode(cause, depth + 1);
}
