// A data-analyst agent with LangChain.js (createAgent): the model writes Python, sandplot runs it in
// a sandbox and returns text plus image blocks (the ExecutionResult rides along as the artifact).
//
//   npx tsx examples/langchain-agent.ts --offline   # scripted model, local sandbox, ./figures
//   npx tsx examples/langchain-agent.ts             # Claude on Bedrock + AgentCore Code Interpreter
//
// The real mode also needs `npm install @langchain/aws` (the Bedrock Converse chat model) and AWS
// credentials (the default provider chain) allowed to call Bedrock and the AgentCore Code
// Interpreter (docs/agentcore.md). Optional: AWS_REGION, SANDPLOT_MODEL_ID, SANDPLOT_S3_BUCKET.
import { AIMessage, type BaseMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { createAgent, fakeModel } from 'langchain';
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
import { langchainTool } from 'sandplot/langchain';
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

/** A stand-in for Claude: asks for the analysis, then answers from the ToolMessage it got. */
function scriptedModel() {
  return fakeModel()
    .respondWithTools([
      {
        name: 'execute_python',
        args: { code: SALES_CODE, description: 'growth rates and charts' },
        id: 'call_sales',
      },
    ])
    .respond((messages: BaseMessage[]) => {
      const toolMessage = [...messages]
        .reverse()
        .find((message) => ToolMessage.isInstance(message));
      const blocks = (Array.isArray(toolMessage?.content) ? toolMessage.content : []) as {
        type: string;
        text?: string;
      }[];
      const text = blocks.map((block) => block.text ?? '').join('\n');
      const images = blocks.filter((block) => block.type === 'image').length;
      const growth = text.split('\n').filter((line) => /^ {2}Product [ABC]: -?[\d.]+%$/.test(line));
      return new AIMessage(
        `Overall growth from the first to the last period:\n${growth.join('\n')}\nI looked at ${images} charts: figure 1 shows the sales trends, figure 2 the period-over-period growth.`,
      );
    });
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
const python = langchainTool(sandbox, { imagesForModel: offline ? 'auto' : 'always' });

const agent = createAgent({
  model: offline
    ? scriptedModel()
    : `bedrock:${process.env.SANDPLOT_MODEL_ID ?? 'us.anthropic.claude-sonnet-4-20250514-v1:0'}`,
  tools: [python],
  systemPrompt:
    'You are a data analyst. Use execute_python for every calculation and chart. ' +
    'Refer to charts as "figure N"; the links are added to your answer for you.',
});

const state = await agent.invoke({
  messages: [
    new HumanMessage(
      'Analyze the following sales data:\n- Product A: [100, 120, 95, 140, 160, 180, 200]\n' +
        '- Product B: [80, 85, 90, 95, 100, 105, 110]\n- Product C: [200, 180, 220, 190, 240, 260, 280]\n' +
        'Please visualize the sales trends and calculate growth rates.',
    ),
  ],
});

const answer = state.messages.at(-1)?.text ?? '';
// The exact figure URLs come from the ledger, not from the model (which may shorten them).
const links = renderFigureLinks(python.figures, { format: 'markdown' });
console.log(answer + (links ? `\n\nFigures:\n${links}` : ''));
