import { closeOnTerminationSignal } from '../../internal/termination-signals.js';

/** Something that can stop itself over the network. */
export interface Stoppable {
  close(): Promise<void>;
}

const open = new Set<Stoppable>();
let installed = false;

/**
 * Stops `session` if it is still open when the process ends:
 *
 * - when the event loop drains ('beforeExit');
 * - on SIGTERM or SIGINT (see `closeOnTerminationSignal`): the stop requests are sent, for at most
 *   3 s, before the signal ends the process; when the application listens to the signal itself,
 *   the sessions are stopped and exiting is left to it.
 *
 * An explicit `process.exit()`, SIGKILL or a crash skips both, and Node cannot do network I/O
 * inside 'exit': those sessions run until the service expires them (`sessionTimeoutSeconds`).
 * Returns the function that unregisters the session.
 */
export function stopOnExit(session: Stoppable): () => void {
  open.add(session);
  if (!installed) {
    installed = true;
    process.on('beforeExit', () => {
      if (open.size === 0) return;
      const sessions = [...open];
      open.clear();
      // Keeps the loop alive until the stops have been answered; then 'beforeExit' fires again
      // with nothing left to stop.
      void Promise.allSettled(sessions.map((each) => each.close()));
    });
  }
  const unregisterSignals = closeOnTerminationSignal(session);
  return () => {
    open.delete(session);
    unregisterSignals();
  };
}
