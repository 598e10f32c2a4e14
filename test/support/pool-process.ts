import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import type { SandboxPoolOptions } from '../../src/sandbox/pool.js';
import { emulatorEnvironment } from './agentcore-clients.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./pool-child.ts', import.meta.url));
const rawTextHooks = fileURLToPath(new URL('./raw-text-hooks.mjs', import.meta.url));

export interface PoolChildConfig {
  endpoint: string;
  redisUrl?: string;
  pool?: Omit<SandboxPoolOptions, 'backend' | 'sessionStore'>;
}

export interface ExecuteReply {
  stdout: string;
  isError: boolean;
  errorName?: string;
  errorValue?: string;
  sessionRestarted: boolean;
  sessionId?: string;
}

export interface ChildFailure {
  name?: string;
  code?: string;
  message?: string;
  isRetryable?: boolean;
}

/** A separate Node process with its own sandbox pool (test/support/pool-child.ts). */
export interface PoolProcess {
  readonly child: ChildProcess;
  execute(conversationId: string, code: string): Promise<ExecuteReply>;
  /** The failure of a call that is expected to fail. */
  executeFailure(conversationId: string, code: string): Promise<ChildFailure>;
  writeFiles(conversationId: string, files: { path: string; content: string }[]): Promise<void>;
  close(conversationId: string): Promise<void>;
  closeAll(): Promise<void>;
  stats(): Promise<Record<string, number>>;
  stderr(): string;
}

type Answer = { id: number; ok: boolean; error?: ChildFailure } & Record<string, unknown>;

/** Starts a pool process and waits until its pool exists. */
export async function startPoolProcess(config: PoolChildConfig): Promise<PoolProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', rawTextHooks, script], {
    cwd: root,
    env: { ...process.env, ...emulatorEnvironment, POOL_CHILD_CONFIG: JSON.stringify(config) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let errors = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    errors += chunk;
  });
  const pending = new Map<
    number,
    { resolve: (answer: Answer) => void; reject: (error: Error) => void }
  >();
  let nextId = 1;
  let buffered = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    child.once('exit', (code, signal) => {
      const error = new Error(`the pool process exited (${code ?? signal}): ${errors}`);
      reject(error);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
  });
  ready.catch(() => undefined);
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    for (let end = buffered.indexOf('\n'); end !== -1; end = buffered.indexOf('\n')) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      let message: Answer & { event?: string };
      try {
        message = JSON.parse(line) as Answer & { event?: string };
      } catch {
        continue;
      }
      if (message.event === 'ready') markReady();
      pending.get(message.id)?.resolve(message);
      pending.delete(message.id);
    }
  });
  const request = (body: Record<string, unknown>): Promise<Answer> => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        reject(new Error(`the pool process has exited: ${errors}`));
        return;
      }
      pending.set(id, { resolve, reject });
      child.stdin?.write(`${JSON.stringify({ id, ...body })}\n`);
    });
  };
  const succeed = async (body: Record<string, unknown>): Promise<Answer> => {
    const answer = await request(body);
    if (!answer.ok) throw new Error(`${String(body.op)} failed: ${JSON.stringify(answer.error)}`);
    return answer;
  };
  await ready;
  return {
    child,
    stderr: () => errors,
    async execute(conversationId, code) {
      return (await succeed({ op: 'execute', conversationId, code })).result as ExecuteReply;
    },
    async executeFailure(conversationId, code) {
      const answer = await request({ op: 'execute', conversationId, code });
      if (answer.ok) throw new Error(`the call succeeded: ${JSON.stringify(answer.result)}`);
      return answer.error ?? {};
    },
    async writeFiles(conversationId, files) {
      await succeed({ op: 'writeFiles', conversationId, files });
    },
    async close(conversationId) {
      await succeed({ op: 'close', conversationId });
    },
    async closeAll() {
      await succeed({ op: 'closeAll' });
    },
    async stats() {
      return (await succeed({ op: 'stats' })).stats as Record<string, number>;
    },
  };
}
