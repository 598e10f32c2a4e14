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
import { renderFigureLinks } from 'sandplot';
import { langchainTool } from 'sandplot/langchain';
import {
  createExampleSandbox,
  offline,
  SALES_CODE,
  SALES_QUESTION,
} from './shared/data-analyst.js';

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

await using sandbox = createExampleSandbox();
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
  messages: [new HumanMessage(SALES_QUESTION)],
});

const answer = state.messages.at(-1)?.text ?? '';
// The exact figure URLs come from the ledger, not from the model (which may shorten them).
const links = renderFigureLinks(python.figures, { format: 'markdown' });
console.log(answer + (links ? `\n\nFigures:\n${links}` : ''));
