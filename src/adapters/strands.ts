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
import { createExecutePythonTool } from '../tool/execute-python.js';
import { modelArguments } from '../tool/tool-input.js';
import type {
  ExecutePythonTarget,
  ExecutePythonTool,
  ExecutePythonToolOptions,
  ExecutePythonToolOutput,
} from '../tool/tool-types.js';
import {
  type ConversationFigures,
  defineConversationFigures,
} from './shared/conversation-figures.js';
import { asConversationId, conversationIdIn } from './shared/conversation-id.js';

/**
 * The key under which the default `conversationId` lookup finds a pool call's conversation id:
 * `invocationState.conversationId` (per call: `agent.invoke(prompt, { invocationState: {
 * conversationId } })`), else `agent.appState.get('conversationId')` (per agent: `new Agent({
 * appState: { conversationId } })`).
 */
export const STRANDS_CONVERSATION_ID_KEY = 'conversationId';

/** Options of `strandsTool`: the tool options, with `conversationId` a function of the ToolContext. */
export type StrandsToolOptions = ExecutePythonToolOptions<ToolContext>;

/** The default conversation id of a Strands tool call: invocation state first, then agent app state. */
export function strandsConversationId(context: ToolContext): string | undefined {
  return (
    conversationIdIn(context.invocationState, STRANDS_CONVERSATION_ID_KEY) ??
    asConversationId(context.agent?.appState?.get(STRANDS_CONVERSATION_ID_KEY))
  );
}

const STRANDS_CONVERSATION_ID_HELP = `strandsTool looks for it in the invocation state (agent.invoke(prompt, { invocationState: { ${STRANDS_CONVERSATION_ID_KEY}: id } })) and then in the agent's app state (new Agent({ appState: { ${STRANDS_CONVERSATION_ID_KEY}: id } }) or agent.appState.set('${STRANDS_CONVERSATION_ID_KEY}', id)); set one of them, or pass strandsTool(pool, { conversationId: (toolContext) => id }).`;

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
export class ExecutePythonStrandsTool extends Tool implements ConversationFigures {
  name: string;
  description: string;
  toolSpec: ToolSpec;
  /** The framework-neutral tool underneath. */
  readonly sandplotTool: ExecutePythonTool<ToolContext>;
  // The figure ledgers (see ConversationFigures), defined by the constructor.
  declare readonly figures: ConversationFigures['figures'];
  declare figuresFor: ConversationFigures['figuresFor'];
  declare ledgerFor: ConversationFigures['ledgerFor'];
  declare forgetConversation: ConversationFigures['forgetConversation'];
  #lastOutput: ExecutePythonToolOutput | undefined;

  /**
   * `target` is a CodeSandbox, or a sandbox pool: then each call runs in the sandbox of its
   * conversation, found by `options.conversationId` (default: `strandsConversationId`).
   */
  constructor(target: ExecutePythonTarget, options: StrandsToolOptions = {}) {
    super();
    this.sandplotTool = createExecutePythonTool<ToolContext>(target, {
      conversationId: strandsConversationId,
      conversationIdHelp: STRANDS_CONVERSATION_ID_HELP,
      ...options,
    });
    defineConversationFigures(this, this.sandplotTool);
    this.name = this.sandplotTool.name;
    this.description = this.sandplotTool.description;
    const { $schema: _schema, ...inputSchema } = this.sandplotTool.jsonSchema;
    this.toolSpec = {
      name: this.name,
      description: this.description,
      inputSchema: inputSchema as JSONSchema,
    };
  }

  /** The model-facing output of the last call, for logging. */
  get lastOutput(): ExecutePythonToolOutput | undefined {
    return this.#lastOutput;
  }

  // Strands' Tool contract is an async generator that returns the result block.
  // biome-ignore lint/correctness/useYield: the tool has no intermediate events to stream.
  async *stream(toolContext: ToolContext): ToolStreamGenerator {
    const { toolUse, cancelSignal } = toolContext;
    const output = await this.sandplotTool.invoke(modelArguments(toolUse.input), {
      context: toolContext,
      toolCallId: toolUse.toolUseId,
      ...(cancelSignal ? { abortSignal: cancelSignal } : {}),
    });
    this.#lastOutput = output;
    return toStrandsToolResult(toolUse.toolUseId, output);
  }
}

/**
 * The execute_python tool for Strands Agents (`new Agent({ tools: [strandsTool(sandbox)] })`).
 * With a pool (`strandsTool(pool)`), each call runs in its conversation's sandbox: the id comes
 * from the invocation state or the agent's app state under `conversationId`, or from
 * `options.conversationId` (a string, or a function of the ToolContext).
 */
export function strandsTool(
  target: ExecutePythonTarget,
  options: StrandsToolOptions = {},
): ExecutePythonStrandsTool {
  return new ExecutePythonStrandsTool(target, options);
}
