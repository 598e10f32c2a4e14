import { randomBytes } from 'node:crypto';
import type { SessionStore } from '../../stores/types.js';
import { SESSION_SLOTS, WARM_MEMBER, warmKey } from './conversation-record.js';
import type { PoolSandbox } from './pool-sandbox.js';

/**
 * The warm-up cell: installs the capture prelude (every wrapped cell does) and imports pyplot
 * (and with it numpy), without binding a name in the conversation's namespace.
 */
const WARM_UP_CODE = '__import__("matplotlib.pyplot")';
/** First pause after a warm session failed to start; it doubles up to `MAX_RETRY_MS`. */
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;
/** A warm session's id stays in the store this long, for a sweeper to stop it if this process dies. */
const WARM_RECORD_TTL_MS = 24 * 60 * 60 * 1000;

export interface WarmSessionsOptions {
  /** Sessions to keep ready. */
  count: number;
  maxSessionAgeMs: number | undefined;
  /** A new sandbox of the pool, not given to any conversation. */
  newSandbox: () => PoolSandbox;
  /** There is room for one more session in this process, and no conversation waits for one. */
  hasRoom: () => boolean;
  /** A warm session became ready or went away: the pool may serve its queue. */
  onChange: () => void;
  /** With a shared store: warm sessions count in its `maxSessions` too. */
  shared?: { store: SessionStore; maxSessions: number; slotTtlMs: number };
}

interface Ready {
  owner: PoolSandbox;
  ageTimer: NodeJS.Timeout | undefined;
}

/**
 * Started sessions waiting for new conversations (`warmSessions`): each handed out is replaced
 * in the background, each is replaced at `maxSessionAgeMs`, and all are stopped by `close()`.
 * With a shared store each holds a slot (`w:` members) renewed while this process lives; a
 * conversation of any process that finds the count full takes such a slot, and the warm session
 * that lost it is stopped at the next renewal.
 */
