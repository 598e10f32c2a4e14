export type {
  AgentCoreBackendOptions,
  AgentCoreRunResult,
  CommandResult,
  SessionFileContent,
  SessionFileEntry,
} from './backends/agentcore.js';
export {
  AgentCoreSession,
  agentCoreBackend,
  MAX_SESSION_TIMEOUT_SECONDS,
} from './backends/agentcore.js';
