/**
 * `sandplot/converse`: the execute_python tool for the Amazon Bedrock Converse API, and a small
 * tool-use loop. Uses @aws-sdk/client-bedrock-runtime (a dependency of sandplot).
 *
 * @module sandplot/converse
 */
export type {
  ConverseClient,
  ConverseExecutePythonTool,
  ConverseToolContext,
  ConverseToolHandler,
  ConverseToolLoopOptions,
  ConverseToolLoopResult,
  ConverseToolOptions,
  ConverseToolUseOptions,
} from './adapters/converse.js';
export { converseTool, runConverseToolLoop, toConverseToolResult } from './adapters/converse.js';
