import {
  Agent,
  type AgentInputItem,
  type Model,
  type ModelRequest,
  type ModelResponse,
  run,
  setTracingDisabled,
  Usage,
} from '@openai/agents';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openAIAgentsTool } from '../../src/adapters/openai-agents.js';
import { localBackend } from '../../src/backends/local.js';
import type { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { createSandboxPool, type SandboxPool } from '../../src/sandbox/pool.js';
import { renderFigureLinks } from '../../src/tool/figure-ledger.js';
import {
  failingCode,
  SHAREABLE_HOST,
  salesAnalysisCode,
  salesSandbox,
  shareableTestSink,
} from '../support/adapter-fixtures.js';
import { pngSize } from '../support/png.js';

let sandbox: CodeSandbox | undefined;
let pool: SandboxPool | undefined;
beforeAll(() => {
  // The default exporter sends traces to OpenAI; these runs have no key and nothing to report.
  setTracingDisabled(true);
});
afterEach(async () => {
  await sandbox?.close();
  await pool?.closeAll();
  sandbox = undefined;
  pool = undefined;
});

/** A model that calls execute_python with `args` once, then answers; it records every request. */
class ScriptedModel implements Model {
  readonly requests: ModelRequest[] = [];
  constructor(private readonly args: Record<string, unknown>) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const output: ModelResponse['output'] =
      this.requests.length === 1
        ? [
            {
              type: 'function_call',
              callId: 'call_1',
              name: 'execute_python',
              arguments: JSON.stringify(this.args),
              status: 'completed',
            },
          ]
        : [
            {
              type: 'message',
              role: 'assistant',
              status: 'completed',
              content: [{ type: 'output_text', text: 'Product A grew the most.' }],
            },
          ];
    return { usage: new Usage(), output };
  }

  // biome-ignore lint/correctness/useYield: the runs here are not streamed.
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('not streamed');
  }
}

/** The function_call_result the model got on its second request. */
function toolResultOf(model: ScriptedModel) {
  const input = model.requests[1]?.input as AgentInputItem[] | undefined;
  const result = input?.find((item) => item.type === 'function_call_result');
  if (result?.type !== 'function_call_result') throw new Error('no tool result');
  const items = Array.isArray(result.output) ? result.output : [];
  const text = items.flatMap((item) => (item.type === 'input_text' ? [item.text] : [])).join('\n');
  const images = items.flatMap((item) =>
    item.type === 'input_image' && typeof item.image === 'string' ? [item.image] : [],
  );
  return { toolResult: result, text, images };
}

async function runAgent(args: Record<string, unknown>, context?: Record<string, unknown>) {
  const model = new ScriptedModel(args);
  const python = openAIAgentsTool((pool ?? sandbox) as CodeSandbox);
  const agent = new Agent({
    name: 'analyst',
    instructions: 'You are a data analyst.',
    model,
    tools: [python],
  });
  const runResult = await run(agent, 'Analyse the sales.', context ? { context } : {});
  expect(model.requests).toHaveLength(2);
  return { runResult, model, python, ...toolResultOf(model) };
}

describe('openAIAgentsTool with a run and a scripted model', () => {
  it('runs the sales analysis; the next model request gets the text and the PNGs', async () => {
    sandbox = await salesSandbox();
    const { runResult, model, text, images } = await runAgent({
      code: salesAnalysisCode,
      description: 'sales analysis',
    });
    expect(runResult.finalOutput).toBe('Product A grew the most.');
    const declared = model.requests[0]?.tools.find((tool) => tool.name === 'execute_python');
    expect(declared).toMatchObject({
      type: 'function',
      strict: false,
      parameters: { type: 'object', required: ['code'] },
    });
    expect(text).toContain('Product A: 100.0%');
    expect(text).toContain('- figure 1, "Sales trends", 1000×600 px, attached as an image');
    expect(text).not.toMatch(/data:|base64,|iVBORw0KGgo/);
    expect(images).toHaveLength(2);
    for (const image of images) {
      const match = /^data:image\/png;base64,(.+)$/.exec(image);
      expect(match).not.toBeNull();
      expect(pngSize(Buffer.from(match?.[1] ?? '', 'base64'))).toEqual({
        width: 1000,
        height: 600,
      });
    }
  });

  it('gives the figure URLs when the sink has shareable ones', async () => {
    sandbox = await salesSandbox(shareableTestSink());
    const { text, python } = await runAgent({ code: salesAnalysisCode });
    const urls = text.match(/https:\/\/\S+/g) ?? [];
    expect(urls).toHaveLength(2);
    expect(urls.every((url) => url.startsWith(SHAREABLE_HOST))).toBe(true);
    expect(renderFigureLinks(python.sandplotTool.figures, { format: 'text' })).toContain(
      `figure 1: Sales trends <${urls[0]}>`,
    );
  });

  it('sends a failing script back with the traceback and the figure it made', async () => {
    sandbox = await salesSandbox();
    const { text, images } = await runAgent({ code: failingCode });
    expect(text).toMatch(/^Error: ZeroDivisionError: division by zero\nTraceback/m);
    expect(images).toHaveLength(1);
  });

  it('answers invalid arguments with a readable error, without running code', async () => {
    sandbox = await salesSandbox();
    const { text, images } = await runAgent({ source: 'print(1)' });
    expect(text).toMatch(/^Invalid input for execute_python: code/);
    expect(images).toEqual([]);
  });

  it('runs each conversation in its own sandbox of a pool (context.conversationId)', async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    await runAgent({ code: 'secret = "alice"' }, { conversationId: 'alice' });
    await runAgent({ code: 'secret = "bob"' }, { conversationId: 'bob' });
    const alice = await runAgent({ code: 'print(secret)' }, { conversationId: 'alice' });
    expect(alice.text).toBe('stdout:\nalice\n');
  });
});
