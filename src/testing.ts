export type {
  AgentCoreEmulator,
  AgentCoreEmulatorFaults,
  AgentCoreEmulatorOptions,
  AgentCoreEmulatorStats,
  EmulatorCredentials,
  StreamExceptionType,
} from './testing/agentcore-emulator.js';
export { EMULATOR_CREDENTIALS, startAgentCoreEmulator } from './testing/agentcore-emulator.js';
export * from './testing/conformance/index.js';
