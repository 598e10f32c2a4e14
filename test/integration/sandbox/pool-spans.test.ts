import { describe, expect, it } from 'vitest';
import { EXECUTION_SPAN_ATTRIBUTES as A } from '../../../src/observability/execution-span.js';
import { createSandboxPool } from '../../../src/sandbox/pool.js';
import { plainPythonBackend } from '../../../src/testing/agentcore-emulator/plain-python.js';
import { recordSpans } from '../../support/span-recorder.js';

describe('OpenTelemetry', () => {
  const exporter = recordSpans();

  it('records one span per execution with the tool attributes', async () => {
    await using pool = createSandboxPool({ backend: plainPythonBackend(), idleTimeoutMs: 60_000 });
    exporter.reset();
    await pool.executePython('conv-1', 'x = 1', { toolCallId: 'call-1' });
    await pool.executePython('conv-1', 'print(x)');
    await pool.executePython('conv-1', '1 / 0');
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(3);
    const [first, second, third] = spans;
    expect(first?.name).toBe('execute_tool execute_python');
    expect(first?.attributes).toMatchObject({
      [A.operationName]: 'execute_tool',
      [A.toolName]: 'execute_python',
      [A.toolCallId]: 'call-1',
      [A.conversationId]: 'conv-1',
      [A.backend]: 'plain-python',
      [A.codeBytes]: 5,
      [A.figureCount]: 0,
      [A.isError]: false,
      [A.sessionRestarted]: false,
    });
    expect(typeof first?.attributes[A.sessionId]).toBe('string');
    expect(first?.attributes[A.durationMs]).toBeGreaterThan(0);
    expect(second?.attributes[A.sessionId]).toBe(first?.attributes[A.sessionId]);
    expect(third?.attributes).toMatchObject({
      [A.isError]: true,
      [A.errorType]: 'ZeroDivisionError',
    });
    expect(third?.status.code).toBe(2); // ERROR
  });
});
