import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { createAgent, fakeModel } from 'langchain';
import { afterEach, describe, expect, it } from 'vitest';
import { langchainTool } from '../../src/adapters/langchain.js';
import type { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { renderFigureLinks } from '../../src/tool/figure-ledger.js';
import type { ExecutionResult } from '../../src/types/index.js';
import {
  failingCode,
  isPng,
  SHAREABLE_HOST,
  salesAnalysisCode,
  salesSandbox,
  shareableTestSink,
} from '../support/adapter-fixtures.js';
import { SALES_FIGURE_LINE } from '../support/png.js';

let sandbox: CodeSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

/** Runs a createAgent loop whose scripted model calls execute_python with `args` once. */
async function runAgent(args: Record<string, unknown>) {
  const model = fakeModel()
    .respondWithTools([{ name: 'execute_python', args, id: 'call_1' }])
    .respond(new AIMessage('Product A grew the most.'));
  const python = langchainTool(sandbox as CodeSandbox);
  const agent = createAgent({ model, tools: [python], systemPrompt: 'You are a data analyst.' });
  const state = await agent.invoke({ messages: [new HumanMessage('Analyse the sales.')] });
  expect(model.callCount).toBe(2);
  // What the model received on its second call: the tool's answer.
  const toolMessage = model.calls[1]?.messages.find((message) => ToolMessage.isInstance(message));
  if (!toolMessage || !ToolMessage.isInstance(toolMessage)) throw new Error('no ToolMessage');
  const blocks = toolMessage.content as (
    | { type: 'text'; text: string }
    | { type: 'image'; mimeType: string; data: string }
  )[];
  const text = blocks.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('\n');
  const images = blocks.flatMap((block) => (block.type === 'image' ? [block] : []));
  return { state, python, toolMessage, text, images };
}

describe('langchainTool with createAgent and a scripted model', () => {
  it('runs the sales analysis; the next model call gets text, PNG image blocks and the artifact', async () => {
    sandbox = await salesSandbox();
    const { state, toolMessage, text, images } = await runAgent({
      code: salesAnalysisCode,
      description: 'sales analysis',
    });
    expect(state.messages.at(-1)?.content).toBe('Product A grew the most.');
    expect(toolMessage.tool_call_id).toBe('call_1');
    expect(toolMessage.status).toBe('success');
    expect(text).toContain('Product A: 100.0%');
    expect(text).toMatch(SALES_FIGURE_LINE);
    expect(text).not.toMatch(/data:|base64,|iVBORw0KGgo/);
    expect(images).toHaveLength(2);
    for (const image of images) {
      expect(image.mimeType).toBe('image/png');
      expect(isPng(Buffer.from(image.data, 'base64'))).toBe(true);
    }
    const artifact = toolMessage.artifact as ExecutionResult;
    expect(artifact.isError).toBe(false);
    expect(artifact.figures).toHaveLength(2);
    expect(artifact.stdout).toContain('Overall growth rates:');
  });

  it('gives the figure URLs when the sink has shareable ones, and keeps them in the ledger', async () => {
    sandbox = await salesSandbox(shareableTestSink());
    const { text, images, python } = await runAgent({ code: salesAnalysisCode });
    const urls = text.match(/https:\/\/\S+/g) ?? [];
    expect(urls).toHaveLength(2);
    expect(urls.every((url) => url.startsWith(SHAREABLE_HOST))).toBe(true);
    expect(images).toHaveLength(2);
    expect(renderFigureLinks(python.figures, { format: 'text' }).split('\n')).toEqual([
      `figure 1: Sales trends <${urls[0]}>`,
      `figure 2: Period-over-period growth (%) <${urls[1]}>`,
    ]);
  });

  it('marks a failing script with error status, with the traceback and the figure attached', async () => {
    sandbox = await salesSandbox();
    const { toolMessage, text, images } = await runAgent({ code: failingCode });
    expect(toolMessage.status).toBe('error');
    expect(text).toMatch(/^Error: ZeroDivisionError: division by zero\nTraceback/m);
    expect(images).toHaveLength(1);
    expect((toolMessage.artifact as ExecutionResult).error?.name).toBe('ZeroDivisionError');
  });

  it('hands on the artifact with the figure title clipped as the model saw it', async () => {
    sandbox = await salesSandbox();
    const { toolMessage, python } = await runAgent({
      code: `import matplotlib.pyplot as plt
plt.plot([1, 2])
plt.gca().set_title("Sales\\x1b]0;owned\\x07 " + "T" * 1_000_000)
plt.gca().title.set_visible(False)
`,
    });
    const artifact = toolMessage.artifact as ExecutionResult;
    expect(artifact.figures[0]?.title).toHaveLength(200);
    expect(artifact.figures[0]?.title).toMatch(/^Sales TTT+…$/);
    expect(python.figures[0]?.title).toBe(artifact.figures[0]?.title);
  });

  it('answers invalid arguments with a readable error ToolMessage, not an exception', async () => {
    sandbox = await salesSandbox();
    const { toolMessage, text } = await runAgent({ source: 'print(1)' });
    expect(toolMessage.status).toBe('error');
    expect(text).toMatch(/^Invalid input for execute_python: code/);
    expect(toolMessage.artifact).toBeUndefined();
  });

  it('can be invoked directly: without a tool call id LangChain returns the content only', async () => {
    sandbox = await salesSandbox();
    const python = langchainTool(sandbox, { name: 'python' });
    expect(python.name).toBe('python');
    const content = (await python.invoke({ code: 'print(6 * 7)' })) as unknown as {
      type: string;
      text: string;
    }[];
    expect(content[0]?.type).toBe('text');
    expect(content[0]?.text).toContain('42');
    const message = await python.invoke({
      type: 'tool_call',
      id: 'direct_1',
      name: 'python',
      args: { code: '1/0' },
    });
    expect(ToolMessage.isInstance(message) && message.status).toBe('error');
  });
});
