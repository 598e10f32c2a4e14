export { AbortError } from './abort-error.js';
export { BackendError } from './backend-error.js';
export { ConfigError } from './config-error.js';
export { InvalidInputError, type InvalidInputErrorOptions } from './invalid-input-error.js';
export { SandboxPoolBusyError, type SandboxPoolErrorCode } from './pool-busy-error.js';
export {
  errorMessage,
  SandplotError,
  type SandplotErrorCode,
  type SandplotErrorOptions,
} from './sandplot-error.js';
export { SessionError } from './session-error.js';
export { SessionStoreError } from './session-store-error.js';
export { SinkError } from './sink-error.js';
export { TimeoutError } from './timeout-error.js';
