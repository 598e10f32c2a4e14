import { Agent, ImageBlock, type Message, TextBlock, ToolResultBlock } from '@strands-agents/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { strandsTool } from '../../src/adapters/strands.js';
import type { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { renderFigureLinks } from '../../src/tool/figure-ledger.js';
import {
  failingCode,
  isPng,
  SHAREABLE_HOST,
  salesAnalysisCode,
  salesSandbox,
  shareableTestSink,
} from '../support/adapter-fixtures.js';
import { SALES_FIGURE_LINE } from '../support/png.js';
import { ScriptedStrandsModel } from '../support/scripted-strands-model.js';

let sandbox: CodeSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

/** Runs a real Strands Agent whose scripted model calls execute_python once with `input`. */
async function runAgent(input: unknown) {
  const model = new ScriptedStrandsModel([
    {
      text: 'Let me analyse the data.',
      toolUses: [{ name: 'execute_python', toolUseId: 'tooluse_1', input }],
    },
    { text: 'Product A grew the most.' },
  ]);
  const python = strandsTool(sandbox as CodeSandbox);
  const agent = new Agent({
    model,
    tools: [python],
    systemPrompt: 'You are a data analyst.',
    printer: false,
  });
  const result = await agent.invoke('Analyse the sales.');
  expect(model.calls).toHaveLength(2);
  expect(model.calls[0]?.options?.toolSpecs?.[0]?.name).toBe('execute_python');
  // What the model received on its second call: the tool's answer in the last user message.
  const last = model.calls[1]?.messages.at(-1) as Message;
  const block = last.content.find((entry) => entry instanceof ToolResultBlock);
  if (!(block instanceof ToolResultBlock)) throw new Error('no ToolResultBlock');
  const text = block.content.flatMap((entry) => (entry instanceof TextBlock ? [entry.text] : []));
  const images = block.content.flatMap((entry) => (entry instanceof ImageBlock ? [entry] : []));
  return { result, python, block, text: text.join('\n'), images, model };
}

describe('strandsTool in a real Strands Agent with a scripted model', () => {
  it('runs the sales analysis; the next model call gets the text and the PNGs', async () => {
    sandbox = await salesSandbox();
    const { result, block, text, images, model } = await runAgent({
      code: salesAnalysisCode,
      description: 'sales analysis',
    });
    expect(String(result)).toContain('Product A grew the most.');
    expect(model.calls[0]?.options?.toolSpecs?.[0]?.inputSchema).toMatchObject({
      type: 'object',
      required: ['code'],
    });
    expect(block.toolUseId).toBe('tooluse_1');
    expect(block.status).toBe('success');
    expect(text).toContain('Product A: 100.0%');
    expect(text).toMatch(SALES_FIGURE_LINE);
    expect(text).not.toMatch(/data:|base64,|iVBORw0KGgo/);
    expect(images).toHaveLength(2);
    for (const image of images) {
      expect(image.format).toBe('png');
      expect(image.source.type).toBe('imageSourceBytes');
      expect(isPng((image.source as { bytes: Uint8Array }).bytes)).toBe(true);
    }
  });

  it('gives shareable figure URLs in the text and the ledger', async () => {
    sandbox = await salesSandbox(shareableTestSink());
    const { text, images, python } = await runAgent({ code: salesAnalysisCode });
    const urls = text.match(/https:\/\/\S+/g) ?? [];
    expect(urls).toHaveLength(2);
    expect(urls.every((url) => url.startsWith(SHAREABLE_HOST))).toBe(true);
    expect(images).toHaveLength(2);
    expect(renderFigureLinks(python.figures)).toContain(
      `![figure 2: Period-over-period growth (%)](${urls[1]})`,
    );
  });

  it('returns error status for a failing script, with the traceback and the figure attached', async () => {
    sandbox = await salesSandbox();
    const { block, text, images } = await runAgent({ code: failingCode });
    expect(block.status).toBe('error');
    expect(text).toMatch(/^Error: ZeroDivisionError: division by zero\nTraceback/m);
    expect(images).toHaveLength(1);
  });

  it('validates the input itself: bad input is an error result the model can read', async () => {
    sandbox = await salesSandbox();
    const { block, text } = await runAgent({ script: 'print(1)' });
    expect(block.status).toBe('error');
    expect(text).toMatch(/^Invalid input for execute_python: code/);
  });
});
