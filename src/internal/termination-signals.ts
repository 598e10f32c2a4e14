/** Something that can end itself: a sandbox session. */
export interface Closable {
  close(): Promise<void>;
}

/** The signals a user (Ctrl-C) or a supervisor (`kill`, Docker, Kubernetes, systemd) stops a process with. */
export const TERMINATION_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** How long open sessions get to close after a signal before the process ends anyway. */
export const SIGNAL_CLOSE_DEADLINE_MS = 3_000;

const open = new Set<Closable>();
let installed = false;
/** The signal being handled: sessions are closing, the process is about to end. */
let handling: NodeJS.Signals | undefined;

/**
 * Closes `target` when the process receives SIGTERM or SIGINT. The listeners are installed only
 * while something is registered, so a process without open sessions keeps Node's default
 * behaviour. On a signal:
 *
 * - when sandplot's listener is the only one, every registered target is closed (for at most
 *   {@link SIGNAL_CLOSE_DEADLINE_MS}), then the listeners are removed and the signal raised
 *   again, so the process ends as it would have without sandplot (killed by the signal, exit
 *   status 128 + its number);
 * - when the application listens to the signal as well, the targets are closed and exiting is
 *   left to the application.
 *
 * A second signal while the first is handled ends the process at once. Returns the function
 * that unregisters `target` (call it from `close()`).
 */
export function closeOnTerminationSignal(target: Closable): () => void {
  open.add(target);
  install();
  return () => {
    open.delete(target);
    if (open.size === 0 && handling === undefined) uninstall();
  };
}

function install(): void {
  if (installed) return;
  installed = true;
  // First in line: an application's `process.once()` listener is removed as it runs, and must
  // still be counted when sandplot decides whether it is alone.
  for (const signal of TERMINATION_SIGNALS) process.prependListener(signal, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  for (const signal of TERMINATION_SIGNALS) process.off(signal, onSignal);
}

function onSignal(signal: NodeJS.Signals): void {
  const alone = process.listenerCount(signal) === 1;
  if (handling !== undefined) {
    // Asked twice: stop waiting for the sessions.
    if (alone) raiseAgain(signal);
    return;
  }
  handling = signal;
  const closing = [...open];
  open.clear();
  const closed = Promise.allSettled(closing.map((target) => closeQuietly(target)));
  if (!alone) {
    void closed.then(() => {
      handling = undefined;
      if (open.size === 0) uninstall();
    });
    return;
  }
  // A referenced timer: the process must not drain and exit with code 0 meanwhile.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, SIGNAL_CLOSE_DEADLINE_MS);
  });
  void Promise.race([closed, deadline]).then(() => {
    clearTimeout(timer);
    raiseAgain(signal);
  });
}

function raiseAgain(signal: NodeJS.Signals): void {
  uninstall();
  handling = undefined;
  // No listener is left: Node's default action for the signal ends the process.
  process.kill(process.pid, signal);
}

async function closeQuietly(target: Closable): Promise<void> {
  try {
    await target.close();
  } catch {
    // The process is ending; a stop that failed cannot be reported to anyone.
  }
}
