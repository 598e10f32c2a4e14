// A data-analyst agent on the Amazon Bedrock Converse API: the model writes Python, sandplot runs
// it in a sandbox and hands the text and the charts back, until the model answers.
//
//   npx tsx examples/converse-loop.ts --offline   # scripted model, local sandbox, figures in ./figures
//   npx tsx examples/converse-loop.ts             # Claude on Bedrock + AgentCore Code Interpreter
//
// The real mode needs AWS credentials (the default provider chain: env, profile, SSO, role) with
// bedrock:InvokeModel and the AgentCore Code Interpreter actions (docs/agentcore.md). Optional:
// AWS_REGION, SANDPLOT_MODEL_ID, and SANDPLOT_S3_BUCKET for shareable figure links (docs/s3.md).
import {
  BedrockRuntimeClient,
  type ContentBlock,
  type ConverseCommand,
  type ConverseCommandOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { renderFigureLinks } from 'sandplot';
import { type ConverseClient, converseTool, runConverseToolLoop } from 'sandplot/converse';
import {
  createExampleSandbox,
  offline,
  SALES_CODE,
  SALES_QUESTION,
} from './shared/data-analyst.js';

const question = SALES_QUESTION;

await using sandbox = createExampleSandbox();
// With S3 the sink keeps no bytes: 'always' downloads each figure once to show it to the model.
const python = converseTool(sandbox, { imagesForModel: offline ? 'auto' : 'always' });

const result = await runConverseToolLoop({
  client: offline ? scriptedClient() : new BedrockRuntimeClient({}),
  modelId: process.env.SANDPLOT_MODEL_ID ?? 'us.anthropic.claude-sonnet-4-20250514-v1:0',
  system:
    'You are a data analyst. Use execute_python for every calculation and chart. ' +
    'Refer to charts as "figure N"; the links are added to your answer for you.',
  messages: [{ role: 'user', content: [{ text: question }] }],
  tools: [python],
  maxSteps: 8,
  onStep: ({ toolResults }) => {
    for (const { toolResult } of toolResults) {
      const images = toolResult.content?.filter((block) => block.image).length ?? 0;
      console.error(`[execute_python] ${toolResult.status}, ${images} image(s) sent to the model`);
    }
  },
});

// The exact figure URLs come from the ledger, not from the model (which may shorten them).
const links = renderFigureLinks(python.figures, { format: 'markdown' });
console.log(result.text + (links ? `\n\nFigures:\n${links}` : ''));

/** A stand-in for Claude: asks for the analysis, then answers from what the tool returned. */
function scriptedClient(): ConverseClient {
  let step = 0;
  return {
    async send(command: ConverseCommand) {
      step += 1;
      if (step === 1) {
        return response('tool_use', [
          { text: 'I will compute the growth rates and chart the trends.' },
          {
            toolUse: {
              toolUseId: 'tooluse_sales',
              name: 'execute_python',
              input: { code: SALES_CODE, description: 'growth rates and charts' },
            },
          },
        ]);
      }
      const toolResult = command.input.messages?.at(-1)?.content?.[0]?.toolResult;
      const text = toolResult?.content?.find((block) => block.text)?.text ?? '';
      const images = toolResult?.content?.filter((block) => block.image).length ?? 0;
      const growth = text.split('\n').filter((line) => /^ {2}Product [ABC]: -?[\d.]+%$/.test(line));
      return response('end_turn', [
        {
          text: `Overall growth from the first to the last period:\n${growth.join('\n')}\nI looked at ${images} charts: figure 1 shows the sales trends, figure 2 the period-over-period growth.`,
        },
      ]);
    },
  };
}

function response(
  stopReason: 'tool_use' | 'end_turn',
  content: ContentBlock[],
): ConverseCommandOutput {
  return {
    $metadata: {},
    output: { message: { role: 'assistant', content } },
    stopReason,
    usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
    metrics: { latencyMs: 0 },
  };
}
