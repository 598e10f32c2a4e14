import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { z } from 'zod';
import { errorMessage, SessionStoreError } from '../errors/index.js';
import { throwIfAborted } from '../internal/abort.js';
import { parseOptions } from '../internal/parse-options.js';
import { objectWithMethod } from '../internal/plugin-schema.js';
import { sleep } from '../internal/sleep.js';
import { redisRateLimiter } from './redis/redis-rate-limiter.js';
import {
  CLAIM_SLOT,
  EXPIRED_SLOTS,
  EXTEND_LOCK,
  RELEASE_LOCK,
  RENEW_SLOT,
} from './redis/scripts.js';
import type {
  SessionStore,
  SessionStoreLock,
  SessionStoreLockOptions,
  SlotClaim,
  SlotClaimResult,
  StoreRateLimiter,
  StoreRateLimiterOptions,
} from './types.js';

/** The part of a node-redis client (`createClient()` from `redis`, v5 or v6) the store uses. */
export interface RedisClientLike {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  sendCommand(args: string[]): Promise<unknown>;
}

export interface RedisSessionStoreOptions {
  /** Where Redis listens, e.g. `redis://10.0.0.5:6379` or `rediss://user:password@host:6380`. Give this or `client`. */
  url?: string;
  /**
   * Your own node-redis client instead of `url` (TLS, cluster, credentials providers, your own
   * reconnect strategy). The store connects it when it is not open, and never closes it. Turn its
   * offline queue off (`disableOfflineQueue: true`) so calls fail at once while Redis is away.
   */
  client?: RedisClientLike;
  /** Put before every key, so several applications can share one Redis. @default 'sandplot:' */
  keyPrefix?: string;
  /** Longest wait for the first connection (for `url`). @default 5000 */
  connectTimeoutMs?: number;
  /** Longest wait for one answer from Redis (for `url`). @default 2000 */
  commandTimeoutMs?: number;
}

/** A session store in Redis; `close()` (or `await using`) closes the client it made from `url`. */
export interface RedisSessionStore extends SessionStore, AsyncDisposable {
  readonly name: 'redis';
  close(): Promise<void>;
}

const redisSessionStoreOptionsSchema = z
  .strictObject({
    url: z.string().min(1).optional(),
    client: objectWithMethod<RedisClientLike>(
      'sendCommand',
      'expected a node-redis client (createClient() from redis)',
    ).optional(),
    keyPrefix: z.string().default('sandplot:'),
    connectTimeoutMs: z.number().int().positive().default(5000),
    commandTimeoutMs: z.number().int().positive().default(2000),
  })
  .superRefine((options, context) => {
    if ((options.url === undefined) === (options.client === undefined)) {
      context.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'give either `url` or `client` (exactly one)',
      });
    }
  });

/**
 * A session store in Redis, for sandbox pools in several processes: `createSandboxPool({
 * backend, sessionStore: redisSessionStore({ url }) })` in each. Uses the `redis` package
 * (node-redis, an optional peer dependency) and rate-limiter-flexible for the shared rate limits.
 * Failures reject with a `SessionStoreError` (`STORE_UNAVAILABLE`, retryable).
 */
export function redisSessionStore(options: RedisSessionStoreOptions): RedisSessionStore {
  const resolved = parseOptions(
    redisSessionStoreOptionsSchema,
    options,
    'redisSessionStore options',
  );
  const client =
    resolved.client ??
    ownClient(resolved.url as string, resolved.connectTimeoutMs, resolved.commandTimeoutMs);
  return new RedisStore(
    client,
    resolved.client === undefined,
    resolved.keyPrefix,
    resolved.connectTimeoutMs,
  );
}

/** A node-redis client for `url`, which the store connects on first use and closes. */
function ownClient(
  url: string,
  connectTimeoutMs: number,
  commandTimeoutMs: number,
): RedisClientLike {
  const client = createClient({
    url,
    // Calls fail at once while Redis is away instead of waiting in a queue: the pool turns
    // that into a retryable error, and the client reconnects in the background.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: connectTimeoutMs,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
    },
    commandOptions: { timeout: commandTimeoutMs },
  });
  // Errors reach the callers through their commands; an 'error' event nobody listens to would
  // end the process.
  client.on('error', () => {});
  return client as unknown as RedisClientLike;
}

class RedisStore implements RedisSessionStore {
  readonly name = 'redis';
  readonly #client: RedisClientLike;
  /** The store made the client (from `url`), so it closes it; a caller's client stays open. */
  readonly #owned: boolean;
  readonly #prefix: string;
  readonly #connectTimeoutMs: number;
  #connecting: Promise<unknown> | undefined;
  #closed = false;

  constructor(client: RedisClientLike, owned: boolean, prefix: string, connectTimeoutMs: number) {
    this.#client = client;
    this.#owned = owned;
    this.#prefix = prefix;
    this.#connectTimeoutMs = connectTimeoutMs;
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.#command('read a value', ['GET', this.#prefix + key]);
    return value === null || value === undefined ? undefined : String(value);
  }

