/**
 * Where the sandbox pools of several processes keep what they share: which conversation owns
 * which backend session, the locks that keep two processes from using one conversation at once,
 * the count of sessions held, and the rate limits. `memorySessionStore()` keeps it in this
 * process (pools in one process share it); `redisSessionStore()` (from `sandplot/redis`) keeps it
 * in Redis, for replicas, functions and runtimes that each run their own pool.
 *
 * A store's failures (unreachable, an error answer) reject with a `SessionStoreError`
 * (`STORE_UNAVAILABLE`, retryable). Keys and slot groups are plain strings chosen by the pool; a
 * store may prefix them.
 */
export interface SessionStore {
  /** Names the store in errors and messages, e.g. `memory` or `redis`. */
  readonly name: string;
  /** The value of `key`, or undefined when there is none (never set, deleted or expired). */
  get(key: string): Promise<string | undefined>;
  /** Sets `key` to `value`; it expires `ttlMs` from now. */
  set(key: string, value: string, options: { ttlMs: number }): Promise<void>;
  /** Deletes `key`; a key that does not exist is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Takes the lock `key`, waiting up to `waitMs` while someone else holds it; undefined when it
   * is still held after that. The lock expires `ttlMs` after it was taken or last extended, so a
   * holder that died blocks others for `ttlMs` at most.
   */
  lock(key: string, options: SessionStoreLockOptions): Promise<SessionStoreLock | undefined>;
  /**
   * Adds `member` to the slot group `group` when it holds fewer than `limit` live members (or
   * renews it when it is there already). A member is live until `ttlMs` after it was claimed or
   * last renewed; expired members stay listed (`expiredSlots`) until released. See `SlotClaim`.
   */
  claimSlot(group: string, member: string, options: SlotClaim): Promise<SlotClaimResult>;
  /** Pushes the member's expiry to `ttlMs` from now; false (and nothing renewed) when it is not live. */
  renewSlot(group: string, member: string, options: { ttlMs: number }): Promise<boolean>;
  /** Removes the member; one that is not there is not an error. */
  releaseSlot(group: string, member: string): Promise<void>;
  /** Up to `limit` members whose time ran out without a renewal, oldest first. */
  expiredSlots(group: string, options: { limit: number }): Promise<string[]>;
  /**
   * A rate limiter shared by everyone who uses this store and `name`: any one-second window sees
   * at most `ratePerSecond + burst` takes (when `burst` is at most `ratePerSecond`). Without it,
   * each pool limits its own calls only.
   */
  rateLimiter?(name: string, options: StoreRateLimiterOptions): StoreRateLimiter;
}

export interface SessionStoreLockOptions {
  /** The lock expires this long after it was taken or last extended. */
  ttlMs: number;
  /** Longest wait while someone else holds it; 0 tries once. */
  waitMs: number;
  abortSignal?: AbortSignal;
}

/** A lock taken with `SessionStore.lock`. */
export interface SessionStoreLock {
  /** Pushes the expiry to `ttlMs` from now; false when the lock was lost (it expired). */
  extend(ttlMs: number): Promise<boolean>;
  /** Lets go; does nothing when the lock was lost already. */
  release(): Promise<void>;
}

export interface SlotClaim {
  /** Live members the group may hold. */
  limit: number;
  /** The member is live this long after the claim (or the last renewal). */
  ttlMs: number;
  /** A member removed in the same step, whose place the new one takes (a hand-over). */
  replaces?: string;
  /** When the group is full, a live member whose name starts with this gives up its place. */
  preemptPrefix?: string;
}

export interface SlotClaimResult {
  claimed: boolean;
  /** The member that gave up its place (`preemptPrefix`). */
  preempted?: string;
}

export interface StoreRateLimiterOptions {
  ratePerSecond: number;
  /** Takes let through at once before spacing starts. */
  burst: number;
  /** Called each time a caller has to wait. */
  onWait?: () => void;
}

/** A shared rate limiter: `take()` resolves when the caller may make one call. */
export interface StoreRateLimiter {
  take(abortSignal?: AbortSignal): Promise<void>;
}
