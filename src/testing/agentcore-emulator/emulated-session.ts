import { setTimeout as delay } from 'node:timers/promises';
import type { BackendSession, SandboxBackend } from '../../backends/types.js';
import { rememberWorkingDirectory } from './python-helper.js';
import { stopAllTasks } from './session-tasks.js';

/** How long terminate() waits for background tasks to be stopped before closing anyway. */
const STOP_TASKS_WAIT_MS = 3_000;

/** One emulated AgentCore session: a local sandbox session plus the service's bookkeeping. */
export class EmulatedSession {
  readonly id: string;
  readonly identifier: string;
  readonly name: string | undefined;
  readonly createdAt: Date;
  readonly timeoutSeconds: number;
  status: 'READY' | 'TERMINATED' = 'READY';
  /** Ids of the tasks startCommandExecution started here; others answer ValidationException. */
  readonly taskIds = new Set<string>();
  lastUpdatedAt: Date;
  readonly #backend: SandboxBackend;
  #local: Promise<BackendSession> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout;

  constructor(init: {
    id: string;
    identifier: string;
    name: string | undefined;
    timeoutSeconds: number;
    backend: SandboxBackend;
    local: BackendSession;
    onExpire: (session: EmulatedSession) => void;
  }) {
    this.id = init.id;
    this.identifier = init.identifier;
    this.name = init.name;
    this.timeoutSeconds = init.timeoutSeconds;
    this.createdAt = new Date();
    this.lastUpdatedAt = this.createdAt;
    this.#backend = init.backend;
    this.#local = Promise.resolve(init.local);
    this.#timer = setTimeout(() => init.onExpire(this), init.timeoutSeconds * 1000);
    this.#timer.unref();
  }

  /** Runs `task` on the local session after the calls before it, as the service does. */
  run<T>(task: (local: BackendSession) => Promise<T>): Promise<T> {
    const next = this.#queue.then(async () => {
      this.#local ??= this.#backend.createSession().then(async (created) => {
        await rememberWorkingDirectory(created);
        return created;
      });
      const local = await this.#local;
      try {
        return await task(local);
      } finally {
        this.lastUpdatedAt = new Date();
        // A crashed interpreter is replaced on the next call, like the service's own recovery.
        if (!local.isAlive) this.#local = undefined;
      }
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Ends the session: its interpreter is closed and later calls find it TERMINATED. */
  async terminate(): Promise<void> {
    clearTimeout(this.#timer);
    if (this.status === 'TERMINATED') return;
    this.status = 'TERMINATED';
    this.lastUpdatedAt = new Date();
    if (this.taskIds.size > 0 && this.#local !== undefined) {
      // Background commands belong to the session: stop them (best effort) before it closes.
      await Promise.race([
        this.run(stopAllTasks).catch(() => undefined),
        delay(STOP_TASKS_WAIT_MS, undefined, { ref: false }),
      ]);
    }
    const local = this.#local;
    this.#local = undefined;
    await (await local?.catch(() => undefined))?.close();
  }
}
