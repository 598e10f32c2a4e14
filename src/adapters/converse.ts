import {
  type ContentBlock,
  ConverseCommand,
  type ConverseCommandOutput,
  type InferenceConfiguration,
  type Message,
  type SystemContentBlock,
  type ToolInputSchema,
  type ToolResultContentBlock,
  type ToolSpecification,
  type ToolUseBlock,
} from '@aws-sdk/client-bedrock-runtime';
import { ConfigError } from '../errors/index.js';
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

/** Options of one `handleToolUse` call. */
export interface ConverseToolUseOptions {
  abortSignal?: AbortSignal;
  /** The conversation this tool use belongs to (on a pool); comes before the tool's option. */
  conversationId?: string;
}

/** A tool the Converse loop can offer and run: its spec and a handler for its toolUse blocks. */
export interface ConverseToolHandler {
  readonly toolSpec: ToolSpecification;
  handleToolUse(
    block: ToolUseBlock | { toolUse: ToolUseBlock },
    options?: ConverseToolUseOptions,
  ): Promise<ContentBlock.ToolResultMember>;
}

/** What a `conversationId` function of `converseTool` gets: the tool use, and the call's conversation id if one was passed. */
export interface ConverseToolContext {
  toolUse: ToolUseBlock;
  conversationId?: string;
}

/** Options of `converseTool`: the tool options, with `conversationId` a function of the tool use. */
export type ConverseToolOptions = ExecutePythonToolOptions<ConverseToolContext>;

/** The execute_python tool for the Bedrock Converse API. */
export interface ConverseExecutePythonTool extends ConverseToolHandler, ConversationFigures {
  /** The framework-neutral tool underneath (as on the other adapters' tools). */
  readonly sandplotTool: ExecutePythonTool<ConverseToolContext>;
  /** @deprecated Use sandplotTool. */
  readonly tool: ExecutePythonTool<ConverseToolContext>;
  /** The model-facing output of the last call, for logging. */
  readonly lastOutput: ExecutePythonToolOutput | undefined;
}

const CONVERSE_CONVERSATION_ID_HELP =
  'Pass converseTool(pool, { conversationId }) (a string, or a function of { toolUse, conversationId }), runConverseToolLoop({ conversationId }), or handleToolUse(block, { conversationId }).';

/**
 * The execute_python tool as a Bedrock Converse tool: put `{ toolSpec }` in `toolConfig.tools`,
 * and answer each `toolUse` content block of the assistant with `handleToolUse(block)`: a
 * `{ toolResult }` content block with the text, the figures as `image` blocks (PNG/JPEG bytes) and
 * `status: 'error'` when the Python raised (images still attached).
 */
export function converseTool(
  target: ExecutePythonTarget,
  options: ConverseToolOptions = {},
): ConverseExecutePythonTool {
  const tool = createExecutePythonTool<ConverseToolContext>(target, {
    conversationIdHelp: CONVERSE_CONVERSATION_ID_HELP,
    ...options,
  });
  let lastOutput: ExecutePythonToolOutput | undefined;
  const handler: Omit<ConverseExecutePythonTool, keyof ConversationFigures> = {
    sandplotTool: tool,
    get tool() {
      return tool;
    },
    toolSpec: {
      name: tool.name,
      description: tool.description,
      inputSchema: converseSchema(tool.jsonSchema),
    },
    get lastOutput() {
      return lastOutput;
    },
    async handleToolUse(block, handleOptions = {}) {
      const toolUse = 'toolUse' in block ? block.toolUse : block;
      const toolUseId = toolUse.toolUseId ?? '';
      if (toolUse.name !== tool.name) {
        return errorResult(
          toolUseId,
          `Unknown tool ${JSON.stringify(toolUse.name)}: this handler runs ${tool.name}.`,
        );
      }
      const conversationId = handleOptions.conversationId;
      const output = await tool.invoke(modelArguments(toolUse.input), {
        context: { toolUse, ...(conversationId === undefined ? {} : { conversationId }) },
        ...(conversationId === undefined ? {} : { conversationId }),
        ...(toolUse.toolUseId ? { toolCallId: toolUse.toolUseId } : {}),
        ...(handleOptions.abortSignal ? { abortSignal: handleOptions.abortSignal } : {}),
      });
      lastOutput = output;
      return toConverseToolResult(toolUseId, output);
    },
  };
  return defineConversationFigures(handler, tool);
}

/** Maps the neutral output to a Converse `{ toolResult }` content block. */
export function toConverseToolResult(
  toolUseId: string,
  output: ExecutePythonToolOutput,
): ContentBlock.ToolResultMember {
  const content: ToolResultContentBlock[] = [{ text: output.text }];
  for (const image of output.images) {
    content.push({ image: { format: image.format, source: { bytes: image.data } } });
  }
  return { toolResult: { toolUseId, content, status: output.isError ? 'error' : 'success' } };
}

