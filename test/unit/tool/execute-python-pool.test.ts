import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  InvalidInputError,
  SandboxPoolBusyError,
  SandplotError,
} from '../../../src/errors/index.js';
import type { PoolExecuteOptions } from '../../../src/sandbox/pool.js';
import { createExecutePythonTool } from '../../../src/tool/execute-python.js';
import { forgetFigureLedger, getFigureLedger } from '../../../src/tool/figure-ledger.js';
import { isExecutePythonPool } from '../../../src/tool/pool-target.js';
import { modelArguments } from '../../../src/tool/tool-input.js';
import type { ExecutionResult, StoredFigure } from '../../../src/types/index.js';
import { tinyPng } from '../../support/png.js';

function figure(index: number, title: string): StoredFigure {
  return {
    index,
    mediaType: 'image/png',
    width: 10,
    height: 10,
    title,
    sink: 'test',
    url: `https://figures.example.test/${title}.png`,
    byteLength: tinyPng.byteLength,
    data: tinyPng,
  } as StoredFigure;
}

function result(overrides: Partial<ExecutionResult> = {}): ExecutionResult {
  return {
    executionId: `exec-${Math.random().toString(16).slice(2)}`,
    stdout: '',
    stderr: '',
    exitCode: 0,
    isError: false,
    durationMs: 3,
    displays: [],
    files: [],
    figures: [],
    problems: [],
    ...overrides,
  };
}

/**
 * A pool that answers every call with a figure titled after the conversation and records the
 * calls; it makes no span.
 */
