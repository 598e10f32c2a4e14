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
import {
  base64Sink,
  CodeSandbox,
  type ImageSink,
  localBackend,
  localDirSink,
  renderFigureLinks,
  type SandboxBackend,
} from 'sandplot';
import { agentCoreBackend } from 'sandplot/agentcore';
import { aiSdkTool } from 'sandplot/ai';
import { s3Sink } from 'sandplot/s3';

// What a model typically writes for the question: pandas for numbers, matplotlib for charts, and
// nothing about saving or encoding figures (capture is automatic).
const SALES_CODE = `import pandas as pd
import matplotlib.pyplot as plt

sales = pd.DataFrame({
    "Product A": [100, 120, 95, 140, 160, 180, 200],
    "Product B": [80, 85, 90, 95, 100, 105, 110],
    "Product C": [200, 180, 220, 190, 240, 260, 280],
}, index=[f"P{i}" for i in range(1, 8)])

overall = (sales.iloc[-1] / sales.iloc[0] - 1) * 100
print("Overall growth:")
for product, value in overall.items():
    print(f"  {product}: {value:.1f}%")

ax = sales.plot(marker="o", figsize=(10, 6), title="Sales trends")
ax.set_xlabel("Period"); ax.set_ylabel("Units sold")
plt.show()

ax = (sales.pct_change().iloc[1:] * 100).plot(kind="bar", figsize=(10, 6), title="Period-over-period growth (%)")
ax.axhline(0, color="black", linewidth=0.8)
plt.show()
`;

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

const offline = process.argv.includes('--offline');

let backend: SandboxBackend;
let imageSink: ImageSink;
if (offline) {
  backend = localBackend();
  imageSink = localDirSink({ dir: 'figures' });
} else {
  backend = agentCoreBackend();
  const bucket = process.env.SANDPLOT_S3_BUCKET;
  imageSink = bucket ? s3Sink({ bucket, prefix: 'figures/' }) : base64Sink();
}

await using sandbox = new CodeSandbox({ backend, imageSink });
const python = aiSdkTool(sandbox, { imagesForModel: offline ? 'auto' : 'always' });

const { text } = await generateText({
  model: offline ? scriptedModel() : await bedrockModel(),
  system:
    'You are a data analyst. Use execute_python for every calculation and chart. ' +
    'Refer to charts as "figure N"; the links are added to your answer for you.',
  prompt:
    'Analyze the following sales data:\n- Product A: [100, 120, 95, 140, 160, 180, 200]\n' +
    '- Product B: [80, 85, 90, 95, 100, 105, 110]\n- Product C: [200, 180, 220, 190, 240, 260, 280]\n' +
    'Please visualize the sales trends and calculate growth rates.',
  tools: { execute_python: python },
  stopWhen: stepCountIs(10),
});

// The exact figure URLs come from the ledger, not from the model (which may shorten them).
const links = renderFigureLinks(python.sandplotTool.figures, { format: 'markdown' });
console.log(text + (links ? `\n\nFigures:\n${links}` : ''));
