import { generateText, stepCountIs } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { afterEach, describe, expect, it } from 'vitest';
import { aiSdkTool } from '../../src/adapters/ai-sdk.js';
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
import { isSalesFigureSize, pngSize, SALES_FIGURE_LINE } from '../support/png.js';

let sandbox: CodeSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

/** A model that calls execute_python with `args`, then answers; and the generateText run. */
async function runAgent(args: Record<string, unknown>) {
  const model = new MockLanguageModelV3({
    doGenerate: [
      {
        content: [
          {
            type: 'tool-call',
            toolCallId: 'call_1',
            toolName: 'execute_python',
            input: JSON.stringify(args),
          },
        ],
        finishReason: { unified: 'tool-calls', raw: 'tool_use' },
        usage,
        warnings: [],
      },
      {
        content: [{ type: 'text', text: 'Product A grew the most.' }],
        finishReason: { unified: 'stop', raw: 'end_turn' },
        usage,
        warnings: [],
      },
    ],
  });
  const python = aiSdkTool(sandbox as CodeSandbox);
  const result = await generateText({
    model,
    system: 'You are a data analyst.',
    prompt: 'Analyse the sales.',
    tools: { execute_python: python },
    stopWhen: stepCountIs(3),
  });
  expect(model.doGenerateCalls).toHaveLength(2);
  // What the model received on its second call: the tool's answer.
  const toolMessage = model.doGenerateCalls[1]?.prompt.find((message) => message.role === 'tool');
  const part = toolMessage?.role === 'tool' ? toolMessage.content[0] : undefined;
  if (part?.type !== 'tool-result') throw new Error('no tool result in the second prompt');
  return { result, python, part };
}

describe('aiSdkTool with generateText and a scripted model', () => {
  it('runs the sales analysis; the next model call gets the text and the PNGs', async () => {
    sandbox = await salesSandbox();
    const { result, part } = await runAgent({
      code: salesAnalysisCode,
      description: 'sales analysis',
    });
    expect(result.text).toBe('Product A grew the most.');
    expect(part.toolCallId).toBe('call_1');
    expect(part.toolName).toBe('execute_python');
    if (part.output.type !== 'content') throw new Error(`output is ${part.output.type}`);
    const [text, ...images] = part.output.value;
    if (text?.type !== 'text') throw new Error('the first part is not text');
    expect(text.text).toContain('Product A: 100.0%');
    expect(text.text).toMatch(SALES_FIGURE_LINE);
    expect(text.text).not.toMatch(/data:|base64,|iVBORw0KGgo/);
    expect(images).toHaveLength(2);
    for (const image of images) {
      if (image.type !== 'image-data') throw new Error(`image part is ${image.type}`);
      expect(image.mediaType).toBe('image/png');
      expect(isSalesFigureSize(pngSize(Buffer.from(image.data, 'base64')))).toBe(true);
    }
    // The step's tool result is the JSON summary.
    const toolResult = result.steps[0]?.toolResults[0];
    expect(toolResult?.output).toMatchObject({
      isError: false,
      figures: [
        { ref: 1, label: 'figure 1', title: 'Sales trends', mediaType: 'image/png' },
        { ref: 2, label: 'figure 2', title: 'Period-over-period growth (%)' },
      ],
    });
    expect(JSON.parse(JSON.stringify(toolResult?.output))).toEqual(toolResult?.output);
  });

  it('gives the figure URLs when the sink has shareable ones, and keeps them in the ledger', async () => {
    sandbox = await salesSandbox(shareableTestSink());
    const { result, python, part } = await runAgent({ code: salesAnalysisCode });
    if (part.output.type !== 'content') throw new Error(`output is ${part.output.type}`);
    const text = part.output.value[0]?.type === 'text' ? part.output.value[0].text : '';
    const urls = text.match(/https:\/\/\S+/g) ?? [];
    expect(urls).toHaveLength(2);
    expect(urls.every((url) => url.startsWith(SHAREABLE_HOST))).toBe(true);
    const output = result.steps[0]?.toolResults[0]?.output as { figures: { url?: string }[] };
    expect(output.figures.map((figure) => figure.url)).toEqual(urls);
    expect(renderFigureLinks(python.sandplotTool.figures, { format: 'text' }).split('\n')).toEqual([
      `figure 1: Sales trends <${urls[0]}>`,
      `figure 2: Period-over-period growth (%) <${urls[1]}>`,
    ]);
  });

  it('sends a failing script back with the traceback and the figure it made', async () => {
    sandbox = await salesSandbox();
    const { part } = await runAgent({ code: failingCode });
    if (part.output.type !== 'content') throw new Error(`output is ${part.output.type}`);
    const [text, image] = part.output.value;
    expect(text?.type === 'text' && text.text).toMatch(
      /^Error: ZeroDivisionError: division by zero\nTraceback/m,
    );
    expect(image?.type === 'image-data' && isPng(Buffer.from(image.data, 'base64'))).toBe(true);
  });

  it('sends an error without images as error-text', async () => {
    sandbox = await salesSandbox();
    const { part } = await runAgent({ code: 'raise ValueError("no data")' });
    expect(part.output).toEqual({
      type: 'error-text',
      value: expect.stringMatching(/^Error: ValueError: no data/),
    });
  });

  it('lets the AI SDK answer invalid arguments as a tool error, without running code', async () => {
    sandbox = await salesSandbox();
    const { part, result } = await runAgent({ source: 'print(1)' });
    if (part.output.type !== 'error-text') throw new Error(`output is ${part.output.type}`);
    expect(part.output.value).toMatch(/code/);
    expect(result.steps[0]?.toolResults).toEqual([]);
  });
});
