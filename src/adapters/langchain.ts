import type { CallbackManagerForToolRun } from '@langchain/core/callbacks/manager';
import { isToolMessage, ToolMessage } from '@langchain/core/messages';
import { StructuredTool, type ToolRunnableConfig } from '@langchain/core/tools';
import { createExecutePythonTool } from '../tool/execute-python.js';
import { executePythonInputSchema } from '../tool/tool-input.js';
import type {
  ExecutePythonInput,
  ExecutePythonTarget,
  ExecutePythonTool,
  ExecutePythonToolOptions,
  ExecutePythonToolOutput,
} from '../tool/tool-types.js';
import type { ExecutionResult } from '../types/index.js';
import { withClippedTitles } from './shared/clip-titles.js';
import {
  type ConversationFigures,
  defineConversationFigures,
} from './shared/conversation-figures.js';
import { conversationIdIn } from './shared/conversation-id.js';
import { toBase64 } from './shared/image-base64.js';

/**
 * Options of `langchainTool`: the tool options, with `conversationId` a function of the run's
 * RunnableConfig (the tool call's config, with `configurable`, `metadata`, `toolCall`, ...).
 */
export type LangChainToolOptions = ExecutePythonToolOptions<ToolRunnableConfig | undefined>;

/** The default conversation id of a LangChain tool call: the run's `configurable.thread_id`. */
export function langchainConversationId(
  config: ToolRunnableConfig | undefined,
): string | undefined {
  return conversationIdIn(config?.configurable, 'thread_id');
}

const LANGCHAIN_CONVERSATION_ID_HELP =
  "langchainTool reads it from the run's config.configurable.thread_id: invoke the agent with { configurable: { thread_id: id } } (as with a checkpointer), or pass langchainTool(pool, { conversationId: (config) => id }).";

/** LangChain standard content blocks (v1): text, and images as base64 with their media type. */
export type LangChainToolContentBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; mimeType: 'image/png' | 'image/jpeg'; data: string };

/** Maps the neutral output to LangChain content blocks: the text, then one image block per figure. */
export function toLangChainContent(output: ExecutePythonToolOutput): LangChainToolContentBlock[] {
  return [
    { type: 'text', text: output.text },
    ...output.images.map(
      (image): LangChainToolContentBlock => ({
        type: 'image',
        mimeType: image.mediaType,
        data: toBase64(image.data),
      }),
    ),
  ];
}

/**
 * The execute_python tool as a LangChain.js StructuredTool with `responseFormat:
 * 'content_and_artifact'`: the ToolMessage content is the text plus image blocks, its artifact the
 * ExecutionResult (undefined when the code did not run; figure titles clipped as the model saw them), and its status `error` when the Python
 * raised (images still attached), the input was invalid or the sandbox failed.
 */
export class ExecutePythonLangChainTool
  extends StructuredTool<
    typeof executePythonInputSchema,
    ExecutePythonInput,
    ExecutePythonInput,
    [LangChainToolContentBlock[], ExecutionResult | undefined]
  >
  implements ConversationFigures
{
  name: string;
  description: string;
  schema = executePythonInputSchema;
  override responseFormat = 'content_and_artifact';
  /** The framework-neutral tool underneath. */
  readonly sandplotTool: ExecutePythonTool<ToolRunnableConfig | undefined>;
  // The figure ledgers (see ConversationFigures), defined by the constructor.
  declare readonly figures: ConversationFigures['figures'];
  declare figuresFor: ConversationFigures['figuresFor'];
  declare ledgerFor: ConversationFigures['ledgerFor'];
  declare forgetConversation: ConversationFigures['forgetConversation'];

  static override lc_name(): string {
    return 'ExecutePythonLangChainTool';
  }

  /**
   * `target` is a CodeSandbox, or a sandbox pool: then each call runs in the sandbox of its
   * conversation, found by `options.conversationId` (default: the run's `configurable.thread_id`).
   */
  constructor(target: ExecutePythonTarget, options: LangChainToolOptions = {}) {
    super();
    this.sandplotTool = createExecutePythonTool<ToolRunnableConfig | undefined>(target, {
      conversationId: langchainConversationId,
      conversationIdHelp: LANGCHAIN_CONVERSATION_ID_HELP,
      ...options,
    });
    defineConversationFigures(this, this.sandplotTool);
    this.name = this.sandplotTool.name;
    this.description = this.sandplotTool.description;
  }

  // biome-ignore lint/suspicious/noExplicitAny: matches StructuredTool.call's generic signature.
  override async call(arg: any, configArg?: any, tags?: string[]): Promise<any> {
    const toolCallId: string | undefined =
      isToolCallShaped(arg) && typeof arg.id === 'string'
        ? arg.id
        : typeof configArg?.toolCall?.id === 'string'
          ? configArg.toolCall.id
          : undefined;
    const args = isToolCallShaped(arg) ? arg.args : arg;
    if (!executePythonInputSchema.safeParse(args).success) {
      // Answer bad input ourselves, as a readable error result, instead of LangChain's
      // ToolInputParsingException.
      const output = await this.sandplotTool.invoke(args);
      const content = toLangChainContent(output);
      if (!toolCallId) return [content, undefined];
      return new ToolMessage({
        content,
        artifact: undefined,
        tool_call_id: toolCallId,
        name: this.name,
        status: 'error',
      });
    }
    const result = await super.call(arg, configArg, tags);
    if (isToolMessage(result) && (result.artifact === undefined || result.artifact?.isError)) {
      result.status = 'error';
    }
    return result;
  }

  protected override async _call(
    input: ExecutePythonInput,
    _runManager?: CallbackManagerForToolRun,
    config?: ToolRunnableConfig,
  ): Promise<[LangChainToolContentBlock[], ExecutionResult | undefined]> {
    const toolCallId = (config as { toolCall?: { id?: unknown } } | undefined)?.toolCall?.id;
    const output = await this.sandplotTool.invoke(input, {
      context: config,
      ...(typeof toolCallId === 'string' ? { toolCallId } : {}),
      ...(config?.signal ? { abortSignal: config.signal } : {}),
    });
    return [toLangChainContent(output), output.result && withClippedTitles(output.result)];
  }
}

function isToolCallShaped(arg: unknown): arg is { args: unknown; id?: unknown; type?: string } {
  return (
    typeof arg === 'object' &&
    arg !== null &&
    'args' in arg &&
    (arg as { type?: unknown }).type === 'tool_call'
  );
}

/**
 * The execute_python tool for LangChain.js agents (`createAgent({ model, tools: [langchainTool(sandbox)] })`).
 * With a pool (`langchainTool(pool)`), each call runs in the sandbox of the run's thread
 * (`agent.invoke(input, { configurable: { thread_id } })`), or of `options.conversationId` (a
 * string, or a function of the RunnableConfig).
 */
export function langchainTool(
  target: ExecutePythonTarget,
  options: LangChainToolOptions = {},
): ExecutePythonLangChainTool {
  return new ExecutePythonLangChainTool(target, options);
}
