import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { emulatorEnvironment } from './agentcore-clients.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./signal-child.ts', import.meta.url));
const rawTextHooks = fileURLToPath(new URL('./raw-text-hooks.mjs', import.meta.url));

/** A Node process running test/support/signal-child.ts: a host with an open sandbox. */
export interface HostProcess {
  child: ChildProcess;
  pid: number;
  /** Resolves with the first event of that name the child reported. */
  event(name: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Starts signal-child.ts with these SIGNAL_CHILD_* settings (see that file). */
export function startHostProcess(environment: Record<string, string>): HostProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', rawTextHooks, script], {
    cwd: root,
    env: { ...process.env, ...emulatorEnvironment, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A test that failed half-way must not leave its host running.
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const events: Record<string, unknown>[] = [];
  const waiters: { name: string; resolve: (event: Record<string, unknown>) => void }[] = [];
  let buffered = '';
  let errors = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    for (let end = buffered.indexOf('\n'); end !== -1; end = buffered.indexOf('\n')) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      events.push(event);
      for (const waiter of waiters.filter((each) => each.name === event.event)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    errors += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    pid: child.pid ?? -1,
    exited,
    stderr: () => errors,
    event(name, timeoutMs = 30_000) {
      const seen = events.find((each) => each.event === name);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the host process did not report "${name}": ${errors}`)),
          timeoutMs,
        );
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(
            new Error(`the host process exited (${code ?? signal}) before "${name}": ${errors}`),
          );
        });
        waiters.push({
          name,
          resolve: (event) => {
            clearTimeout(timer);
            resolve(event);
          },
        });
      });
    },
  };
}

/** A process identity that survives pid reuse: pid and start time. */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
  command: string;
}

/** Every process below `pid` (children, grandchildren...), from /proc. */
export async function descendantsOf(pid: number): Promise<ProcessIdentity[]> {
  const found: ProcessIdentity[] = [];
  let level = [pid];
  while (level.length > 0) {
    const next: number[] = [];
    for (const parent of level) {
      for (const task of await readdir(`/proc/${parent}/task`).catch(() => [] as string[])) {
        const text = await readFile(`/proc/${parent}/task/${task}/children`, 'utf8').catch(
          () => '',
        );
        for (const word of text.split(' ')) {
          if (word === '') continue;
          const child = Number(word);
          const identity = await identify(child);
          if (identity) found.push(identity);
          next.push(child);
        }
      }
    }
    level = next;
  }
  return found;
}

/**
 * The processes of `identities` still running once `graceMs` has passed (or none are left):
 * SIGKILL is delivered at once, but the kernel tears a large process down in its own time, and
 * a busy machine can take a moment before the process is gone.
 */
export async function stillRunningAfter(
  identities: ProcessIdentity[],
  graceMs: number,
): Promise<ProcessIdentity[]> {
  const deadline = Date.now() + graceMs;
  let running = await stillRunning(identities);
  while (running.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    running = await stillRunning(running);
  }
  return running;
}

/** The processes of `identities` that still run (same pid, same start time). */
export async function stillRunning(identities: ProcessIdentity[]): Promise<ProcessIdentity[]> {
  const running: ProcessIdentity[] = [];
  for (const identity of identities) {
    const now = await identify(identity.pid);
    if (now && now.startTime === identity.startTime && !now.zombie) running.push(identity);
  }
  return running;
}

async function identify(pid: number): Promise<(ProcessIdentity & { zombie: boolean }) | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const close = stat.lastIndexOf(')');
    const command = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    return { pid, command, startTime: fields[19] ?? '', zombie: fields[0] === 'Z' };
  } catch {
    return undefined;
  }
}
