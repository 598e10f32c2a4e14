// The AgentCore data-analyst agent with Strands Agents: Claude on Bedrock writes Python, sandplot
// runs it in the AgentCore Code Interpreter, stores every chart in S3 and shows it to the model;
// the exact presigned links are appended to the answer by the application.
//
//   npx tsx examples/strands-data-analyst.ts --offline   # scripted model, local sandbox, ./figures
//   npx tsx examples/strands-data-analyst.ts             # Claude on Bedrock + AgentCore + S3
//
// The real mode needs AWS credentials (the default provider chain) allowed to call
// bedrock:InvokeModelWithResponseStream, the AgentCore Code Interpreter actions (docs/agentcore.md)
// and, with SANDPLOT_S3_BUCKET set, s3:PutObject/GetObject on that bucket (docs/s3.md).
// Optional: AWS_REGION, SANDPLOT_MODEL_ID.
import {
  Agent,
  BedrockModel,
  type Message,
  Model,
  type ModelStreamEvent,
  TextBlock,
  ToolResultBlock,
} from '@strands-agents/sdk';
import { renderFigureLinks } from 'sandplot';
import { strandsTool } from 'sandplot/strands';
import {
  createExampleSandbox,
  offline,
  SALES_CODE,
  SALES_QUESTION,
} from './shared/data-analyst.js';

const SYSTEM_PROMPT = `You are a data analyst with a Python sandbox (execute_python).
Use it for every calculation and chart: load the data, compute, plot with matplotlib, print the
numbers you need. Variables persist between calls. Charts are captured automatically and shown to
you; refer to them as "figure N" and do not write their URLs: the links are added to your answer.`;

/** A stand-in for Claude: asks for the analysis, then answers from what the tool returned. */
class ScriptedAnalyst extends Model {
  #calls = 0;

  updateConfig(): void {}

  getConfig() {
    return { modelId: 'scripted-analyst' };
  }

  async *stream(messages: Message[]): AsyncIterable<ModelStreamEvent> {
    this.#calls += 1;
    yield { type: 'modelMessageStartEvent', role: 'assistant' };
    if (this.#calls === 1) {
      const input = JSON.stringify({ code: SALES_CODE, description: 'growth rates and charts' });
      yield {
        type: 'modelContentBlockStartEvent',
        start: { type: 'toolUseStart', name: 'execute_python', toolUseId: 'tooluse_sales' },
      };
      yield { type: 'modelContentBlockDeltaEvent', delta: { type: 'toolUseInputDelta', input } };
      yield { type: 'modelContentBlockStopEvent' };
      yield { type: 'modelMessageStopEvent', stopReason: 'toolUse' };
      return;
    }
    const toolResult = messages.at(-1)?.content.find((block) => block instanceof ToolResultBlock);
    const parts = toolResult instanceof ToolResultBlock ? toolResult.content : [];
    const text = parts.map((part) => (part instanceof TextBlock ? part.text : '')).join('\n');
    const images = parts.filter((part) => part.type === 'imageBlock').length;
    const growth = text.split('\n').filter((line) => /^ {2}Product [ABC]: -?[\d.]+%$/.test(line));
    const answer = `Overall growth from the first to the last period:\n${growth.join('\n')}\nI looked at ${images} charts: figure 1 shows the sales trends, figure 2 the period-over-period growth.`;
    yield { type: 'modelContentBlockStartEvent' };
    yield { type: 'modelContentBlockDeltaEvent', delta: { type: 'textDelta', text: answer } };
    yield { type: 'modelContentBlockStopEvent' };
    yield { type: 'modelMessageStopEvent', stopReason: 'endTurn' };
  }
}

await using sandbox = createExampleSandbox();
const python = strandsTool(sandbox, { imagesForModel: offline ? 'auto' : 'always' });

const agent = new Agent({
  model: offline
    ? new ScriptedAnalyst()
    : new BedrockModel({
        modelId: process.env.SANDPLOT_MODEL_ID ?? 'us.anthropic.claude-sonnet-4-20250514-v1:0',
      }),
  systemPrompt: SYSTEM_PROMPT,
  tools: [python],
  printer: false,
});

const result = await agent.invoke(SALES_QUESTION);

// The exact figure URLs come from the ledger, not from the model (which may shorten them).
const links = renderFigureLinks(python.figures, { format: 'markdown' });
console.log(String(result).trim() + (links ? `\n\nFigures:\n${links}` : ''));
