import { AIMessage, type BaseMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { createAgent, fakeModel } from 'langchain';
import { afterEach, describe, expect, it } from 'vitest';
import { langchainTool } from '../../src/adapters/langchain.js';
import { localBackend } from '../../src/backends/local.js';
import { EXECUTION_SPAN_ATTRIBUTES as A } from '../../src/observability/execution-span.js';
import { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { createSandboxPool, type SandboxPool } from '../../src/sandbox/pool.js';
import { firstCode, secondCode } from '../support/adapter-fixtures.js';
import { recordSpans } from '../support/span-recorder.js';
import {
  describeAdapterPoolContract,
  listedFigures,
  type ToolReply,
} from './support/pool-contract.js';

type ContentBlock = { type: 'text'; text: string } | { type: 'image'; data: string };

function textOf(message: ToolMessage): string {
  const content = message.content;
  if (typeof content === 'string') return content;
  return (content as ContentBlock[])
    .flatMap((block) => (block.type === 'text' ? [block.text] : []))
    .join('\n');
}

function replyOf(message: ToolMessage): ToolReply {
  const blocks = typeof message.content === 'string' ? [] : (message.content as ContentBlock[]);
  return {
    isError: message.status === 'error',
    text: textOf(message),
    images: blocks.flatMap((block) =>
      block.type === 'image' ? [new Uint8Array(Buffer.from(block.data, 'base64'))] : [],
    ),
  };
}

/** A createAgent loop whose scripted model calls execute_python with each code, then answers. */
function scriptedAgent(python: ReturnType<typeof langchainTool>, codes: readonly string[]) {
  let model = fakeModel();
  codes.forEach((code, at) => {
    model = model.respondWithTools([
      { name: 'execute_python', args: { code }, id: `call_${at + 1}` },
    ]);
  });
  return createAgent({ model: model.respond(new AIMessage('Done.')), tools: [python] });
}

function toolMessages(state: { messages: BaseMessage[] }): ToolMessage[] {
  return state.messages.filter((message) => ToolMessage.isInstance(message)) as ToolMessage[];
}

describeAdapterPoolContract('langchainTool', (pool) => {
  const python = langchainTool(pool);
  return {
    conversationIdHelp: /configurable\.thread_id/,
    async run(conversationId, codes) {
      const state = await scriptedAgent(python, codes).invoke(
        { messages: [new HumanMessage('Go.')] },
        conversationId === undefined ? {} : { configurable: { thread_id: conversationId } },
      );
      return toolMessages(state).map(replyOf);
    },
    figures: async (conversationId) => listedFigures(python.figuresFor(conversationId)),
  };
});

describe('langchainTool on a pool: conversation ids, direct calls and spans', () => {
  let pool: SandboxPool | undefined;
  afterEach(async () => {
    await pool?.closeAll();
    pool = undefined;
  });
  const exporter = recordSpans();

  it('takes the conversation id from a callback of the RunnableConfig, and from direct calls', async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const python = langchainTool(pool, {
      conversationId: (config) => config?.metadata?.userId as string | undefined,
    });
    const state = await scriptedAgent(python, [firstCode('gamma')]).invoke(
      { messages: [new HumanMessage('I am gamma.')] },
      { metadata: { userId: 'user-7' } },
    );
    expect(toolMessages(state)[0]?.status).toBe('success');
    expect(python.figuresFor('user-7')).toHaveLength(1);
    // Invoked directly with a tool call, the same conversation continues.
    const again = await python.invoke(
      { type: 'tool_call', id: 'again', name: 'execute_python', args: { code: secondCode } },
      { metadata: { userId: 'user-7' } },
    );
    expect(textOf(again as ToolMessage)).toContain('secret is gamma');
    expect(() => python.figures).toThrow(/figuresFor/);
  }, 60_000);

  it('makes one span per tool call, with the tool call id and the thread, on a pool and on a CodeSandbox', async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    exporter.reset();
    const ask = (python: ReturnType<typeof langchainTool>, thread: string) =>
      scriptedAgent(python, [firstCode('alpha'), secondCode]).invoke(
        { messages: [new HumanMessage('Go.')] },
        { configurable: { thread_id: thread } },
      );
    await ask(langchainTool(pool), 'thread-alpha');
    let spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.attributes[A.toolCallId])).toEqual(['call_1', 'call_2']);
    expect(spans.every((span) => span.attributes[A.conversationId] === 'thread-alpha')).toBe(true);

    exporter.reset();
    await using sandbox = new CodeSandbox({ backend: localBackend() });
    await ask(langchainTool(sandbox), 'thread-beta');
    spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.attributes[A.toolCallId])).toEqual(['call_1', 'call_2']);
    expect(spans[0]?.attributes).toMatchObject({
      [A.conversationId]: 'thread-beta',
      [A.backend]: 'local',
      [A.figureCount]: 1,
    });
  }, 60_000);
});
