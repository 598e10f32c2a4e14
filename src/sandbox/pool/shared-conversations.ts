import type { SandboxBackend } from '../../backends/types.js';
import { SandboxPoolBusyError } from '../../errors/index.js';
import { abortedError } from '../../internal/abort.js';
import { sleep } from '../../internal/sleep.js';
import type { SessionStore, SessionStoreLock } from '../../stores/types.js';
import {
  CONVERSATION_MEMBER,
  type ConversationRecord,
  filesKey,
  lockKey,
  newRecord,
  parseRecord,
  recordKey,
  SESSION_SLOTS,
} from './conversation-record.js';
import type { PoolEntry } from './pool-entry.js';
import { stopSessionById, sweepExpiredSessions } from './session-sweeper.js';

/** Records of conversations with no session (`lost`, `ended`) are kept this long. */
const TOMBSTONE_TTL_MS = 6 * 60 * 60 * 1000;
/** A slot claim that cannot be met is tried again after this long (doubling up to 250 ms). */
const CLAIM_RETRY_MS = 20;

export interface SharedConversationsOptions {
  store: SessionStore;
  /** The pool's rate-limited backend, to stop sessions known only by their id. */
  backend: SandboxBackend;
  maxSessions: number;
  idleTimeoutMs: number;
  lockExpiryMs: number;
  queueTimeoutMs: number;
}

/** This process's hold on one conversation's lock: taken by its first call, shared by the rest. */
interface Hold {
  depth: number;
  ready: Promise<void>;
  lock: SessionStoreLock | undefined;
  /** The lock expired while held (a long stall): another process may have it now. */
  lost: boolean;
  renewTimer: NodeJS.Timeout | undefined;
}

/**
 * What the pool does through a shared session store: one lock per conversation (held by one
 * process at a time, for its calls in a row), the conversation's record (which session it has),
 * the count of sessions against `maxSessions`, and stopping sessions from any process.
 */
export class SharedConversations {
  readonly store: SessionStore;
  readonly #options: SharedConversationsOptions;
  readonly #holds = new Map<string, Hold>();
  /** Releases in flight: the next hold of the conversation waits for them. */
  readonly #releases = new Map<string, Promise<void>>();
  #sweeping: Promise<number> | undefined;

  constructor(options: SharedConversationsOptions) {
    this.#options = options;
    this.store = options.store;
  }

  /** A slot in the shared count lasts this long after the conversation's last use. */
  get slotTtlMs(): number {
    return this.#options.idleTimeoutMs + 2 * this.#options.lockExpiryMs;
  }

  /**
   * Takes the conversation's lock for this process, or joins this process's hold of it. The
   * first caller reads the record under the lock and hands it to `reconcile`, which brings the
   * local sandbox in line before any call runs. Pair every `enter` with a `leave`.
   */
  async enter(
    entry: PoolEntry,
    abortSignal: AbortSignal | undefined,
    reconcile: (record: ConversationRecord | undefined) => Promise<void>,
  ): Promise<void> {
    const { conversationId } = entry;
    let hold = this.#holds.get(conversationId);
    if (hold === undefined) {
      const created: Hold = {
        depth: 0,
        ready: Promise.resolve(),
        lock: undefined,
        lost: false,
        renewTimer: undefined,
      };
      created.ready = this.#take(conversationId, created, reconcile);
      // Callers that aborted leave the hold's own failure unobserved.
      created.ready.catch(() => undefined);
      this.#holds.set(conversationId, created);
      hold = created;
    }
    hold.depth++;
    try {
      await untilReady(hold.ready, abortSignal);
    } catch (error) {
      await this.leave(entry);
      throw error;
    }
  }

