import type { PoolEntry } from './pool-entry.js';
import type { PoolSandboxHooks } from './pool-sandbox.js';
import type { SharedConversations } from './shared-conversations.js';

/** What the hooks of the pool's sandboxes need from the pool. */
export interface PoolSandboxHooksContext {
  /** With a `sessionStore`: the conversations shared with other processes. */
  shared: SharedConversations | undefined;
  counts: { started: number; stopped: number };
  /** Whether the pool still holds the entry (a stopped one is not told its session started). */
  holds(entry: PoolEntry): boolean;
  /** Stops one of this process's idle sandboxes to make room in the shared count; false when none. */
  evictForRoom(): Promise<boolean>;
}

/**
 * The pool's part around its sandboxes' sessions: with a shared store a session start claims
 * the conversation's place in the count, and each call holds the conversation's lock; the
 * entry is busy while a call runs, so nothing evicts it.
 */
export function poolSandboxHooks(context: PoolSandboxHooksContext): PoolSandboxHooks {
  const { shared, counts } = context;
  return {
    beforeStart: async (owner, abortSignal) => {
      const entry = owner.entry;
      if (shared && entry) {
        await shared.claim(entry.conversationId, abortSignal, () => context.evictForRoom());
      }
    },
    started: (owner) => {
      counts.started++;
      const entry = owner.entry;
      if (entry && context.holds(entry)) entry.sessionStarted();
    },
    aroundCall: async (owner, abortSignal, proceed) => {
      const entry = owner.entry;
      if (entry === undefined) return proceed();
      entry.markBusy();
      try {
        if (shared === undefined) return await proceed();
        // Calls on an acquired sandbox hold the conversation's lock too (no-op within a pool call).
        await shared.enter(entry, abortSignal, async () => {});
        try {
          return await proceed();
        } finally {
          await shared.leave(entry);
        }
      } finally {
        entry.release();
      }
    },
    stopping: () => {
      counts.stopped++;
    },
  };
}