function errorResult(toolUseId: string, text: string): ContentBlock.ToolResultMember {
  return { toolResult: { toolUseId, content: [{ text }], status: 'error' } };
}

/** Converse takes plain JSON Schema; the `$schema` key is dropped as some models reject it. */
function converseSchema(schema: Record<string, unknown>): ToolInputSchema {
  const { $schema: _schema, ...rest } = schema;
  return { json: rest as ToolInputSchema.JsonMember['json'] };
}

/** The part of BedrockRuntimeClient the loop uses. */
export interface ConverseClient {
  send(
    command: ConverseCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<ConverseCommandOutput>;
}

export interface ConverseToolLoopOptions {
  /** A BedrockRuntimeClient (or anything with its `send`). */
  client: ConverseClient;
  /** A model or inference profile id, e.g. `us.anthropic.claude-sonnet-4-20250514-v1:0`. */
  modelId: string;
  /** The conversation so far; not modified (the result holds the extended copy). */
  messages: Message[];
  /** A system prompt, as a string or Converse system blocks. */
  system?: string | SystemContentBlock[];
  /** Tools the model may call, e.g. `[converseTool(sandbox)]`. */
  tools: ConverseToolHandler[];
  /**
   * The conversation these messages belong to, handed to every tool use (`handleToolUse(block, {
   * conversationId })`): a `converseTool(pool)` runs the code in this conversation's sandbox.
   */
  conversationId?: string;
  /** Model calls at most; the loop stops after this many even if the model still wants tools. @default 10 */
  maxSteps?: number;
  inferenceConfig?: InferenceConfiguration;
  abortSignal?: AbortSignal;
  /** Called after each model response, e.g. for logging. */
  onStep?: (step: {
    response: ConverseCommandOutput;
    toolResults: ContentBlock.ToolResultMember[];
  }) => void;
}

export interface ConverseToolLoopResult {
  /** The conversation including every assistant message and tool result of the loop. */
  messages: Message[];
  /** The last model response. */
  response: ConverseCommandOutput;
  /** The text of the last assistant message. */
  text: string;
  stopReason: string | undefined;
  /** Model calls made. */
  steps: number;
  /** True when the loop stopped at `maxSteps` while the model still asked for tools. */
  maxStepsReached: boolean;
}

/**
 * Calls Converse, runs the tools the model asks for, sends their results back, and repeats while
 * the stop reason is `tool_use` (at most `maxSteps` model calls).
 */
export async function runConverseToolLoop(
  options: ConverseToolLoopOptions,
): Promise<ConverseToolLoopResult> {
  const maxSteps = options.maxSteps ?? 10;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) {
    throw new ConfigError(
      `Invalid runConverseToolLoop options: maxSteps must be a positive integer, got ${String(maxSteps)}.`,
    );
  }
  const byName = new Map(options.tools.map((tool) => [tool.toolSpec.name, tool]));
  const messages = [...options.messages];
  const system = typeof options.system === 'string' ? [{ text: options.system }] : options.system;
  const sendOptions = options.abortSignal ? { abortSignal: options.abortSignal } : {};
  const toolUseOptions: ConverseToolUseOptions = {
    ...sendOptions,
    ...(options.conversationId === undefined ? {} : { conversationId: options.conversationId }),
  };
  for (let step = 1; ; step++) {
    const response = await options.client.send(
      new ConverseCommand({
        modelId: options.modelId,
        messages,
        ...(system ? { system } : {}),
        ...(options.inferenceConfig ? { inferenceConfig: options.inferenceConfig } : {}),
        ...(options.tools.length > 0
          ? { toolConfig: { tools: options.tools.map((tool) => ({ toolSpec: tool.toolSpec })) } }
          : {}),
      }),
      sendOptions,
    );
    const message = response.output?.message;
    if (message) messages.push(message);
    const toolUses = (message?.content ?? []).flatMap((block) =>
      block.toolUse ? [block.toolUse] : [],
    );
    const wantsTools = response.stopReason === 'tool_use' && toolUses.length > 0;
    const toolResults: ContentBlock.ToolResultMember[] = [];
    if (wantsTools) {
      for (const toolUse of toolUses) {
        const handler = byName.get(toolUse.name);
        toolResults.push(
          handler
            ? await handler.handleToolUse(toolUse, toolUseOptions)
            : errorResult(toolUse.toolUseId ?? '', `Unknown tool ${JSON.stringify(toolUse.name)}.`),
        );
      }
      messages.push({ role: 'user', content: toolResults });
    }
    options.onStep?.({ response, toolResults });
    if (!wantsTools || step >= maxSteps) {
      return {
        messages,
        response,
        text: textOf(message),
        stopReason: response.stopReason,
        steps: step,
        maxStepsReached: wantsTools,
      };
    }
  }
}

function textOf(message: Message | undefined): string {
  return (message?.content ?? [])
    .flatMap((block) => (typeof block.text === 'string' ? [block.text] : []))
    .join('\n');
}
