import {
  AbortError,
  BackendError,
  ConfigError,
  SandplotError,
  SessionError,
} from '../../errors/index.js';

/** What the backend does about an error from the service or the network. */
export type ErrorKind =
  /** Throttling and server faults: worth trying again after a pause. */
  | 'transient'
  /** The session is gone (expired, stopped, unknown): a new one is needed. */
  | 'session-lost'
  /** The caller aborted, or the call ran out of time. */
  | 'aborted'
  | 'permanent';

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

interface ServiceErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

function shape(error: unknown): ServiceErrorShape {
  return typeof error === 'object' && error !== null ? (error as ServiceErrorShape) : {};
}

function statusOf(error: unknown): number | undefined {
  return shape(error).$metadata?.httpStatusCode;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

export function classifyError(error: unknown): ErrorKind {
  const { name, $fault } = shape(error);
  if (name === 'AbortError' || (SandplotError.isInstance(error) && error.code === 'ABORTED')) {
    return 'aborted';
  }
  if (name === 'ResourceNotFoundException') return 'session-lost';
  if (name === 'ThrottlingException' || name === 'InternalServerException') return 'transient';
  const status = statusOf(error);
  if (status === 429 || (status !== undefined && status >= 500)) return 'transient';
  if ($fault === 'server' && status === undefined) return 'transient';
  // A dropped connection is not retried here: the code may have run, and running it again
  // could repeat its effects. It is still reported as retryable.
  return 'permanent';
}

/**
 * The connection failed or was dropped before an answer arrived: the service may or may not have
 * acted. Safe to retry only for calls that are idempotent (a start with its clientToken, a stop).
 */
export function isConnectionFailure(error: unknown): boolean {
  const { code, message } = shape(error);
  if (code !== undefined && NETWORK_CODES.has(code)) return true;
  return /socket hang up|ECONNRESET|EPIPE/.test(message ?? '');
}

/** True when the failure says nothing about the request itself: the same call may work later. */
function isRetryableLater(error: unknown): boolean {
  const kind = classifyError(error);
  if (kind === 'transient') return true;
  const { name, message } = shape(error);
  if (error instanceof EmptyStreamError) return true;
  if (name === 'ConflictException' || name === 'ServiceQuotaExceededException') return true;
  if (isConnectionFailure(error)) return true;
  // A stream cut mid-frame surfaces as a parse or premature-close error from the SDK.
  return /premature close|socket hang up|aborted|truncated|incomplete|Message length/i.test(
    message ?? '',
  );
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
  const { name = 'Error', message = String(error) } = shape(error);
  const status = statusOf(error);
  const detail = `${name}${status === undefined ? '' : ` (HTTP ${status})`}: ${message}`;
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new ConfigError(
      `agentCoreBackend: no AWS credentials for ${action}: ${message}. Configure credentials (environment, profile, role) or pass clientConfig.credentials.`,
      { code: 'BACKEND_UNAVAILABLE', cause: error },
    );
  }
  if (name === 'AbortError') {
    return new AbortError(`${action} was aborted by its abortSignal.`, { cause: error });
  }
  if (name === 'AccessDeniedException' || status === 403) {
    return new BackendError(
      `agentCoreBackend: ${action} was denied: ${detail}. The caller needs the IAM permissions listed in docs/agentcore.md (bedrock-agentcore:StartCodeInterpreterSession, InvokeCodeInterpreter, StopCodeInterpreterSession, GetCodeInterpreterSession) on the code interpreter named by the \`identifier\` option.`,
      { cause: error },
    );
  }
  if (name === 'ValidationException') {
    return new BackendError(`agentCoreBackend: the service rejected ${action}: ${detail}.`, {
      cause: error,
    });
  }
  if (name === 'ResourceNotFoundException') {
    return new SessionError(
      `agentCoreBackend: ${action} failed because the session or code interpreter was not found: ${detail}. Check the \`identifier\` option and the region.`,
      { cause: error, isRetryable: true },
    );
  }
  const retryable = isRetryableLater(error);
  return new BackendError(
    `agentCoreBackend: ${action} failed: ${detail}.${retryable ? ' Try again later, or raise the `maxRetries` option.' : ''}`,
    { cause: error, isRetryable: retryable },
  );
}
