import {
  AbortError,
  BackendError,
  ConfigError,
  SandplotError,
  SessionError,
} from '../../errors/index.js';
import {
  type AwsErrorDescription,
  describeAwsError,
  isTransientNetworkCode,
} from '../../internal/aws-errors.js';

/** What the backend does about an error from the service or the network. */
export type ErrorKind =
  /** Throttling and server faults: worth trying again after a pause. */
  | 'transient'
  /** The session is gone (expired, stopped, unknown): a new one is needed. */
  | 'session-lost'
  /** The caller aborted, or the call ran out of time. */
  | 'aborted'
  | 'permanent';

/** The IAM actions the backend calls, all of them and no others. */
export const IAM_ACTIONS = [
  'bedrock-agentcore:StartCodeInterpreterSession',
  'bedrock-agentcore:InvokeCodeInterpreter',
  'bedrock-agentcore:StopCodeInterpreterSession',
  'bedrock-agentcore:GetCodeInterpreterSession',
] as const;

/** The stream members that carry a modeled exception, with the class name the SDK gives it. */
export const STREAM_EXCEPTION_MEMBERS = {
  accessDeniedException: 'AccessDeniedException',
  conflictException: 'ConflictException',
  internalServerException: 'InternalServerException',
  resourceNotFoundException: 'ResourceNotFoundException',
  serviceQuotaExceededException: 'ServiceQuotaExceededException',
  throttlingException: 'ThrottlingException',
  validationException: 'ValidationException',
} as const;

/**
 * What the backend does about a failure: a lost session is replaced, throttling and server faults
 * are retried. A dropped connection is not retried here: the code may have run, and running it
 * again could repeat its effects. It is still reported as retryable.
 */
export function classifyError(error: unknown): ErrorKind {
  if (SandplotError.isInstance(error) && error.code === 'ABORTED') return 'aborted';
  const failure = describeAwsError(error);
  if (failure.category === 'aborted') return 'aborted';
  if (failure.name === 'ResourceNotFoundException') return 'session-lost';
  if (failure.category === 'throttled' || failure.category === 'server') return 'transient';
  const status = failure.httpStatus;
  if (status === 429 || (status !== undefined && status >= 500)) return 'transient';
  return 'permanent';
}

/**
 * The connection failed or was dropped before an answer arrived: the service may or may not have
 * acted. Safe to retry only for calls that are idempotent (a start with its clientToken, a stop).
 */
export function isConnectionFailure(error: unknown): boolean {
  const { networkCode, category } = describeAwsError(error);
  if (networkCode !== undefined) return isTransientNetworkCode(networkCode);
  return category === 'connection-dropped';
}

/**
 * What a failed InvokeCodeInterpreter call tells about the tool run it asked for.
 * - `refused`: the service turned the request away (throttling, a quota of concurrent calls on
 *   the session) or it never left this machine (connection refused): the tool did not run, and
 *   the call may be repeated after a pause.
 * - `ambiguous`: a server fault (HTTP 5xx, an `internalServerException` frame), a connection
 *   dropped after the request went out, a stream that broke or ended without a result: the tool
 *   may or may not have run.
 * - `not-found`: ResourceNotFoundException: the session, or what the call names, is gone.
 */
export type InvokeFailure = 'aborted' | 'refused' | 'ambiguous' | 'not-found' | 'permanent';

/** Sorts an InvokeCodeInterpreter failure (see `InvokeFailure`). */
export function classifyInvokeFailure(error: unknown): InvokeFailure {
  if (SandplotError.isInstance(error) && error.code === 'ABORTED') return 'aborted';
  const failure = describeAwsError(error);
  if (failure.category === 'aborted') return 'aborted';
  if (failure.name === 'ResourceNotFoundException') return 'not-found';
  if (failure.category === 'throttled' || failure.name === 'ServiceQuotaExceededException') {
    return 'refused';
  }
  if (failure.category === 'network') {
    // The connection never opened: nothing was sent.
    return isTransientNetworkCode(failure.networkCode) ? 'refused' : 'permanent';
  }
  if (
    failure.category === 'server' ||
    failure.category === 'connection-dropped' ||
    failure.category === 'timeout' ||
    error instanceof EmptyStreamError ||
    STREAM_BROKEN.test(failure.message)
  ) {
    return 'ambiguous';
  }
  return 'permanent';
}

