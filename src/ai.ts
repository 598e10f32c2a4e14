/**
 * `sandplot/ai`: the execute_python tool for the Vercel AI SDK (`ai` 6.x, an optional peer
 * dependency). The core entry `sandplot` never imports the AI SDK.
 *
 * @module sandplot/ai
 */
export type {
  AiSdkExecutePythonOutput,
  AiSdkExecutePythonTool,
  AiSdkFigure,
  AiSdkImage,
  AiSdkToolOptions,
  AiSdkToolResultOutput,
} from './adapters/ai-sdk.js';
export {
  aiSdkConversationId,
  aiSdkTool,
  toAiSdkModelOutput,
  toAiSdkOutput,
} from './adapters/ai-sdk.js';
