/**
 * `sandplot/mcp`: the execute_python tool as an MCP server (`@modelcontextprotocol/sdk` 1.x, an
 * optional peer dependency), with the session's figures as resources. The core entry `sandplot`
 * never imports the MCP SDK. The `sandplot mcp` command serves it over stdio.
 *
 * @module sandplot/mcp
 */

export type { McpToolResultOptions } from './adapters/mcp/tool-result.js';
export { figureResourceUri, toMcpToolResult } from './adapters/mcp/tool-result.js';
export type {
  CreateMcpServerOptions,
  McpPool,
  McpRequestExtra,
  McpSandbox,
  McpTarget,
} from './adapters/mcp.js';
export { createMcpServer, mcpConversationId } from './adapters/mcp.js';
