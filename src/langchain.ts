/**
 * `sandplot/langchain`: the execute_python tool for LangChain.js (`@langchain/core` 1.x, an
 * optional peer dependency). The core entry `sandplot` never imports LangChain.
 *
 * @module sandplot/langchain
 */
export type { LangChainToolContentBlock, LangChainToolOptions } from './adapters/langchain.js';
export {
  ExecutePythonLangChainTool,
  langchainConversationId,
  langchainTool,
  toLangChainContent,
} from './adapters/langchain.js';
