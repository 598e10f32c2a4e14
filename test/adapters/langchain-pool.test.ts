import { AIMessage, type BaseMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { createAgent, fakeModel } from 'langchain';
import { afterEach, describe, expect, it } from 'vitest';
import { langchainTool } from '../../src/adapters/langchain.js';
import { localBackend } from '../../src/backends/local.js';
import { EXECUTION_SPAN_ATTRIBUTES as A } from '../../src/observability/execution-span.js';
import { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { createSandboxPool, type SandboxPool } from '../../src/sandbox/pool.js';
import type { ExecutionResult } from '../../src/types/index.js';
import { firstCode, secondCode } from '../support/adapter-fixtures.js';
import { recordSpans } from '../support/span-recorder.js';

let pool: SandboxPool | undefined;
afterEach(async () => {
  await pool?.closeAll();
  pool = undefined;
});

function textOf(message: ToolMessage): string {
  const content = message.content;
  if (typeof content === 'string') return content;
  return content
    .flatMap((block) =>
      (block as { type?: string }).type === 'text' ? [(block as { text: string }).text] : [],
    )
    .join('\n');
}

/**
 * A scripted model for any number of threads: it reads the user's name from the first message
 * and answers by the number of tool results so far: set the secret and draw, read it back, answer.
 */
function conversationTurn(messages: BaseMessage[]): BaseMessage {
  const human = messages.find((message) => HumanMessage.isInstance(message));
  const name = /I am (\w+)/.exec(String(human?.content))?.[1] ?? 'nobody';
  const results = messages.filter((message) => ToolMessage.isInstance(message)) as ToolMessage[];
  if (results.length < 2) {
    const step = results.length + 1;
    return new AIMessage({
      content: '',
      tool_calls: [
        {
          type: 'tool_call',
          name: 'execute_python',
          id: `${name}_${step}`,
          args: { code: step === 1 ? firstCode(name) : secondCode },
        },
      ],
    });
  }
  return new AIMessage(results.map(textOf).join('\n---\n'));
}

function scriptedModel(turns: number) {
  let model = fakeModel();
  for (let turn = 0; turn < turns; turn++) model = model.respond(conversationTurn);
  return model;
}

function toolMessages(state: { messages: BaseMessage[] }): ToolMessage[] {
  return state.messages.filter((message) => ToolMessage.isInstance(message)) as ToolMessage[];
}

describe('langchainTool on a sandbox pool: one sandbox per thread_id', () => {
  it('serves two threads of one agent concurrently: own variables, own figures', async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const python = langchainTool(pool);
    const agent = createAgent({ model: scriptedModel(6), tools: [python] });
    const ask = (name: string) =>
      agent.invoke(
        { messages: [new HumanMessage(`I am ${name}. Keep my secret.`)] },
        { configurable: { thread_id: `thread-${name}` } },
      );
    const [alpha, beta] = await Promise.all([ask('alpha'), ask('beta')]);

    for (const [name, state] of [
      ['alpha', alpha],
      ['beta', beta],
    ] as const) {
      const [first, second] = toolMessages(state);
      if (!first || !second) throw new Error(`${name}: expected two tool results`);
      expect(first.tool_call_id).toBe(`${name}_1`);
      expect(first.status).toBe('success');
      expect(textOf(first)).toContain('no secret yet');
      expect(textOf(first)).toContain(`- figure 1, "${name} chart"`);
      expect(textOf(first)).not.toContain('seen before');
      expect(textOf(second)).toContain(`secret is ${name}`);
      expect((first.artifact as ExecutionResult).figures).toHaveLength(1);
      const figures = python.figuresFor(`thread-${name}`);
      expect(figures.map((figure) => [figure.label, figure.title])).toEqual([
        ['figure 1', `${name} chart`],
      ]);
    }
    expect(pool.stats()).toMatchObject({ started: 2, queued: 0 });
    // The same thread again continues in its sandbox.
    const again = await python.invoke(
      { type: 'tool_call', id: 'again', name: 'execute_python', args: { code: secondCode } },
      { configurable: { thread_id: 'thread-beta' } },
    );
    expect(textOf(again as ToolMessage)).toContain('secret is beta');
  }, 60_000);

  it('takes the conversation id from a callback of the RunnableConfig', async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const python = langchainTool(pool, {
      conversationId: (config) => config?.metadata?.userId as string | undefined,
    });
    const agent = createAgent({ model: scriptedModel(3), tools: [python] });
    const state = await agent.invoke(
      { messages: [new HumanMessage('I am gamma.')] },
      { metadata: { userId: 'user-7' } },
    );
    expect(textOf(toolMessages(state)[1] as ToolMessage)).toContain('secret is gamma');
    expect(python.figuresFor('user-7')).toHaveLength(1);
  }, 60_000);

  it('without a thread_id answers with an error ToolMessage and tells the developer', async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const python = langchainTool(pool);
    const model = fakeModel()
      .respondWithTools([{ name: 'execute_python', args: { code: 'print(1)' }, id: 'call_1' }])
      .respond(new AIMessage('The sandbox is unavailable.'));
    const agent = createAgent({ model, tools: [python] });
    const state = await agent.invoke({ messages: [new HumanMessage('Compute.')] });
    const [message] = toolMessages(state);
    expect(message?.status).toBe('error');
    expect(textOf(message as ToolMessage)).toMatch(/did not say which conversation/);
    expect(message?.artifact).toBeUndefined();
    expect(pool.stats().started).toBe(0);
    const direct = python.sandplotTool;
    const output = await direct.invoke({ code: 'print(1)' }, { context: undefined });
    expect(output.error?.message).toMatch(/configurable\.thread_id/);
    expect(() => python.figures).toThrow(/figuresFor/);
  }, 60_000);
});

describe('langchainTool spans: one per tool call, with the tool call id and the thread', () => {
  const exporter = recordSpans();

  it('on a pool (the pool makes the span) and on a CodeSandbox (the tool makes it)', async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    exporter.reset();
    const onPool = createAgent({ model: scriptedModel(3), tools: [langchainTool(pool)] });
    await onPool.invoke(
      { messages: [new HumanMessage('I am alpha.')] },
      { configurable: { thread_id: 'thread-alpha' } },
    );
    let spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.attributes[A.toolCallId])).toEqual(['alpha_1', 'alpha_2']);
    expect(spans.every((span) => span.attributes[A.conversationId] === 'thread-alpha')).toBe(true);

    exporter.reset();
    await using sandbox = new CodeSandbox({ backend: localBackend() });
    const onSandbox = createAgent({ model: scriptedModel(3), tools: [langchainTool(sandbox)] });
    await onSandbox.invoke(
      { messages: [new HumanMessage('I am beta.')] },
      { configurable: { thread_id: 'thread-beta' } },
    );
    spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.attributes[A.toolCallId])).toEqual(['beta_1', 'beta_2']);
    expect(spans[0]?.attributes).toMatchObject({
      [A.conversationId]: 'thread-beta',
      [A.backend]: 'local',
      [A.figureCount]: 1,
    });
  }, 60_000);
});
