import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentCoreSession } from '../../../src/agentcore.js';
import type { BackendRunOptions, BackendSession } from '../../../src/backends/types.js';
import {
  type BackendMiddleware,
  type SessionCall,
  wrapBackend,
} from '../../../src/backends/wrap-backend.js';
import { plainPythonBackend } from '../../../src/testing/agentcore-emulator/plain-python.js';
import { type AgentCoreEmulator, startAgentCoreEmulator } from '../../../src/testing.js';
import { emulatorBackend } from '../../support/agentcore-clients.js';

let emulator: AgentCoreEmulator;

beforeAll(async () => {
  emulator = await startAgentCoreEmulator();
});

afterAll(async () => {
  await emulator?.close();
});

function runOptions(output: { stdout: string }, abortSignal?: AbortSignal): BackendRunOptions {
  return {
    timeoutMs: 10_000,
    onStdout: (text) => {
      output.stdout += text;
    },
    onStderr: () => {},
    ...(abortSignal === undefined ? {} : { abortSignal }),
  };
}

/** A middleware that records what it saw, in order. */
function recorder() {
  const events: string[] = [];
  const calls: SessionCall[] = [];
  return {
    events,
    calls,
    middleware: {
      async wrapCreateSession(
        _options: { abortSignal?: AbortSignal },
        create: () => Promise<BackendSession>,
      ) {
        events.push('create');
        const session = await create();
        events.push('created');
        return session;
      },
      async wrapCall<T>(call: SessionCall, proceed: () => Promise<T>): Promise<T> {
        calls.push(call);
        events.push(`before ${call.operation}`);
        try {
          return await proceed();
        } finally {
          events.push(`after ${call.operation}`);
        }
      },
      async wrapClose(close: () => Promise<void>) {
        events.push('close');
        await close();
      },
    } satisfies BackendMiddleware,
  };
}

describe('wrapBackend', () => {
  it('runs the middleware around every call of an AgentCore session, its commands included', async () => {
    const inner = emulatorBackend(emulator, { sessionTimeoutSeconds: 600 });
    const { events, calls, middleware } = recorder();
    const backend = wrapBackend(inner, middleware);
    expect(backend.name).toBe('agentcore');
    expect(backend.sessionLifetimeMs).toBe(600_000);

    const session = (await backend.createSession()) as AgentCoreSession;
    expect(events).toEqual(['create', 'created']);
    // The session's own class, getters that read its private fields, and its extra methods.
    expect(session).toBeInstanceOf(AgentCoreSession);
    expect(session.id).toMatch(/\S/);
    expect(session.isAlive).toBe(true);

    const output = { stdout: '' };
    const controller = new AbortController();
    const run = await session.runCode('print(6 * 7)', runOptions(output, controller.signal));
    expect(run.exitCode).toBe(0);
    expect(output.stdout).toBe('42\n');
    expect(calls[0]).toEqual({ operation: 'runCode', abortSignal: controller.signal });

    await session.writeFiles([{ path: 'data.txt', content: 'hello' }]);
    expect(new TextDecoder().decode(await session.readFile('data.txt'))).toBe('hello');
    const command = await session.executeCommand('echo quick');
    expect(command.stdout).toBe('quick\n');
    expect(session.runCode).toBe(session.runCode);

    await Promise.all([session.close(), session.close()]);
    expect(session.isAlive).toBe(false);
    expect(events.slice(2)).toEqual([
      'before runCode',
      'after runCode',
      'before writeFiles',
      'after writeFiles',
      'before readFile',
      'after readFile',
      'before executeCommand',
      'after executeCommand',
      'close',
    ]);
  });

  it('has the optional methods only when the inner session has them', async () => {
    const backend = wrapBackend(plainPythonBackend(), {});
    const session = await backend.createSession();
    try {
      expect(backend.sessionLifetimeMs).toBeUndefined();
      expect(typeof session.removeFiles).toBe('function');
      expect(session.clearContext).toBeUndefined();
      expect('clearContext' in session).toBe(false);
      const output = { stdout: '' };
      await session.runCode('x = 2\nprint(x * 21)', runOptions(output));
      expect(output.stdout).toBe('42\n');
    } finally {
      await session.close();
    }
    expect(session.isAlive).toBe(false);
  });

  it('nests: the outer middleware runs first and sees the inner one finish', async () => {
    const events: string[] = [];
    const layer = (name: string) => ({
      async wrapCall<T>(call: SessionCall, proceed: () => Promise<T>): Promise<T> {
        events.push(`${name} ${call.operation}`);
        const result = await proceed();
        events.push(`${name} done`);
        return result;
      },
      async wrapClose(close: () => Promise<void>) {
        events.push(`${name} close`);
        await close();
      },
    });
    const backend = wrapBackend(wrapBackend(plainPythonBackend(), layer('inner')), layer('outer'));
    const session = await backend.createSession();
    await session.writeFiles([{ path: 'a.txt', content: 'a' }]);
    await session.close();
    await session.close();
    expect(events).toEqual([
      'outer writeFiles',
      'inner writeFiles',
      'inner done',
      'outer done',
      'outer close',
      'inner close',
    ]);
  });
});