export class WarmSessions {
  readonly #options: WarmSessionsOptions;
  readonly #ready: Ready[] = [];
  readonly #starts = new Set<Promise<void>>();
  /** Slots of warm sessions still starting; `lost` once a renewal found the slot gone. */
  readonly #startingSlots = new Map<string, { lost: boolean }>();
  /** Sandboxes still warming up: `close()` stops them at once. */
  readonly #warming = new Set<PoolSandbox>();
  readonly #name = randomBytes(6).toString('hex');
  #sequence = 0;
  #failures = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  readonly #renewTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: WarmSessionsOptions) {
    this.#options = options;
    const shared = options.shared;
    if (shared) {
      this.#renewTimer = setInterval(() => void this.#renew(shared), shared.slotTtlMs / 3);
      this.#renewTimer.unref();
    }
  }

  /** Warm sessions ready or starting: they hold room in the pool. */
  get size(): number {
    return this.#ready.length + this.#starts.size;
  }

  /** Warm sessions ready to hand out. */
  get ready(): number {
    return this.#ready.length;
  }

  /**
   * A ready warm session, or undefined. The pool calls `refill()` once the conversation's call is
   * done, so that the replacement's start does not compete with that call.
   */
  take(): PoolSandbox | undefined {
    const ready = this.#ready.shift();
    if (ready) clearTimeout(ready.ageTimer);
    return ready?.owner;
  }

  /** Takes back a warm session that was not needed after all (its conversation had a session). */
  giveBack(owner: PoolSandbox): void {
    if (this.#closed || this.#ready.length >= this.#options.count) {
      void this.#discard(owner);
      return;
    }
    this.#keep(owner);
  }

  /** Starts warm sessions until `count` are ready or starting, while the pool has room. */
  refill(): void {
    while (
      !this.#closed &&
      this.#retryTimer === undefined &&
      this.size < this.#options.count &&
      this.#options.hasRoom()
    ) {
      const start = this.#start().finally(() => {
        this.#starts.delete(start);
      });
      this.#starts.add(start);
    }
  }

  /** Stops every warm session, and those still starting once they have. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#renewTimer);
    const ready = this.#ready.splice(0);
    await Promise.allSettled([
      ...ready.map((each) => {
        clearTimeout(each.ageTimer);
        return this.#discard(each.owner);
      }),
      // Their warm-up call fails, and their start cleans up after itself.
      ...[...this.#warming].map((owner) => owner.sandbox.close()),
      ...this.#starts,
    ]);
  }

  async #start(): Promise<void> {
    const shared = this.#options.shared;
    const member = shared ? `${WARM_MEMBER}${this.#name}:${this.#sequence++}` : undefined;
    let owner: PoolSandbox | undefined;
    const slot = { lost: false };
    try {
      if (shared && member) {
        const { claimed } = await shared.store.claimSlot(SESSION_SLOTS, member, {
          limit: shared.maxSessions,
          ttlMs: shared.slotTtlMs,
        });
        // Every session of the processes sharing the store is in use: try again later.
        if (!claimed) throw new Error('no free session slot');
        this.#startingSlots.set(member, slot);
      }
      owner = this.#options.newSandbox();
      owner.warmMember = member;
      this.#warming.add(owner);
      const result = await owner.sandbox.executePython(WARM_UP_CODE);
      if (result.isError) throw new Error(result.error?.value ?? 'the warm-up cell failed');
      if (shared && member && owner.sandbox.sessionId) {
        await shared.store.set(warmKey(member), owner.sandbox.sessionId, {
          ttlMs: WARM_RECORD_TTL_MS,
        });
      }
      // A conversation of another process took its place while it started.
      if (slot.lost) throw new Error('its session slot was taken');
    } catch {
      if (owner) await this.#discard(owner);
      else if (shared && member)
        await shared.store.releaseSlot(SESSION_SLOTS, member).catch(() => undefined);
      this.#failures++;
      this.#retryLater();
      return;
    } finally {
      if (member) this.#startingSlots.delete(member);
      if (owner) this.#warming.delete(owner);
    }
    this.#failures = 0;
    if (this.#closed) {
      await this.#discard(owner);
      return;
    }
    this.#keep(owner);
    this.#options.onChange();
  }

  #keep(owner: PoolSandbox): void {
    const ready: Ready = { owner, ageTimer: undefined };
    const maxAge = this.#options.maxSessionAgeMs;
    if (maxAge !== undefined) {
      const left = (owner.startedAt ?? Date.now()) + maxAge - Date.now();
      ready.ageTimer = setTimeout(() => this.#drop(ready), Math.max(0, left));
      ready.ageTimer.unref();
    }
    this.#ready.push(ready);
  }

  /** Stops a ready warm session (too old, or it lost its slot) and starts another. */
  #drop(ready: Ready): void {
    const index = this.#ready.indexOf(ready);
    if (index < 0) return;
    this.#ready.splice(index, 1);
    clearTimeout(ready.ageTimer);
    void this.#discard(ready.owner).finally(() => {
      this.#options.onChange();
      this.refill();
    });
  }

  async #discard(owner: PoolSandbox): Promise<void> {
    await owner.sandbox.close().catch(() => undefined);
    const member = owner.warmMember;
    const store = this.#options.shared?.store;
    if (member && store) {
      owner.warmMember = undefined;
      await store.releaseSlot(SESSION_SLOTS, member).catch(() => undefined);
      await store.delete(warmKey(member)).catch(() => undefined);
    }
  }

  #retryLater(): void {
    if (this.#closed || this.#retryTimer !== undefined) return;
    const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, this.#failures - 1));
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.refill();
    }, delay);
    this.#retryTimer.unref();
  }

  /** Renews the slots of the ready warm sessions; one that lost its slot is stopped. */
  async #renew(shared: NonNullable<WarmSessionsOptions['shared']>): Promise<void> {
    for (const [member, slot] of this.#startingSlots) {
      const renewed = await shared.store
        .renewSlot(SESSION_SLOTS, member, { ttlMs: shared.slotTtlMs })
        .catch(() => true);
      if (!renewed) slot.lost = true;
    }
    for (const ready of [...this.#ready]) {
      const member = ready.owner.warmMember;
      if (member === undefined) continue;
      const renewed = await shared.store
        .renewSlot(SESSION_SLOTS, member, { ttlMs: shared.slotTtlMs })
        .catch(() => true);
      if (!renewed) this.#drop(ready);
    }
    this.refill();
  }
}
