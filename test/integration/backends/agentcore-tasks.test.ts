import { execFileSync } from 'node:child_process';
import { InvokeCodeInterpreterCommand } from '@aws-sdk/client-bedrock-agentcore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentCoreSession, AgentCoreTaskInfo } from '../../../src/agentcore.js';
import { type AgentCoreEmulator, startAgentCoreEmulator } from '../../../src/testing.js';
import { drain, emulatorBackend, emulatorClient } from '../../support/agentcore-clients.js';
import { sandplotRejection as caught } from '../../support/rejection.js';

let emulator: AgentCoreEmulator;
let session: AgentCoreSession;

beforeAll(async () => {
  emulator = await startAgentCoreEmulator({ verifySignatures: true });
  session = (await emulatorBackend(emulator).createSession()) as AgentCoreSession;
});

afterAll(async () => {
  await session?.close();
  await emulator?.close();
});

async function waitUntilEnded(taskId: string, timeoutMs = 10_000): Promise<AgentCoreTaskInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = await session.getTask(taskId);
    if (task.status !== 'working' && task.status !== 'submitted') return task;
    if (Date.now() > deadline) throw new Error(`task ${taskId} still ${task.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('AgentCore background commands (startCommandExecution / getTask / stopTask)', () => {
  it('runs a task in the background while other calls still answer', async () => {
    const started = Date.now();
    const { taskId } = await session.startCommand('sleep 1; echo done');
    expect(taskId).toMatch(/\S/);
    expect(Date.now() - started).toBeLessThan(900);

    const running = await session.getTask(taskId);
    expect(running.status).toBe('working');
    expect(running.exitCode).toBeUndefined();

    // The session is not blocked by the task: Python and commands still answer meanwhile.
    const output = { stdout: '' };
    const code = await session.runCode('print(6 * 7)', {
      timeoutMs: 10_000,
      onStdout: (text) => {
        output.stdout += text;
      },
      onStderr: () => {},
    });
    expect(code.exitCode).toBe(0);
    expect(output.stdout).toBe('42\n');
    const command = await session.executeCommand('echo quick');
    expect(command.stdout).toBe('quick\n');
    expect((await session.getTask(taskId)).status).toBe('working');

    const done = await waitUntilEnded(taskId);
    expect(done).toMatchObject({ taskId, status: 'completed', stdout: 'done\n', exitCode: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it('answers the SDK shapes on the wire', async () => {
    const client = emulatorClient(emulator);
    const invoke = async (name: 'startCommandExecution' | 'getTask', args: object) => {
      const response = await client.send(
        new InvokeCodeInterpreterCommand({
          codeInterpreterIdentifier: 'aws.codeinterpreter.v1',
          sessionId: session.id,
          name,
          arguments: args,
        }),
      );
      const [event] = await drain(response.stream);
      return event?.result;
    };
    const start = await invoke('startCommandExecution', {
      command: 'echo out; echo err >&2; exit 3',
    });
    expect(start?.isError).toBe(false);
    const taskId = start?.structuredContent?.taskId as string;
    expect(start?.structuredContent?.taskStatus).toBe('working');
    const task = await waitUntilEnded(taskId);
    expect(task).toMatchObject({ status: 'failed', stdout: 'out\n', stderr: 'err\n', exitCode: 3 });
    const result = await invoke('getTask', { taskId });
    expect(result?.isError).toBe(true);
    expect(result?.structuredContent).toMatchObject({
      taskId,
      taskStatus: 'failed',
      stdout: 'out\n',
      stderr: 'err\n',
      exitCode: 3,
    });
  });

  it('runs in the working directory and sees the files written there', async () => {
    await session.writeFiles([{ path: 'task-input.txt', content: 'from a file\n' }]);
    const result = await session.runLongCommand('cat task-input.txt', { pollIntervalMs: 50 });
    expect(result).toEqual({ stdout: 'from a file\n', stderr: '', exitCode: 0 });
  });

  it('stopTask cancels a long task', async () => {
    const { taskId } = await session.startCommand('sleep 30');
    expect((await session.getTask(taskId)).status).toBe('working');
    const started = Date.now();
    await session.stopTask(taskId);
    expect(Date.now() - started).toBeLessThan(5_000);
    const stopped = await session.getTask(taskId);
    expect(stopped.status).toBe('canceled');
    expect(stopped.exitCode).toBe(128 + 15);
    // Stopping an ended task again is harmless.
    await session.stopTask(taskId);
    expect((await session.getTask(taskId)).status).toBe('canceled');
  });

  it('runLongCommand polls until the task ends and reports each poll', async () => {
    const polls: string[] = [];
    const result = await session.runLongCommand('sleep 0.4; echo finished; exit 2', {
      pollIntervalMs: 100,
      onPoll: (task) => polls.push(task.status),
    });
    expect(result).toEqual({ stdout: 'finished\n', stderr: '', exitCode: 2 });
    expect(polls[0]).toBe('working');
    expect(polls.at(-1)).toBe('failed');
  });

  it('runLongCommand with timeoutMs stops the task and throws a TimeoutError', async () => {
    let taskId = '';
    const started = Date.now();
    const error = await caught(
      session.runLongCommand('sleep 30', {
        pollIntervalMs: 100,
        timeoutMs: 500,
        onPoll: (task) => {
          taskId = task.taskId;
        },
      }),
    );
    expect(error.code).toBe('TIMEOUT');
    expect(error.name).toBe('SandplotTimeoutError');
    expect(error.message).toContain('timeoutMs');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(taskId).not.toBe('');
    expect((await session.getTask(taskId)).status).toBe('canceled');
  });

  it('runLongCommand stops the task when its abortSignal fires', async () => {
    const controller = new AbortController();
    let taskId = '';
    const error = await caught(
      session.runLongCommand('sleep 30', {
        pollIntervalMs: 100,
        abortSignal: controller.signal,
        onPoll: (task) => {
          taskId = task.taskId;
          controller.abort();
        },
      }),
    );
    expect(error.code).toBe('ABORTED');
    expect((await session.getTask(taskId)).status).toBe('canceled');
  });

  it('rejects an unknown task id with a ValidationException, and keeps the session', async () => {
    const before = session.id;
    const error = await caught(session.getTask('no-such-task'));
    expect(error.code).toBe('BACKEND_FAILED');
    expect(error.message).toContain('ValidationException');
    expect(error.message).toContain('no-such-task');
    expect((error.cause as { name?: string }).name).toBe('ValidationException');
    const stop = await caught(session.stopTask('no-such-task'));
    expect((stop.cause as { name?: string }).name).toBe('ValidationException');
    expect(session.id).toBe(before);
    const invalid = await caught(session.getTask(''));
    expect(invalid.code).toBe('INVALID_INPUT');
  });

  it('a task id belongs to its session', async () => {
    const other = (await emulatorBackend(emulator).createSession()) as AgentCoreSession;
    try {
      const { taskId } = await other.startCommand('echo mine');
      const error = await caught(session.getTask(taskId));
      expect((error.cause as { name?: string }).name).toBe('ValidationException');
      expect((await waitForOther(other, taskId)).stdout).toBe('mine\n');
    } finally {
      await other.close();
    }
  });

  it('closing the session ends its tasks', async () => {
    const other = (await emulatorBackend(emulator).createSession()) as AgentCoreSession;
    const marker = `sleep 47.${process.pid}`;
    await other.startCommand(marker);
    expect(processCount(marker)).toBeGreaterThan(0);
    await other.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(processCount(marker)).toBe(0);
  });
});

function processCount(pattern: string): number {
  try {
    return Number(execFileSync('pgrep', ['-fc', pattern]).toString().trim());
  } catch {
    return 0;
  }
}

async function waitForOther(other: AgentCoreSession, taskId: string): Promise<AgentCoreTaskInfo> {
  for (;;) {
    const task = await other.getTask(taskId);
    if (task.status !== 'working') return task;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
