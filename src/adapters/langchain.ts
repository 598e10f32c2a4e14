import type { CallbackManagerForToolRun } from '@langchain/core/callbacks/manager';
import { isToolMessage, ToolMessage } from '@langchain/core/messages';
import { StructuredTool, type ToolRunnableConfig } from '@langchain/core/tools';
import {
  createExecutePythonTool,
  type ExecutePythonInput,
  type ExecutePythonTarget,
  type ExecutePythonTool,
  type ExecutePythonToolOptions,
  type ExecutePythonToolOutput,
  executePythonInputSchema,
} from '../tool/execute-python.js';
import type { FigureLedger, LedgerFigure } from '../tool/figure-ledger.js';
import type { ExecutionResult } from '../types/index.js';

/**
 * Options of `langchainTool`: the tool options, with `conversationId` a function of the run's
 * RunnableConfig (the tool call's config, with `configurable`, `metadata`, `toolCall`, ...).
 */
export type LangChainToolOptions = ExecutePythonToolOptions<ToolRunnableConfig | undefined>;

/** The default conversation id of a LangChain tool call: the run's `configurable.thread_id`. */
export function langchainConversationId(
  config: ToolRunnableConfig | undefined,
): string | undefined {
  const threadId: unknown = config?.configurable?.thread_id;
  if (typeof threadId === 'string' && threadId.length > 0) return threadId;
  if (typeof threadId === 'number' && Number.isFinite(threadId)) return String(threadId);
  return undefined;
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
        data: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength).toString(
          'base64',
        ),
      }),
    ),
  ];
}

/**
 * The execute_python tool as a LangChain.js StructuredTool with `responseFormat:
 * 'content_and_artifact'`: the ToolMessage content is the text plus image blocks, its artifact the
 * ExecutionResult (undefined when the code did not run), and its status `error` when the Python
 * raised (images still attached), the input was invalid or the sandbox failed.
 */
export class ExecutePythonLangChainTool extends StructuredTool<
  typeof executePythonInputSchema,
  ExecutePythonInput,
  ExecutePythonInput,
  [LangChainToolContentBlock[], ExecutionResult | undefined]
> {
  name: string;
  description: string;
  schema = executePythonInputSchema;
  override responseFormat = 'content_and_artifact';
  /** The framework-neutral tool underneath. */
  readonly sandplotTool: ExecutePythonTool<ToolRunnableConfig | undefined>;

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
    this.name = this.sandplotTool.name;
    this.description = this.sandplotTool.description;
  }

  /** The sandbox's figure ledger: every figure made so far, for `renderFigureLinks`. On a pool: `figuresFor`. */
  get figures(): readonly LedgerFigure[] {
    return this.sandplotTool.figures;
  }

  /** The figures made so far in one conversation (thread); on a sandbox, all of them. */
  figuresFor(conversationId: string): readonly LedgerFigure[] {
    return this.sandplotTool.figuresFor(conversationId);
  }

  /** The figure ledger of one conversation (on a sandbox: the sandbox's). */
  ledgerFor(conversationId: string): FigureLedger {
    return this.sandplotTool.ledgerFor(conversationId);
  }

  /** Forgets a conversation's figures (on a pool: drops its ledger). */
  forgetConversation(conversationId: string): void {
    this.sandplotTool.forgetConversation(conversationId);
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
    return [toLangChainContent(output), output.result];
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
