import type { BackendSession, SandboxBackend } from '../../../src/backends/types.js';

/** A backend that counts the sessions it started and the ones that were closed. */
export interface CountingBackend extends SandboxBackend {
  readonly started: number;
  readonly stopped: number;
}

/** Wraps `backend`: every session it creates is counted, and so is each session's first close(). */
export function countingBackend(backend: SandboxBackend): CountingBackend {
  let started = 0;
  let stopped = 0;
  const count = (session: BackendSession): BackendSession => {
    let closed = false;
    const close = async (): Promise<void> => {
      if (!closed) {
        closed = true;
        stopped++;
      }
      await session.close();
    };
    // Members are read from the session itself: its getters and methods use private fields.
    return new Proxy(session, {
      get(target, key) {
        if (key === 'close') return close;
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
  return {
    name: backend.name,
    get started() {
      return started;
    },
    get stopped() {
      return stopped;
    },
    async createSession(options) {
      const session = await backend.createSession(options);
      started++;
      return count(session);
    },
  };
}
