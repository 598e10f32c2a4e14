import { beforeEach, describe, expect, it } from 'vitest';
import { EXECUTION_SPAN_ATTRIBUTES as A } from '../../../src/observability/execution-span.js';
import { CodeSandbox } from '../../../src/sandbox/code-sandbox.js';
import { createSandboxPool } from '../../../src/sandbox/pool.js';
import { plainPythonBackend } from '../../../src/testing/agentcore-emulator/plain-python.js';
import { createExecutePythonTool } from '../../../src/tool/execute-python.js';
import { modelArguments } from '../../../src/tool/tool-input.js';
import { recordSpans } from '../../support/span-recorder.js';

describe('execute_python spans: exactly one per tool call', () => {
  const exporter = recordSpans();
  beforeEach(() => {
    exporter.reset();
  });

  it('on a CodeSandbox, the tool makes the span, with the tool call id and the conversation', async () => {
    await using sandbox = new CodeSandbox({ backend: plainPythonBackend() });
    const tool = createExecutePythonTool<{ user: string }>(sandbox, {
      name: 'python',
      conversationId: (context) => context.user,
    });
    await tool.invoke(
      { code: 'x = 6 * 7', description: 'compute' },
      { toolCallId: 'call-1', context: { user: 'u-1' } },
    );
    await tool.invoke({ code: '1 / 0' }, { toolCallId: 'call-2', context: { user: 'u-1' } });
    await tool.invoke(modelArguments({ source: 'no code' }), { toolCallId: 'call-3' });
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(2);
    expect(spans[0]?.name).toBe('execute_tool python');
    expect(spans[0]?.attributes).toMatchObject({
      [A.toolName]: 'python',
      [A.toolCallId]: 'call-1',
      [A.conversationId]: 'u-1',
      [A.backend]: 'plain-python',
      [A.codeBytes]: 9,
      [A.isError]: false,
      'gen_ai.tool.description': 'compute',
    });
    expect(typeof spans[0]?.attributes[A.sessionId]).toBe('string');
    expect(spans[1]?.attributes).toMatchObject({
      [A.toolCallId]: 'call-2',
      [A.isError]: true,
      [A.errorType]: 'ZeroDivisionError',
    });
  });

  it("records the developer's advice the model does not see: a timeout's option, the code-size option", async () => {
    await using sandbox = new CodeSandbox({
      backend: plainPythonBackend(),
      timeoutMs: 300,
      maxCodeBytes: 64,
    });
    const tool = createExecutePythonTool(sandbox);
    const timedOut = await tool.invoke({ code: 'while True: pass' });
    expect(timedOut.text).not.toContain('timeoutMs');
    const tooLong = await tool.invoke({ code: `x = "${'a'.repeat(100)}"` });
    expect(tooLong.text).not.toContain('maxCodeBytes');
    const [timeoutSpan, sizeSpan] = exporter.getFinishedSpans();
    expect(timeoutSpan?.status.message).toMatch(
      /^TimeoutError: The time limit is the `timeoutMs` option/,
    );
    expect(sizeSpan?.status.message).toMatch(/raise the `maxCodeBytes` option of CodeSandbox/);
  });

  it('on a CodeSandbox with tracing: false, the tool makes none', async () => {
    await using sandbox = new CodeSandbox({ backend: plainPythonBackend() });
    const tool = createExecutePythonTool(sandbox, { tracing: false });
    expect((await tool.invoke({ code: 'print(1)' })).text).toContain('1');
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('on a pool, the pool makes the span (with the tool call id) and the tool adds none', async () => {
    await using pool = createSandboxPool({ backend: plainPythonBackend(), maxSessions: 2 });
    const tool = createExecutePythonTool(pool);
    await Promise.all([
      tool.invoke({ code: 'me = "a"' }, { conversationId: 'a', toolCallId: 'call-a1' }),
      tool.invoke({ code: 'me = "b"' }, { conversationId: 'b', toolCallId: 'call-b1' }),
    ]);
    const a2 = await tool.invoke(
      { code: 'print(me)' },
      { conversationId: 'a', toolCallId: 'call-a2' },
    );
    expect(a2.text).toContain('stdout:\na');
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(3);
    const byCall = new Map(spans.map((span) => [span.attributes[A.toolCallId], span]));
    expect(byCall.get('call-a1')?.attributes[A.conversationId]).toBe('a');
    expect(byCall.get('call-b1')?.attributes[A.conversationId]).toBe('b');
    expect(byCall.get('call-a2')?.attributes).toMatchObject({
      [A.conversationId]: 'a',
      [A.backend]: 'plain-python',
      [A.sessionRestarted]: false,
    });
  });
});

describe('sessionRestarted on a real pool', () => {
  it('tells the model the sandbox was restarted after the pool stopped the idle sandbox', async () => {
    await using pool = createSandboxPool({
      backend: plainPythonBackend(),
      maxSessions: 2,
      idleTimeoutMs: 50,
    });
    const tool = createExecutePythonTool(pool, { conversationId: 'c' });
    const first = await tool.invoke({ code: 'total = 42' });
    expect(first.text).not.toMatch(/restarted/);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(pool.stats().evicted).toBe(1);
    const second = await tool.invoke({ code: 'print(total)' });
    expect(second.result?.sessionRestarted).toBe(true);
    expect(second.text).toMatch(
      /^Note: the sandbox was restarted before this call: variables, imports and files from earlier calls are gone; recompute what you need\./,
    );
    expect(second.text).toContain("NameError: name 'total' is not defined");
  });
});
