/**
 * `sandplot/testing`: a loopback AgentCore emulator that speaks the real wire protocol, and the
 * conformance checks `checkImageSink` and `checkBackend` for custom sinks and backends.
 *
 * @module sandplot/testing
 */
export type {
  AgentCoreEmulator,
  AgentCoreEmulatorFaults,
  AgentCoreEmulatorOptions,
  AgentCoreEmulatorStats,
  AgentCoreOperation,
  CommandOutput,
  EmulatorCredentials,
  StreamExceptionType,
} from './testing/agentcore-emulator.js';
export { EMULATOR_CREDENTIALS, startAgentCoreEmulator } from './testing/agentcore-emulator.js';
export * from './testing/conformance/index.js';
