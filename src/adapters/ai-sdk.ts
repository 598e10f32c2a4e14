import { type Tool, type ToolExecutionOptions, tool } from 'ai';
import { createExecutePythonTool } from '../tool/execute-python.js';
import { isShareableUrl } from '../tool/figure-ledger.js';
import type {
  ExecutePythonInput,
  ExecutePythonTarget,
  ExecutePythonTool,
  ExecutePythonToolOptions,
  ExecutePythonToolOutput,
} from '../tool/tool-types.js';
import { conversationIdIn } from './shared/conversation-id.js';
import { toBase64 } from './shared/image-base64.js';

/**
 * Options of `aiSdkTool`: the tool options, with `conversationId` a function of the AI SDK's
 * tool execution options (`{ toolCallId, messages, abortSignal, experimental_context }`).
 */
export type AiSdkToolOptions = ExecutePythonToolOptions<ToolExecutionOptions>;

/** The default conversation id of an AI SDK tool call: `experimental_context.conversationId`. */
export function aiSdkConversationId(options: ToolExecutionOptions): string | undefined {
  return conversationIdIn(options.experimental_context);
}

const AI_SDK_CONVERSATION_ID_HELP =
  'aiSdkTool reads it from experimental_context.conversationId: call generateText/streamText with { experimental_context: { conversationId: id } }, or pass aiSdkTool(pool, { conversationId: (options) => id }).';

/**
 * What `toModelOutput` returns (the AI SDK's `ToolResultOutput`, which `ai` does not re-export;
 * derived here so users need not install `@ai-sdk/provider-utils` themselves).
 */
export type AiSdkToolResultOutput = Awaited<ReturnType<NonNullable<Tool['toModelOutput']>>>;

/** A figure of one call, as the tool's output lists it (JSON: it is kept in UI messages). */
export interface AiSdkFigure {
  /** The reference the model saw: `figure 3` has ref 3. */
  ref: number;
  label: string;
  mediaType: 'image/png' | 'image/svg+xml' | 'image/jpeg';
  title?: string;
  width?: number;
  height?: number;
  byteLength: number;
  /** The figure's http(s) URL (e.g. a presigned S3 URL), when the sink gave one. */
  url?: string;
  /** When `url` stops working, as an ISO timestamp. */
  expiresAt?: string;
}

/** An image attached for the model: base64, so the output stays JSON. */
export interface AiSdkImage {
  ref: number;
  mediaType: 'image/png' | 'image/jpeg';
  /** Base64 (no `data:` prefix). */
  data: string;
}

/**
 * What `execute` returns: the result summary. It is JSON so it survives UI message streams and
 * stored chats; `toModelOutput` turns it into what the model reads, also when
 * `convertToModelMessages` replays an old conversation.
 */
export interface AiSdkExecutePythonOutput {
  /** The model-facing text: output, error, one line per figure, problems. No base64. */
  text: string;
  /** The code raised, timed out or the sandbox died; or the input was invalid or the sandbox failed. */
  isError: boolean;
  /** `INVALID_INPUT` or the SandplotError's code, when the code did not run. */
  errorCode?: string;
  /** The execution's id; absent when the code did not run. */
  executionId?: string;
  /** The conversation the call ran in, when known (always, on a pool). */
  conversationId?: string;
  figures: AiSdkFigure[];
  images: AiSdkImage[];
}

/** The execute_python tool for the AI SDK, with the framework-neutral tool underneath. */
export type AiSdkExecutePythonTool = Tool<ExecutePythonInput, AiSdkExecutePythonOutput> & {
  /**
   * The framework-neutral tool underneath: `sandplotTool.figures` is the sandbox's figure ledger,
   * `sandplotTool.figuresFor(conversationId)` a conversation's on a pool.
   */
  readonly sandplotTool: ExecutePythonTool<ToolExecutionOptions>;
};

/**
 * The execute_python tool for the Vercel AI SDK (`ai` 6.x): `generateText({ model, tools: {
 * execute_python: aiSdkTool(sandbox) } })`. `execute` returns the result summary
 * (`AiSdkExecutePythonOutput`); `toModelOutput` gives the model the text plus one `image-data`
 * part per figure. The key in `tools` is the name the model calls; `options.name` only names the
 * tool in its own messages. With a sandbox pool, each call runs in the sandbox of its
 * conversation: `experimental_context.conversationId`, or `options.conversationId`.
 */
export function aiSdkTool(
  target: ExecutePythonTarget,
  options: AiSdkToolOptions = {},
): AiSdkExecutePythonTool {
  const sandplotTool = createExecutePythonTool<ToolExecutionOptions>(target, {
    conversationId: aiSdkConversationId,
    conversationIdHelp: AI_SDK_CONVERSATION_ID_HELP,
    ...options,
  });
  const aiTool = tool<ExecutePythonInput, AiSdkExecutePythonOutput>({
    description: sandplotTool.description,
    inputSchema: sandplotTool.inputSchema,
    execute: async (input, execution) =>
      toAiSdkOutput(
        await sandplotTool.invoke(input, {
          context: execution,
          toolCallId: execution.toolCallId,
          ...(execution.abortSignal ? { abortSignal: execution.abortSignal } : {}),
        }),
      ),
    toModelOutput: ({ output }) => toAiSdkModelOutput(output),
  });
  return Object.assign(aiTool, { sandplotTool });
}

/** Maps the neutral output to the JSON result summary `execute` returns. */
export function toAiSdkOutput(output: ExecutePythonToolOutput): AiSdkExecutePythonOutput {
  const summary: AiSdkExecutePythonOutput = {
    text: output.text,
    isError: output.isError,
    figures: output.figures.map((figure) => {
      const entry: AiSdkFigure = {
        ref: figure.ref,
        label: figure.label,
        mediaType: figure.mediaType,
        byteLength: figure.byteLength,
      };
      if (figure.title) entry.title = figure.title;
      if (figure.width) entry.width = figure.width;
      if (figure.height) entry.height = figure.height;
      if (isShareableUrl(figure.url)) entry.url = figure.url;
      if (figure.expiresAt) entry.expiresAt = figure.expiresAt.toISOString();
      return entry;
    }),
    images: output.images.map((image) => ({
      ref: image.ref,
      mediaType: image.mediaType,
      data: toBase64(image.data),
    })),
  };
  if (output.errorCode) summary.errorCode = output.errorCode;
  if (output.result) summary.executionId = output.result.executionId;
  if (output.conversationId) summary.conversationId = output.conversationId;
  return summary;
}

/**
 * What the model reads: `content` with the text and one `image-data` part per image. An error
 * without images is `error-text`, so providers flag the tool result as an error (Anthropic's
 * `is_error`); with images the text says "Error: ..." and the images stay attached.
 */
export function toAiSdkModelOutput(output: AiSdkExecutePythonOutput): AiSdkToolResultOutput {
  if (output.isError && output.images.length === 0) {
    return { type: 'error-text', value: output.text };
  }
  return {
    type: 'content',
    value: [
      { type: 'text', text: output.text },
      ...output.images.map((image) => ({
        type: 'image-data' as const,
        data: image.data,
        mediaType: image.mediaType,
      })),
    ],
  };
}
