/**
 * `sandplot/strands`: the execute_python tool for Strands Agents (`@strands-agents/sdk` 1.x, an
 * optional peer dependency). The core entry `sandplot` never imports Strands.
 *
 * @module sandplot/strands
 */
export type { StrandsToolOptions } from './adapters/strands.js';
export {
  ExecutePythonStrandsTool,
  STRANDS_CONVERSATION_ID_KEY,
  strandsConversationId,
  strandsTool,
  toStrandsToolResult,
} from './adapters/strands.js';
