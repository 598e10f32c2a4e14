import { generateText, stepCountIs } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { aiSdkTool } from '../../src/adapters/ai-sdk.js';
import {
  describeAdapterPoolContract,
  listedFigures,
  type ToolReply,
} from './support/pool-contract.js';

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

/** A model that calls execute_python with each code in turn, then answers. */
function scriptedModel(codes: readonly string[]): MockLanguageModelV3 {
  return new MockLanguageModelV3({
    doGenerate: [
      ...codes.map((code, at) => ({
        content: [
          {
            type: 'tool-call' as const,
            toolCallId: `call_${at + 1}`,
            toolName: 'execute_python',
            input: JSON.stringify({ code }),
          },
        ],
        finishReason: { unified: 'tool-calls' as const, raw: 'tool_use' },
        usage,
        warnings: [],
      })),
      {
        content: [{ type: 'text' as const, text: 'Done.' }],
        finishReason: { unified: 'stop' as const, raw: 'end_turn' },
        usage,
        warnings: [],
      },
    ],
  });
}

/** The tool results in the model's last prompt, as the provider would send them. */
function repliesOf(model: MockLanguageModelV3): ToolReply[] {
  const prompt = model.doGenerateCalls.at(-1)?.prompt ?? [];
  return prompt.flatMap((message) =>
    message.role !== 'tool'
      ? []
      : message.content.flatMap((part): ToolReply[] => {
          if (part.type !== 'tool-result') return [];
          const { output } = part;
          if (output.type === 'error-text') {
            return [{ isError: true, text: output.value, images: [] }];
          }
          if (output.type !== 'content') throw new Error(`tool output is ${output.type}`);
          return [
            {
              isError: false,
              text: output.value
                .flatMap((item) => (item.type === 'text' ? [item.text] : []))
                .join('\n'),
              images: output.value.flatMap((item) =>
                item.type === 'image-data'
                  ? [new Uint8Array(Buffer.from(item.data, 'base64'))]
                  : [],
              ),
            },
          ];
        }),
  );
}

describeAdapterPoolContract('aiSdkTool', (pool) => {
  const python = aiSdkTool(pool);
  return {
    conversationIdHelp: /experimental_context\.conversationId/,
    async run(conversationId, codes) {
      const model = scriptedModel(codes);
      await generateText({
        model,
        prompt: 'Go.',
        tools: { execute_python: python },
        stopWhen: stepCountIs(codes.length + 1),
        ...(conversationId === undefined ? {} : { experimental_context: { conversationId } }),
      });
      return repliesOf(model);
    },
    figures: async (conversationId) =>
      listedFigures(python.sandplotTool.figuresFor(conversationId)),
  };
});
