import {
  type FunctionTool,
  type RunContext,
  type ToolOutputImage,
  type ToolOutputText,
  tool,
} from '@openai/agents';
import { createExecutePythonTool } from '../tool/execute-python.js';
import { modelArguments } from '../tool/tool-input.js';
import type {
  ExecutePythonTarget,
  ExecutePythonTool,
  ExecutePythonToolOptions,
  ExecutePythonToolOutput,
} from '../tool/tool-types.js';
import { conversationIdIn } from './shared/conversation-id.js';
import { toBase64 } from './shared/image-base64.js';

/** The third argument of a function tool's `execute` (`ToolCallDetails`, not exported by the SDK). */
export type OpenAIAgentsToolCallDetails = Parameters<Parameters<typeof tool>[0]['execute']>[2];

/** The JSON Schema the tool declares (non-strict: the SDK wants `additionalProperties: true`). */
type NonStrictSchema = {
  type: 'object';
  properties: Record<string, never>;
  required: never[];
  additionalProperties: true;
};

/** What a `conversationId` function of `openAIAgentsTool` gets: the run context and the call. */
export interface OpenAIAgentsCallContext {
  runContext: RunContext<unknown> | undefined;
  details: OpenAIAgentsToolCallDetails;
}

/** Options of `openAIAgentsTool`: the tool options, `conversationId` a function of the call. */
export type OpenAIAgentsToolOptions = ExecutePythonToolOptions<OpenAIAgentsCallContext>;

/** The structured output of one call: the text, then one image per figure. */
export type OpenAIAgentsToolContent = (ToolOutputText | ToolOutputImage)[];

/** The execute_python tool for the OpenAI Agents SDK, with the framework-neutral tool underneath. */
export type OpenAIAgentsExecutePythonTool = FunctionTool<unknown, NonStrictSchema, unknown> & {
  /**
   * The framework-neutral tool underneath: `sandplotTool.figures` is the sandbox's figure ledger,
   * `sandplotTool.figuresFor(conversationId)` a conversation's on a pool.
   */
  readonly sandplotTool: ExecutePythonTool<OpenAIAgentsCallContext>;
};

/** The default conversation id of a call: the run's `context.conversationId` (`run(agent, input, { context })`). */
export function openAIAgentsConversationId(call: OpenAIAgentsCallContext): string | undefined {
  return conversationIdIn(call.runContext?.context);
}

const CONVERSATION_ID_HELP =
  "openAIAgentsTool reads it from the run context's conversationId: run(agent, input, { context: { conversationId: id } }), or pass openAIAgentsTool(pool, { conversationId: ({ runContext }) => id }).";

/**
 * The execute_python tool for the OpenAI Agents SDK (`@openai/agents` 0.14.x): `new Agent({ tools:
 * [openAIAgentsTool(sandbox)] })`. It returns structured tool output — a `text` item and one
 * `image` item (base64 PNG/JPEG) per figure — which the SDK sends as `input_text` and
 * `input_image`. Arguments are validated by sandplot (the tool is non-strict with a plain JSON
 * Schema), so bad arguments are an error result the model can read. With a sandbox pool, each call
 * runs in the sandbox of the run context's `conversationId`.
 */
export function openAIAgentsTool(
  target: ExecutePythonTarget,
  options: OpenAIAgentsToolOptions = {},
): OpenAIAgentsExecutePythonTool {
  const sandplotTool = createExecutePythonTool<OpenAIAgentsCallContext>(target, {
    conversationId: openAIAgentsConversationId,
    conversationIdHelp: CONVERSATION_ID_HELP,
    ...options,
  });
  const { $schema: _schema, ...schema } = sandplotTool.jsonSchema;
  const functionTool = tool({
    name: sandplotTool.name,
    description: sandplotTool.description,
    // The SDK's non-strict schema type wants `additionalProperties: true`; unknown keys are dropped
    // by sandplot's own validation.
    parameters: {
      ...schema,
      additionalProperties: true,
    } as unknown as NonStrictSchema,
    strict: false,
    execute: async (input, runContext, details) => {
      const toolCallId = details?.toolCall?.callId;
      const output = await sandplotTool.invoke(modelArguments(input), {
        context: { runContext: runContext as RunContext<unknown> | undefined, details },
        ...(toolCallId ? { toolCallId } : {}),
        ...(details?.signal ? { abortSignal: details.signal } : {}),
      });
      return toOpenAIAgentsContent(output);
    },
  });
  return Object.assign(functionTool, { sandplotTool }) as OpenAIAgentsExecutePythonTool;
}

/** Maps the neutral output to the SDK's structured tool output: the text, then the images. */
export function toOpenAIAgentsContent(output: ExecutePythonToolOutput): OpenAIAgentsToolContent {
  return [
    { type: 'text', text: output.text },
    ...output.images.map(
      (image): ToolOutputImage => ({
        type: 'image',
        image: {
          data: toBase64(image.data),
          mediaType: image.mediaType,
        },
      }),
    ),
  ];
}
