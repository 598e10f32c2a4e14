/**
 * `sandplot/agentcore`: the Amazon Bedrock AgentCore Code Interpreter backend, over
 * `@aws-sdk/client-bedrock-agentcore` (a dependency of sandplot).
 *
 * @module sandplot/agentcore
 */
export type {
  AgentCoreBackend,
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