// A stream cut mid-frame surfaces as a parse or premature-close error from the SDK.
const STREAM_BROKEN = /premature close|socket hang up|aborted|truncated|incomplete|Message length/i;

/** True when the failure says nothing about the request itself: the same call may work later. */
function isRetryableLater(error: unknown, failure: AwsErrorDescription): boolean {
  if (classifyError(error) === 'transient') return true;
  if (error instanceof EmptyStreamError) return true;
  if (failure.name === 'ConflictException' || failure.name === 'ServiceQuotaExceededException') {
    return true;
  }
  if (isConnectionFailure(error)) return true;
  return STREAM_BROKEN.test(failure.message);
}

/** The stream ended without a result event: nothing says whether the tool ran. */
export class EmptyStreamError extends Error {
  constructor() {
    super('the response stream ended without a result event (the connection may have dropped)');
    this.name = 'EmptyStreamError';
  }
}

/**
 * Turns anything the SDK threw into a SandplotError with a stable code, keeping the original as
 * `cause`. `action` names what was attempted, e.g. `InvokeCodeInterpreter (executeCode)`.
 */
export function toSandplotError(error: unknown, action: string): SandplotError {
  if (SandplotError.isInstance(error)) return error;
  const failure = describeAwsError(error);
  const { category, httpStatus, message } = failure;
  const detail = `${failure.name || 'Error'}${httpStatus === undefined ? '' : ` (HTTP ${httpStatus})`}: ${message}`;
  if (category === 'credentials-missing') {
    return new ConfigError(
      `agentCoreBackend: no AWS credentials for ${action}: ${message}. Configure credentials (environment, profile, role) or pass clientConfig.credentials.`,
      { code: 'BACKEND_UNAVAILABLE', cause: error },
    );
  }
  if (category === 'aborted') {
    return new AbortError(`${action} was aborted by its abortSignal.`, { cause: error });
  }
  if (category === 'credentials-expired') {
    return new ConfigError(
      `agentCoreBackend: the AWS credentials used for ${action} have expired (${detail}). Refresh them (a new SSO login or role session), or give the client a credential provider that refreshes itself.`,
      { code: 'BACKEND_UNAVAILABLE', cause: error },
    );
  }
  if (category === 'clock-skew') {
    return new ConfigError(
      `agentCoreBackend: ${action} was refused because this machine's clock is too far from AWS's (${detail}). Synchronise the clock (NTP); the credentials themselves may be fine.`,
      { code: 'BACKEND_UNAVAILABLE', cause: error },
    );
  }
  if (category === 'access-denied' || httpStatus === 403) {
    return new BackendError(
      `agentCoreBackend: ${action} was denied: ${detail}. The caller needs these IAM actions on the code interpreter named by the \`identifier\` option (see docs/agentcore.md): ${IAM_ACTIONS.join(', ')}.`,
      { cause: error },
    );
  }
  if (category === 'validation') {
    return new BackendError(`agentCoreBackend: the service rejected ${action}: ${detail}.`, {
      cause: error,
    });
  }
  if (failure.name === 'ResourceNotFoundException') {
    return new SessionError(
      `agentCoreBackend: ${action} failed because the session or code interpreter was not found: ${detail}. Check the \`identifier\` option and the region.`,
      { cause: error, isRetryable: true },
    );
  }
  const retryable = isRetryableLater(error, failure);
  return new BackendError(
    `agentCoreBackend: ${action} failed: ${detail}.${retryable ? ' Try again later, or raise the `maxRetries` option.' : ''}`,
    { cause: error, isRetryable: retryable },
  );
}
