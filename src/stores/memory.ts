import { randomUUID } from 'node:crypto';
import { abortedError } from '../internal/abort.js';
import { TokenBucket } from '../internal/token-bucket.js';
import type {
  SessionStore,
  SessionStoreLock,
  SessionStoreLockOptions,
  SlotClaim,
  SlotClaimResult,
  StoreRateLimiter,
  StoreRateLimiterOptions,
} from './types.js';

interface Held {
  token: string;
  expiresAt: number;
}

/**
 * A session store in this process's memory. Pools given the same one coordinate through it as
 * pools in separate processes do through Redis (one session per conversation, shared
 * `maxSessions` and rate limits); nothing leaves the process. Without a `sessionStore`, a pool
 * keeps this state to itself.
 */
export function memorySessionStore(): SessionStore {
  return new MemorySessionStore();
}

class MemorySessionStore implements SessionStore {
  readonly name = 'memory';
  readonly #values = new Map<string, { value: string; expiresAt: number }>();
  readonly #locks = new Map<string, Held>();
  /** Callers waiting for a lock, woken when it is released. */
  readonly #lockWaiters = new Map<string, Set<() => void>>();
  readonly #slots = new Map<string, Map<string, number>>();
  readonly #limiters = new Map<string, TokenBucket>();

  async get(key: string): Promise<string | undefined> {
    const entry = this.#values.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#values.delete(key);
      return undefined;
    }
    return entry.value;
  }

  async set(key: string, value: string, options: { ttlMs: number }): Promise<void> {
    this.#values.set(key, { value, expiresAt: Date.now() + options.ttlMs });
    this.#sweepValues();
  }

  async delete(key: string): Promise<void> {
    this.#values.delete(key);
  }

  async lock(key: string, options: SessionStoreLockOptions): Promise<SessionStoreLock | undefined> {
    const deadline = Date.now() + options.waitMs;
    for (;;) {
      if (options.abortSignal?.aborted)
        throw abortedError('Waiting for a lock', options.abortSignal);
      const held = this.#locks.get(key);
      const now = Date.now();
      if (held === undefined || held.expiresAt <= now) {
        const token = randomUUID();
        this.#locks.set(key, { token, expiresAt: now + options.ttlMs });
        return this.#handle(key, token);
      }
      const waitMs = Math.min(deadline, held.expiresAt) - now;
      if (deadline <= now) return undefined;
      await this.#waitForRelease(key, waitMs, options.abortSignal);
    }
  }

  #handle(key: string, token: string): SessionStoreLock {
    return {
      extend: async (ttlMs) => {
        const held = this.#locks.get(key);
        if (held?.token !== token || held.expiresAt <= Date.now()) return false;
        held.expiresAt = Date.now() + ttlMs;
        return true;
      },
      release: async () => {
        if (this.#locks.get(key)?.token !== token) return;
        this.#locks.delete(key);
        for (const wake of this.#lockWaiters.get(key) ?? []) wake();
      },
    };
  }

  #waitForRelease(key: string, waitMs: number, abortSignal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.#lockWaiters.get(key);
      if (waiters === undefined) {
        waiters = new Set();
        this.#lockWaiters.set(key, waiters);
      }
      const set = waiters;
      const wake = () => {
        clearTimeout(timer);
        abortSignal?.removeEventListener('abort', wake);
        set.delete(wake);
        if (set.size === 0 && this.#lockWaiters.get(key) === set) this.#lockWaiters.delete(key);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(1, waitMs));
      abortSignal?.addEventListener('abort', wake, { once: true });
      set.add(wake);
    });
  }

  async claimSlot(group: string, member: string, options: SlotClaim): Promise<SlotClaimResult> {
    const members = this.#group(group);
    const now = Date.now();
    if (options.replaces !== undefined) members.delete(options.replaces);
    const expiresAt = now + options.ttlMs;
    if (members.has(member)) {
      members.set(member, expiresAt);
      return { claimed: true };
    }
    let live = 0;
    for (const memberExpiresAt of members.values()) if (memberExpiresAt > now) live++;
    if (live < options.limit) {
      members.set(member, expiresAt);
      return { claimed: true };
    }
    const prefix = options.preemptPrefix;
    if (prefix !== undefined) {
      for (const [other, otherExpiresAt] of members) {
        if (otherExpiresAt > now && other.startsWith(prefix)) {
          members.delete(other);
          members.set(member, expiresAt);
          return { claimed: true, preempted: other };
        }
      }
    }
    return { claimed: false };
  }

  async renewSlot(group: string, member: string, options: { ttlMs: number }): Promise<boolean> {
    const members = this.#group(group);
    const expiresAt = members.get(member);
    if (expiresAt === undefined || expiresAt <= Date.now()) return false;
    members.set(member, Date.now() + options.ttlMs);
    return true;
  }

  async releaseSlot(group: string, member: string): Promise<void> {
    this.#slots.get(group)?.delete(member);
  }

  async expiredSlots(group: string, options: { limit: number }): Promise<string[]> {
    const now = Date.now();
    return [...this.#group(group)]
      .filter(([, expiresAt]) => expiresAt <= now)
      .sort((first, second) => first[1] - second[1])
      .slice(0, options.limit)
      .map(([member]) => member);
  }

  rateLimiter(name: string, options: StoreRateLimiterOptions): StoreRateLimiter {
    let bucket = this.#limiters.get(name);
    if (bucket === undefined) {
      bucket = new TokenBucket({ ratePerSecond: options.ratePerSecond, burst: options.burst });
      this.#limiters.set(name, bucket);
    }
    const shared = bucket;
    return { take: (abortSignal) => shared.take(abortSignal, options.onWait) };
  }

  #group(group: string): Map<string, number> {
    let members = this.#slots.get(group);
    if (members === undefined) {
      members = new Map();
      this.#slots.set(group, members);
    }
    return members;
  }

  /** Drops expired values now and then, so a long-lived store does not grow without bound. */
  #sweepValues(): void {
    if (this.#values.size % 256 !== 0) return;
    const now = Date.now();
    for (const [key, entry] of this.#values) if (entry.expiresAt <= now) this.#values.delete(key);
  }
}
