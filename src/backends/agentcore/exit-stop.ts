/** Something that can stop itself over the network. */
export interface Stoppable {
  close(): Promise<void>;
}

const open = new Set<Stoppable>();
let installed = false;

/**
 * Stops sessions still open when the event loop drains ('beforeExit'). Best effort only: an
 * explicit `process.exit()`, a signal or a crash skips 'beforeExit', and Node cannot do network
 * I/O inside 'exit' — those sessions run until the service expires them (`sessionTimeoutSeconds`).
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
  return () => {
    open.delete(session);
  };
}
