import type { SandboxBackend } from '../../backends/types.js';
import type { SessionStore } from '../../stores/types.js';
import {
  CONVERSATION_MEMBER,
  lockKey,
  newRecord,
  parseRecord,
  recordKey,
  SESSION_SLOTS,
  WARM_MEMBER,
  warmKey,
} from './conversation-record.js';

/** Slots looked at per sweep. */
const SWEEP_BATCH = 20;

export interface SweepContext {
  store: SessionStore;
  /** The pool's rate-limited backend: stops a session by id. */
  backend: SandboxBackend;
  lockExpiryMs: number;
  tombstoneTtlMs: number;
}

/**
 * Stops the sessions whose slot expired: their last process died (or closed its pool and
 * nobody came back) without stopping them. Each conversation is locked first and checked
 * again, so a conversation someone just used is left alone. Returns the slots freed.
 */
export async function sweepExpiredSessions(context: SweepContext): Promise<number> {
  const { store } = context;
  const expired = await store.expiredSlots(SESSION_SLOTS, { limit: SWEEP_BATCH });
  let freed = 0;
  for (const member of expired) {
    if (member.startsWith(CONVERSATION_MEMBER)) {
      if (await sweepConversation(context, member)) freed++;
    } else if (member.startsWith(WARM_MEMBER)) {
      const sessionId = await store.get(warmKey(member));
      if (sessionId !== undefined) await stopSessionById(context.backend, sessionId);
      await store.delete(warmKey(member));
      await store.releaseSlot(SESSION_SLOTS, member);
      freed++;
    } else {
      await store.releaseSlot(SESSION_SLOTS, member);
    }
  }
  return freed;
}

async function sweepConversation(context: SweepContext, member: string): Promise<boolean> {
  const { store } = context;
  const conversationId = member.slice(CONVERSATION_MEMBER.length);
  const lock = await store.lock(lockKey(conversationId), {
    ttlMs: context.lockExpiryMs,
    waitMs: 0,
  });
  // Someone holds it: the conversation is in use, and its holder renews the slot.
  if (lock === undefined) return false;
  try {
    // Renewed between the listing and the lock: in use again.
    const still = await store.expiredSlots(SESSION_SLOTS, { limit: 10_000 });
    if (!still.includes(member)) return false;
    const record = parseRecord(await store.get(recordKey(conversationId)));
    if (record?.state === 'active') {
      await stopSessionById(context.backend, record.sessionId);
      await store.set(recordKey(conversationId), JSON.stringify(newRecord({ state: 'lost' })), {
        ttlMs: context.tombstoneTtlMs,
      });
    }
    await store.releaseSlot(SESSION_SLOTS, member);
    return true;
  } finally {
    await lock.release().catch(() => undefined);
  }
}

/** Stops a backend session known only by its id (one this process may never have held). */
export async function stopSessionById(backend: SandboxBackend, sessionId: string): Promise<void> {
  if (!backend.attachSession) return;
  try {
    const session = await backend.attachSession(sessionId);
    await session.close();
  } catch {
    // Gone already, or the service failed: its own timeout ends it.
  }
}
