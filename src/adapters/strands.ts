import {
  ImageBlock,
  type JSONSchema,
  TextBlock,
  Tool,
  type ToolContext,
  ToolResultBlock,
  type ToolSpec,
  type ToolStreamGenerator,
} from '@strands-agents/sdk';
import {
  createExecutePythonTool,
  type ExecutePythonSandbox,
  type ExecutePythonTool,
  type ExecutePythonToolOptions,
  type ExecutePythonToolOutput,
} from '../tool/execute-python.js';
import type { LedgerFigure } from '../tool/figure-ledger.js';

/** Maps the neutral output to Strands tool-result content: a TextBlock, then one ImageBlock per figure. */
export function toStrandsToolResult(
  toolUseId: string,
  output: ExecutePythonToolOutput,
): ToolResultBlock {
  return new ToolResultBlock({
    toolUseId,
    status: output.isError ? 'error' : 'success',
    content: [
      new TextBlock(output.text),
      ...output.images.map(
        (image) => new ImageBlock({ format: image.format, source: { bytes: image.data } }),
      ),
    ],
  });
}

/**
 * The execute_python tool as a Strands Agents tool. Strands gets the input schema as plain JSON
 * Schema (not a zod object, which Strands recognises by `instanceof` and a second zod copy would
 * break); the input is validated here, and bad input comes back as an error result the model can
 * read. The result is a TextBlock plus one ImageBlock (PNG/JPEG bytes) per figure, with status
 * `error` when the Python raised (images still attached).
 */
export class ExecutePythonStrandsTool extends Tool {
  name: string;
  description: string;
  toolSpec: ToolSpec;
  /** The framework-neutral tool underneath. */
  readonly sandplotTool: ExecutePythonTool;
  #lastOutput: ExecutePythonToolOutput | undefined;

  constructor(sandbox: ExecutePythonSandbox, options: ExecutePythonToolOptions = {}) {
    super();
    this.sandplotTool = createExecutePythonTool(sandbox, options);
    this.name = this.sandplotTool.name;
    this.description = this.sandplotTool.description;
    const { $schema: _schema, ...inputSchema } = this.sandplotTool.jsonSchema;
    this.toolSpec = {
      name: this.name,
      description: this.description,
      inputSchema: inputSchema as JSONSchema,
    };
  }

  /** The sandbox's figure ledger: every figure made so far, for `renderFigureLinks`. */
  get figures(): readonly LedgerFigure[] {
    return this.sandplotTool.figures;
  }

  /** The model-facing output of the last call, for logging. */
  get lastOutput(): ExecutePythonToolOutput | undefined {
    return this.#lastOutput;
  }

  // Strands' Tool contract is an async generator that returns the result block.
  // biome-ignore lint/correctness/useYield: the tool has no intermediate events to stream.
  async *stream(toolContext: ToolContext): ToolStreamGenerator {
    const { toolUse, cancelSignal } = toolContext;
    const output = await this.sandplotTool.invoke(
      toolUse.input,
      cancelSignal ? { abortSignal: cancelSignal } : {},
    );
    this.#lastOutput = output;
    return toStrandsToolResult(toolUse.toolUseId, output);
  }
}

/** The execute_python tool for Strands Agents (`new Agent({ tools: [strandsTool(sandbox)] })`). */
export function strandsTool(
  sandbox: ExecutePythonSandbox,
  options: ExecutePythonToolOptions = {},
): ExecutePythonStrandsTool {
  return new ExecutePythonStrandsTool(sandbox, options);
}