function scriptedPool(answer?: (conversationId: string, code: string) => ExecutionResult | Error) {
  const calls: { conversationId: string; code: string; options: PoolExecuteOptions | undefined }[] =
    [];
  return {
    calls,
    async acquire() {
      return {};
    },
    async executePython(conversationId: string, code: string, options?: PoolExecuteOptions) {
      calls.push({ conversationId, code, options });
      const outcome =
        answer?.(conversationId, code) ??
        result({
          stdout: `ran in ${conversationId}\n`,
          figures: [figure(0, `${conversationId} chart`)],
        });
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  };
}

describe('createExecutePythonTool on a pool', () => {
  it('tells a pool from a sandbox', () => {
    expect(isExecutePythonPool(scriptedPool())).toBe(true);
    expect(isExecutePythonPool({ executePython() {} })).toBe(false);
  });

  it('runs each call in its conversation, with the tool call id, description and timeout', async () => {
    const pool = scriptedPool();
    const tool = createExecutePythonTool<{ thread: string }>(pool, {
      conversationId: (context) => context.thread,
      timeoutMs: 5000,
    });
    expect(tool.pool).toBe(pool);
    const output = await tool.invoke(
      { code: 'print(1)', description: 'one' },
      { context: { thread: 'alpha' }, toolCallId: 'call-1' },
    );
    expect(output.conversationId).toBe('alpha');
    expect(output.text).toContain('ran in alpha');
    expect(pool.calls[0]).toMatchObject({
      conversationId: 'alpha',
      code: 'print(1)',
      options: { toolCallId: 'call-1', description: 'one', timeoutMs: 5000 },
    });
    // A call's own conversation id comes first.
    await tool.invoke({ code: 'x' }, { context: { thread: 'alpha' }, conversationId: 'beta' });
    expect(pool.calls[1]?.conversationId).toBe('beta');
    // A fixed id.
    const fixed = createExecutePythonTool(pool, { conversationId: 'gamma' });
    await fixed.invoke({ code: 'x' });
    expect(pool.calls[2]?.conversationId).toBe('gamma');
  });

  it('keeps a figure ledger per conversation, numbered from figure 1 in each, shared by the tools of the pool', async () => {
    const pool = scriptedPool();
    const tool = createExecutePythonTool(pool);
    const a1 = await tool.invoke({ code: 'a' }, { conversationId: 'alpha' });
    const b1 = await tool.invoke({ code: 'b' }, { conversationId: 'beta' });
    const a2 = await tool.invoke({ code: 'a' }, { conversationId: 'alpha' });
    expect(a1.text).toContain('- figure 1, "alpha chart"');
    expect(b1.text).toContain('- figure 1, "beta chart"');
    expect(a2.text).toContain('- figure 2, "alpha chart"');
    expect(tool.figuresFor('alpha').map((entry) => entry.label)).toEqual(['figure 1', 'figure 2']);
    expect(tool.figuresFor('beta').map((entry) => entry.title)).toEqual(['beta chart']);
    expect(getFigureLedger(pool, 'alpha')).toBe(tool.ledgerFor('alpha'));
    const other = createExecutePythonTool(pool, { name: 'python' });
    expect(other.figuresFor('alpha')).toHaveLength(2);
    // No single sandbox, ledger or figure list on a pool: reading them says what to use.
    expect(() => tool.figures).toThrow(/figuresFor\(conversationId\)/);
    expect(() => tool.ledger).toThrow(/ledgerFor\(conversationId\)/);
    expect(() => tool.sandbox).toThrow(/tool\.pool/);
    expect(() => tool.ledger).toThrow(ConfigError);
    expect(() => tool.ledgerFor('')).toThrow(InvalidInputError);
    tool.forgetConversation('alpha');
    expect(tool.figuresFor('alpha')).toEqual([]);
    expect(forgetFigureLedger(pool, 'beta')).toBe(true);
    expect(forgetFigureLedger(pool, 'beta')).toBe(false);
  });

  it('answers a call without a conversation id with an error result and tells the developer which option to set', async () => {
    const pool = scriptedPool();
    const warnings: Error[] = [];
    const listener = (warning: Error) => warnings.push(warning);
    process.on('warning', listener);
    try {
      const tool = createExecutePythonTool<{ thread?: string }>(pool, {
        conversationId: (context) => context?.thread,
        conversationIdHelp: 'Set { thread } in the context.',
      });
      const output = await tool.invoke({ code: 'print(1)' }, { context: {} });
      expect(output.isError).toBe(true);
      expect(output.errorCode).toBe('CONFIG_INVALID');
      expect(output.text).toMatch(/did not say which conversation/);
      expect(output.text).toMatch(/not a problem in your code/);
      expect(output.error).toBeInstanceOf(ConfigError);
      expect(output.error?.message).toMatch(
        /no conversation id.*Set \{ thread \} in the context\./,
      );
      await tool.invoke({ code: 'print(1)' });
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((warning) => /no conversation id/.test(warning.message))).toHaveLength(
        1,
      );
      expect(pool.calls).toHaveLength(0);
      // Bad input is still answered as bad input first.
      expect((await tool.invoke(modelArguments({ source: 'x' }))).errorCode).toBe('INVALID_INPUT');
    } finally {
      process.off('warning', listener);
    }

    const noOption = createExecutePythonTool(pool, { onSandboxError: 'throw' });
    await expect(noOption.invoke({ code: 'x' })).rejects.toThrow(/Pass `conversationId`/);
    const throwing = createExecutePythonTool(pool, {
      onSandboxError: 'throw',
      conversationId: () => {
        throw new Error('no request context');
      },
    });
    await expect(throwing.invoke({ code: 'x' })).rejects.toThrow(/threw: no request context/);
  });

  it('answers pool errors (queue full) as retryable sandbox failures of that conversation', async () => {
    const pool = scriptedPool(
      () => new SandboxPoolBusyError('POOL_QUEUE_FULL', 'The sandbox pool queue is full.'),
    );
    const tool = createExecutePythonTool(pool, { conversationId: 'alpha' });
    const output = await tool.invoke({ code: 'x' });
    expect(output.errorCode).toBe('POOL_QUEUE_FULL');
    expect(output.conversationId).toBe('alpha');
    expect(output.text).toMatch(/trying again later may work/);
    expect(SandplotError.isInstance(output.error)).toBe(true);
  });

  it('rejects a conversationId option that is not a string or a function', () => {
    expect(() =>
      createExecutePythonTool(scriptedPool(), { conversationId: 42 as unknown as string }),
    ).toThrow(/conversationId/);
    expect(() => createExecutePythonTool(scriptedPool(), { conversationId: '' })).toThrow(
      /conversationId/,
    );
  });
});
