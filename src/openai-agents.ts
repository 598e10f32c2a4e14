/**
 * `sandplot/openai-agents`: the execute_python tool for the OpenAI Agents SDK (`@openai/agents`
 * 0.14.x, an optional peer dependency). The core entry `sandplot` never imports it.
 *
 * @module sandplot/openai-agents
 */
export type {
  OpenAIAgentsCallContext,
  OpenAIAgentsExecutePythonTool,
  OpenAIAgentsToolCallDetails,
  OpenAIAgentsToolContent,
  OpenAIAgentsToolOptions,
} from './adapters/openai-agents.js';
export {
  openAIAgentsConversationId,
  openAIAgentsTool,
  toOpenAIAgentsContent,
} from './adapters/openai-agents.js';
