// A data-analyst agent with the Vercel AI SDK (generateText with tools): the model writes Python,
// sandplot runs it in a sandbox and returns the text plus the figures as image parts.
//
//   npx tsx examples/ai-sdk-agent.ts --offline   # scripted model, local sandbox, ./figures
//   npx tsx examples/ai-sdk-agent.ts             # Claude on Bedrock + AgentCore Code Interpreter
//
// The real mode also needs `npm install @ai-sdk/amazon-bedrock@4` (the Bedrock provider for ai 6)
// and AWS credentials (the default provider chain) allowed to call Bedrock and the AgentCore Code
// Interpreter (docs/agentcore.md). Optional: AWS_REGION, SANDPLOT_MODEL_ID, SANDPLOT_S3_BUCKET.
import { generateText, type LanguageModel, stepCountIs } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { renderFigureLinks } from 'sandplot';
import { aiSdkTool } from 'sandplot/ai';
import {
  createExampleSandbox,
  offline,
  SALES_CODE,
  SALES_QUESTION,
} from './shared/data-analyst.js';

const usage = {
  inputTokens: { total: 0, noCache: 0, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 0, text: 0, reasoning: undefined },
};

/** A stand-in for Claude: asks for the analysis, then answers from the tool result it got. */
function scriptedModel(): LanguageModel {
  return new MockLanguageModelV3({
    doGenerate: async ({ prompt }) => {
      const result = lastToolResult(prompt);
      if (!result) {
        return {
          content: [
            {
              type: 'tool-call',
              toolCallId: 'call_sales',
              toolName: 'execute_python',
              input: JSON.stringify({ code: SALES_CODE, description: 'growth rates and charts' }),
            },
          ],
          finishReason: { unified: 'tool-calls', raw: 'tool_use' },
          usage,
          warnings: [],
        };
      }
      const parts = result.type === 'content' ? result.value : [];
      const text = parts.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
      const images = parts.filter((part) => part.type === 'image-data').length;
      const growth = text.split('\n').filter((line) => /^ {2}Product [ABC]: -?[\d.]+%$/.test(line));
      return {
        content: [
          {
            type: 'text',
            text: `Overall growth from the first to the last period:\n${growth.join('\n')}\nI looked at ${images} charts: figure 1 shows the sales trends, figure 2 the period-over-period growth.`,
          },
        ],
        finishReason: { unified: 'stop', raw: 'end_turn' },
        usage,
        warnings: [],
      };
    },
  });
}

type Prompt = Parameters<MockLanguageModelV3['doGenerate']>[0]['prompt'];

function lastToolResult(prompt: Prompt) {
  for (const message of [...prompt].reverse()) {
    if (message.role !== 'tool') continue;
    for (const part of message.content) if (part.type === 'tool-result') return part.output;
  }
  return undefined;
}

/** Claude on Bedrock through @ai-sdk/amazon-bedrock, loaded only in real mode. */
async function bedrockModel(): Promise<LanguageModel> {
  const provider = '@ai-sdk/amazon-bedrock';
  const { bedrock } = (await import(provider)) as { bedrock: (modelId: string) => LanguageModel };
  return bedrock(process.env.SANDPLOT_MODEL_ID ?? 'us.anthropic.claude-sonnet-4-20250514-v1:0');
}

await using sandbox = createExampleSandbox();
const python = aiSdkTool(sandbox, { imagesForModel: offline ? 'auto' : 'always' });

const { text } = await generateText({
  model: offline ? scriptedModel() : await bedrockModel(),
  system:
    'You are a data analyst. Use execute_python for every calculation and chart. ' +
    'Refer to charts as "figure N"; the links are added to your answer for you.',
  prompt: SALES_QUESTION,
  tools: { execute_python: python },
  stopWhen: stepCountIs(10),
});

// The exact figure URLs come from the ledger, not from the model (which may shorten them).
const links = renderFigureLinks(python.sandplotTool.figures, { format: 'markdown' });
console.log(text + (links ? `\n\nFigures:\n${links}` : ''));
