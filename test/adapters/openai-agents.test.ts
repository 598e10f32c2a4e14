import { Agent, run, setTracingDisabled } from '@openai/agents';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openAIAgentsTool } from '../../src/adapters/openai-agents.js';
import type { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { renderFigureLinks } from '../../src/tool/figure-ledger.js';
import {
  failingCode,
  SHAREABLE_HOST,
  salesAnalysisCode,
  salesSandbox,
  shareableTestSink,
} from '../support/adapter-fixtures.js';
import { isSalesFigureSize, pngSize, SALES_FIGURE_LINE } from '../support/png.js';
import { ScriptedOpenAIAgentsModel } from '../support/scripted-openai-agents-model.js';

let sandbox: CodeSandbox | undefined;
beforeAll(() => {
  // The default exporter sends traces to OpenAI; these runs have no key and nothing to report.
  setTracingDisabled(true);
});
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

/** Runs an agent whose scripted model calls execute_python with `args` once, then answers. */
async function runAgent(args: Record<string, unknown>) {
  const model = new ScriptedOpenAIAgentsModel([args], 'Product A grew the most.');
  const python = openAIAgentsTool(sandbox as CodeSandbox);
  const agent = new Agent({
    name: 'analyst',
    instructions: 'You are a data analyst.',
    model,
    tools: [python],
  });
  const runResult = await run(agent, 'Analyse the sales.');
  expect(model.requests).toHaveLength(2);
  const [result] = model.toolResults();
  if (!result) throw new Error('no tool result');
  return { runResult, model, python, text: result.text, images: result.images };
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
    expect(text).toMatch(SALES_FIGURE_LINE);
    expect(text).not.toMatch(/data:|base64,|iVBORw0KGgo/);
    expect(images).toHaveLength(2);
    for (const image of images) {
      const match = /^data:image\/png;base64,(.+)$/.exec(image);
      expect(match).not.toBeNull();
      expect(isSalesFigureSize(pngSize(Buffer.from(match?.[1] ?? '', 'base64')))).toBe(true);
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
});
