/**
 * `sandplot/strands`: the execute_python tool for Strands Agents (`@strands-agents/sdk` 1.x, an
 * optional peer dependency). The core entry `sandplot` never imports Strands.
 */
export { ExecutePythonStrandsTool, strandsTool, toStrandsToolResult } from './adapters/strands.js';