  /** Ends a call's part of the hold; the last one writes the record and lets the lock go. */
  async leave(entry: PoolEntry): Promise<void> {
    const { conversationId } = entry;
    const hold = this.#holds.get(conversationId);
    if (hold === undefined || --hold.depth > 0) return;
    this.#holds.delete(conversationId);
    clearInterval(hold.renewTimer);
    const releasing = (async () => {
      const lock = await hold.ready.then(
        () => hold.lock,
        () => undefined,
      );
      if (lock === undefined) return;
      try {
        if (!hold.lost) await this.#writeActive(entry);
      } catch {
        // The store is away: the record stays as it was, and this process keeps what it knows.
      } finally {
        await lock.release().catch(() => undefined);
      }
    })();
    this.#releases.set(conversationId, releasing);
    await releasing;
    if (this.#releases.get(conversationId) === releasing) this.#releases.delete(conversationId);
  }

  async #take(
    conversationId: string,
    hold: Hold,
    reconcile: (record: ConversationRecord | undefined) => Promise<void>,
  ): Promise<void> {
    await this.#releases.get(conversationId);
    const { store, lockExpiryMs, queueTimeoutMs } = this.#options;
    const lock = await store.lock(lockKey(conversationId), {
      ttlMs: lockExpiryMs,
      waitMs: queueTimeoutMs,
    });
    if (lock === undefined) {
      throw new SandboxPoolBusyError(
        'POOL_QUEUE_TIMEOUT',
        `Conversation ${conversationId} waited ${queueTimeoutMs} ms (queueTimeoutMs) for its lock in the session store: another process held it all that time (a long call there, or a process that stopped holding it, which the lock outlives by lockExpiryMs at most). Try again later.`,
      );
    }
    hold.lock = lock;
    // A long call keeps both the lock and the conversation's place in the count.
    hold.renewTimer = setInterval(() => {
      void lock.extend(lockExpiryMs).then(
        (held) => {
          if (!held) hold.lost = true;
          else
            return this.store.renewSlot(SESSION_SLOTS, CONVERSATION_MEMBER + conversationId, {
              ttlMs: this.slotTtlMs,
            });
        },
        () => undefined,
      );
    }, lockExpiryMs / 3);
    hold.renewTimer.unref();
    try {
      await reconcile(parseRecord(await store.get(recordKey(conversationId))));
    } catch (error) {
      clearInterval(hold.renewTimer);
      hold.lock = undefined;
      await lock.release().catch(() => undefined);
      throw error;
    }
  }

