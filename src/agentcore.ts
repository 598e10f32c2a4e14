export type {
  AgentCoreBackendOptions,
  AgentCoreRunResult,
  AgentCoreTaskInfo,
  AgentCoreTaskStatus,
  CommandResult,
  RunLongCommandOptions,
  SessionFileContent,
  SessionFileEntry,
  TaskCallOptions,
} from './backends/agentcore.js';
export {
  AgentCoreSession,
  agentCoreBackend,
  isTaskFinished,
  MAX_SESSION_TIMEOUT_SECONDS,
} from './backends/agentcore.js';