  async set(key: string, value: string, options: { ttlMs: number }): Promise<void> {
    await this.#command('write a value', [
      'SET',
      this.#prefix + key,
      value,
      'PX',
      String(Math.max(1, Math.ceil(options.ttlMs))),
    ]);
  }

  async delete(key: string): Promise<void> {
    await this.#command('delete a value', ['DEL', this.#prefix + key]);
  }

  async lock(key: string, options: SessionStoreLockOptions): Promise<SessionStoreLock | undefined> {
    const lockKey = `${this.#prefix}lock:${key}`;
    const token = randomUUID();
    const deadline = Date.now() + options.waitMs;
    const ttl = String(Math.max(1, Math.ceil(options.ttlMs)));
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(options.abortSignal, 'Waiting for a conversation lock');
      const taken = await this.#command('take a lock', ['SET', lockKey, token, 'PX', ttl, 'NX']);
      if (taken !== null && taken !== undefined) return this.#handle(lockKey, token);
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      // Short pauses first (the holder's call may be about to end), then up to 100 ms.
      const pause = Math.min(left, 5 * 1.5 ** Math.min(attempt, 8), 100) * (0.5 + Math.random());
      await sleep(pause, options.abortSignal, 'Waiting for a conversation lock');
    }
  }

  #handle(lockKey: string, token: string): SessionStoreLock {
    return {
      extend: async (ttlMs) =>
        Number(
          await this.#script(
            'extend a lock',
            EXTEND_LOCK,
            [lockKey],
            [token, String(Math.ceil(ttlMs))],
          ),
        ) === 1,
      release: async () => {
        await this.#script('release a lock', RELEASE_LOCK, [lockKey], [token]);
      },
    };
  }

  async claimSlot(group: string, member: string, options: SlotClaim): Promise<SlotClaimResult> {
    const reply = (await this.#script(
      'count sessions',
      CLAIM_SLOT,
      [this.#slotKey(group)],
      [
        member,
        String(options.limit),
        String(Math.ceil(options.ttlMs)),
        options.replaces ?? '',
        options.preemptPrefix ?? '',
      ],
    )) as [unknown, unknown];
    const preempted = String(reply[1] ?? '');
    return Number(reply[0]) === 1
      ? preempted === ''
        ? { claimed: true }
        : { claimed: true, preempted }
      : { claimed: false };
  }

  async renewSlot(group: string, member: string, options: { ttlMs: number }): Promise<boolean> {
    const renewed = await this.#script(
      'renew a session slot',
      RENEW_SLOT,
      [this.#slotKey(group)],
      [member, String(Math.ceil(options.ttlMs))],
    );
    return Number(renewed) === 1;
  }

  async releaseSlot(group: string, member: string): Promise<void> {
    await this.#command('release a session slot', ['ZREM', this.#slotKey(group), member]);
  }

  async expiredSlots(group: string, options: { limit: number }): Promise<string[]> {
    const members = await this.#script(
      'list expired session slots',
      EXPIRED_SLOTS,
      [this.#slotKey(group)],
      [String(options.limit)],
    );
    return Array.isArray(members) ? members.map(String) : [];
  }

  rateLimiter(name: string, options: StoreRateLimiterOptions): StoreRateLimiter {
    const limiter = redisRateLimiter(this.#client, this.#prefix, name, options, (error) =>
      this.#failure('take a rate limiter token', error),
    );
    return {
      take: async (abortSignal) => {
        await this.#connected('take a rate limiter token');
        return limiter.take(abortSignal);
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#owned || !this.#client.isOpen) return;
    const client = this.#client as unknown as {
      close?: () => Promise<unknown>;
      quit?: () => Promise<unknown>;
    };
    await (client.close ?? client.quit)?.call(client).catch(() => undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #slotKey(group: string): string {
    return `${this.#prefix}slots:${group}`;
  }

  #script(what: string, script: string, keys: string[], args: string[]): Promise<unknown> {
    return this.#command(what, ['EVAL', script, String(keys.length), ...keys, ...args]);
  }

  async #command(what: string, args: string[]): Promise<unknown> {
    const client = await this.#connected(what);
    try {
      return await client.sendCommand(args);
    } catch (error) {
      throw this.#failure(what, error);
    }
  }

  /** The client, connected on first use; afterwards it reconnects by itself. */
  async #connected(what: string): Promise<RedisClientLike> {
    if (this.#closed) {
      throw new SessionStoreError(
        'redis',
        `The Redis session store was closed; it cannot ${what}.`,
      );
    }
    const client = this.#client;
    if (client.isReady) return client;
    if (!client.isOpen) {
      this.#connecting ??= client.connect().finally(() => {
        this.#connecting = undefined;
      });
    }
    // Open but not ready and not connecting for the first time: Redis went away and the client
    // reconnects in the background; the command fails at once (no offline queue).
    if (this.#connecting === undefined) return client;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#connecting,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no connection within ${this.#connectTimeoutMs} ms`)),
            this.#connectTimeoutMs,
          );
        }),
      ]);
    } catch (error) {
      throw this.#failure(what, error);
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  #failure(what: string, error: unknown): SessionStoreError {
    if (SessionStoreError.isInstance(error)) return error;
    return new SessionStoreError(
      'redis',
      `The Redis session store could not ${what}: ${errorMessage(error)}. The call can be tried again once Redis answers (check redisSessionStore's url or client).`,
      { cause: error },
    );
  }
}