  /** Writes that the conversation has the entry's session now, and renews its slot. */
  async #writeActive(entry: PoolEntry): Promise<void> {
    const sessionId = entry.sandbox.sessionId;
    if (sessionId === undefined) return;
    const record = newRecord({ state: 'active', sessionId, startedAt: entry.sessionStartedAt });
    await this.store.set(recordKey(entry.conversationId), JSON.stringify(record), {
      ttlMs: 2 * this.slotTtlMs + 60_000,
    });
    entry.recordVersion = record.version;
    await this.#renewSlot(entry.conversationId);
  }

  async #renewSlot(conversationId: string): Promise<void> {
    const member = CONVERSATION_MEMBER + conversationId;
    const ttlMs = this.slotTtlMs;
    if (await this.store.renewSlot(SESSION_SLOTS, member, { ttlMs })) return;
    // The store lost it (a restart): the session exists, so it counts again whatever the limit.
    await this.store.claimSlot(SESSION_SLOTS, member, { limit: Number.MAX_SAFE_INTEGER, ttlMs });
  }

  /**
   * Claims the conversation's place in the shared count before its session starts, waiting up to
   * `queueTimeoutMs` while all `maxSessions` are held: expired slots are swept, warm sessions give
   * up their place, and `evictOne` may stop one of this process's idle sessions.
   */
  async claim(
    conversationId: string,
    abortSignal: AbortSignal | undefined,
    evictOne: () => Promise<boolean>,
  ): Promise<void> {
    const { maxSessions, queueTimeoutMs } = this.#options;
    const deadline = Date.now() + queueTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      const { claimed } = await this.store.claimSlot(
        SESSION_SLOTS,
        CONVERSATION_MEMBER + conversationId,
        { limit: maxSessions, ttlMs: this.slotTtlMs, preemptPrefix: 'w:' },
      );
      if (claimed) return;
      if ((await this.sweep()) > 0 || (await evictOne())) continue;
      if (Date.now() >= deadline) {
        throw new SandboxPoolBusyError(
          'POOL_QUEUE_TIMEOUT',
          `Conversation ${conversationId} waited ${queueTimeoutMs} ms for a session: all ${maxSessions} (maxSessions) of the pools sharing the session store were in use. Try again later, or raise maxSessions (within the account's quota) or queueTimeoutMs.`,
        );
      }
      await sleep(
        Math.min(250, CLAIM_RETRY_MS * 1.5 ** attempt),
        abortSignal,
        'Waiting for a session',
      );
    }
  }

  /** Stops sessions whose processes left them (expired slots); one sweep at a time. */
  sweep(): Promise<number> {
    this.#sweeping ??= sweepExpiredSessions({
      store: this.store,
      backend: this.#options.backend,
      lockExpiryMs: this.#options.lockExpiryMs,
      tombstoneTtlMs: TOMBSTONE_TTL_MS,
    })
      .catch(() => 0)
      .finally(() => {
        this.#sweeping = undefined;
      });
    return this.#sweeping;
  }

  /**
   * The pool wants to stop the entry's session (idle, too old, evicted). It does when the store
   * shows no newer use and nobody holds the conversation: `stop` runs under the lock, the record
   * says `lost` and the slot is freed. Otherwise another process goes on with the session, and
   * this one only lets go of it (`detached`).
   */
  async retire(entry: PoolEntry, stop: () => Promise<void>): Promise<'stopped' | 'detached'> {
    const { conversationId } = entry;
    const lock = await this.store
      .lock(lockKey(conversationId), { ttlMs: this.#options.lockExpiryMs, waitMs: 0 })
      .catch(() => undefined);
    if (lock === undefined) return 'detached';
    try {
      const record = parseRecord(await this.store.get(recordKey(conversationId)));
      const sessionId = entry.current.knownSessionId;
      const ours =
        record === undefined
          ? sessionId !== undefined
          : record.state === 'active' &&
            record.sessionId === sessionId &&
            record.version === entry.recordVersion;
      if (!ours) return 'detached';
      await stop();
      await this.#forget(conversationId, 'lost');
      return 'stopped';
    } catch {
      return 'detached';
    } finally {
      await lock.release().catch(() => undefined);
    }
  }

  /**
   * Ends the conversation from this process, whichever process holds its session: waits for its
   * lock, stops the session (`stopLocal` when this process's sandbox has it, else by its id),
   * records `ended` and drops its kept files and slot.
   */
  async end(conversationId: string, stopLocal: () => Promise<string | undefined>): Promise<void> {
    await this.#releases.get(conversationId);
    const lock = await this.store.lock(lockKey(conversationId), {
      ttlMs: this.#options.lockExpiryMs,
      waitMs: this.#options.queueTimeoutMs,
    });
    if (lock === undefined) {
      throw new SandboxPoolBusyError(
        'POOL_QUEUE_TIMEOUT',
        `Conversation ${conversationId} could not be ended: another process held its lock for ${this.#options.queueTimeoutMs} ms (queueTimeoutMs). Try again later.`,
      );
    }
    try {
      const record = parseRecord(await this.store.get(recordKey(conversationId)));
      const stored = record?.state === 'active' ? record.sessionId : undefined;
      const localSessionId = await stopLocal();
      if (stored !== undefined && stored !== localSessionId) {
        await stopSessionById(this.#options.backend, stored);
      }
      await this.#forget(conversationId, 'ended');
      await this.store.delete(filesKey(conversationId));
    } finally {
      await lock.release().catch(() => undefined);
    }
  }

  /** Whether the store still gives the conversation this session (closeAll then detaches it). */
  async holdsSession(conversationId: string, sessionId: string | undefined): Promise<boolean> {
    if (sessionId === undefined) return false;
    try {
      const record = parseRecord(await this.store.get(recordKey(conversationId)));
      return record?.state === 'active' && record.sessionId === sessionId;
    } catch {
      // The store is away: keep the session for whoever can reach it again.
      return true;
    }
  }

  async #forget(conversationId: string, state: 'lost' | 'ended'): Promise<void> {
    await this.store.set(recordKey(conversationId), JSON.stringify(newRecord({ state })), {
      ttlMs: TOMBSTONE_TTL_MS,
    });
    await this.store.releaseSlot(SESSION_SLOTS, CONVERSATION_MEMBER + conversationId);
  }
}

function untilReady(ready: Promise<void>, abortSignal: AbortSignal | undefined): Promise<void> {
  if (abortSignal === undefined) return ready;
  if (abortSignal.aborted)
    return Promise.reject(abortedError('Waiting for the conversation', abortSignal));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortedError('Waiting for the conversation', abortSignal));
    abortSignal.addEventListener('abort', onAbort, { once: true });
    ready.then(
      () => {
        abortSignal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: unknown) => {
        abortSignal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
