import type { BackendSession, SandboxBackend } from '../../backends/types.js';
import type { TokenBucket } from './token-bucket.js';

/** The limiters one pool shares between all its sessions. */
export interface BackendLimiters {
  /** Session starts (StartCodeInterpreterSession). */
  start: TokenBucket;
  /** Calls into a running session (InvokeCodeInterpreter). */
  invoke: TokenBucket;
  /** Session stops (StopCodeInterpreterSession). */
  stop: TokenBucket;
}

/**
 * Wraps a backend so that every call it makes to the service first takes a token: session starts
 * from `start`, runCode/writeFiles/readFile/removeFiles/clearContext from `invoke`, close from
 * `stop`. The backend itself is unchanged; retries it makes inside one call are not limited again.
 */
export function rateLimitedBackend(
  backend: SandboxBackend,
  limiters: BackendLimiters,
): SandboxBackend {
  return {
    name: backend.name,
    async createSession(options = {}) {
      await limiters.start.take(options.abortSignal);
      const session = await backend.createSession(options);
      return rateLimitedSession(session, limiters);
    },
  };
}

function rateLimitedSession(inner: BackendSession, limiters: BackendLimiters): BackendSession {
  let closing: Promise<void> | undefined;
  const session: BackendSession = {
    get id() {
      return inner.id;
    },
    get isAlive() {
      return inner.isAlive;
    },
    async runCode(code, options) {
      await limiters.invoke.take(options.abortSignal);
      return inner.runCode(code, options);
    },
    async writeFiles(files, options = {}) {
      await limiters.invoke.take(options.abortSignal);
      return inner.writeFiles(files, options);
    },
    async readFile(path, options = {}) {
      await limiters.invoke.take(options.abortSignal);
      return inner.readFile(path, options);
    },
    close() {
      closing ??= (async () => {
        // A stop always happens (a leaked session costs money); it only waits for its turn.
        await limiters.stop.take().catch(() => undefined);
        await inner.close();
      })();
      return closing;
    },
  };
  if (inner.removeFiles) {
    const removeFiles = inner.removeFiles.bind(inner);
    session.removeFiles = async (paths, options = {}) => {
      await limiters.invoke.take(options.abortSignal);
      return removeFiles(paths, options);
    };
  }
  if (inner.clearContext) {
    const clearContext = inner.clearContext.bind(inner);
    session.clearContext = async (options = {}) => {
      await limiters.invoke.take(options.abortSignal);
      return clearContext(options);
    };
  }
  return session;
}
