import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionStoreError } from '../../../src/errors/index.js';
import { memorySessionStore } from '../../../src/stores/memory.js';
import { type RedisSessionStore, redisSessionStore } from '../../../src/stores/redis.js';
import type { SessionStore } from '../../../src/stores/types.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { sandplotRejection as caught } from '../../support/rejection.js';

let redis: RedisServer;
const opened: RedisSessionStore[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
});

afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  await redis.close();
});

let prefixes = 0;
const stores: [string, () => SessionStore][] = [
  ['memorySessionStore', () => memorySessionStore()],
  [
    'redisSessionStore',
    () => {
      // A prefix per test keeps them apart in one Redis.
      const store = redisSessionStore({ url: redis.url, keyPrefix: `test${prefixes++}:` });
      opened.push(store);
      return store;
    },
  ],
];

describe.each(stores)('%s', (_name, makeStore) => {
  it('gets, sets with an expiry, and deletes values', async () => {
    const store = makeStore();
    expect(await store.get('a')).toBeUndefined();
    await store.set('a', 'one', { ttlMs: 10_000 });
    await store.set('short', 'gone soon', { ttlMs: 50 });
    expect(await store.get('a')).toBe('one');
    await delay(120);
    expect(await store.get('short')).toBeUndefined();
    await store.delete('a');
    await store.delete('never-set');
    expect(await store.get('a')).toBeUndefined();
  });

  it('gives a lock to one holder at a time, waits for it, and lets it expire', async () => {
    const store = makeStore();
    const first = await store.lock('l', { ttlMs: 10_000, waitMs: 0 });
    expect(first).toBeDefined();
    expect(await store.lock('l', { ttlMs: 10_000, waitMs: 0 })).toBeUndefined();
    // A waiter gets it once the holder lets go.
    const waiting = store.lock('l', { ttlMs: 300, waitMs: 2000 });
    await delay(50);
    await first?.release();
    const second = await waiting;
    expect(second).toBeDefined();
    // The released handle cannot take it back, nor extend the new holder's lock.
    expect(await first?.extend(10_000)).toBe(false);
    await first?.release();
    expect(await store.lock('l', { ttlMs: 300, waitMs: 0 })).toBeUndefined();
    // Extending keeps it; once it expires, another caller takes it.
    expect(await second?.extend(300)).toBe(true);
    const started = Date.now();
    const third = await store.lock('l', { ttlMs: 300, waitMs: 2000 });
    expect(third).toBeDefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(await second?.extend(300)).toBe(false);
  });

  it('counts slots up to a limit, renews, releases, lists expired ones, and hands places over', async () => {
    const store = makeStore();
    const claim = (member: string, extra: object = {}) =>
      store.claimSlot('g', member, { limit: 2, ttlMs: 10_000, ...extra });
    expect(await claim('c:a')).toEqual({ claimed: true });
    expect(await claim('c:a')).toEqual({ claimed: true });
    expect(await claim('w:1')).toEqual({ claimed: true });
    expect(await claim('c:b')).toEqual({ claimed: false });
    // A warm member gives up its place when asked to.
    expect(await claim('c:b', { preemptPrefix: 'w:' })).toEqual({
      claimed: true,
      preempted: 'w:1',
    });
    expect(await store.renewSlot('g', 'w:1', { ttlMs: 10_000 })).toBe(false);
    // A hand-over takes the place of the member it replaces even when the group is full.
    expect(await claim('c:c', { replaces: 'c:b' })).toEqual({ claimed: true });
    expect(await store.renewSlot('g', 'c:b', { ttlMs: 10_000 })).toBe(false);
    await store.releaseSlot('g', 'c:a');
    expect(await claim('c:d', { ttlMs: 50 })).toEqual({ claimed: true });
    await delay(120);
    // Expired members stop counting, are listed until released, and cannot be renewed.
    expect(await store.expiredSlots('g', { limit: 10 })).toEqual(['c:d']);
    expect(await store.renewSlot('g', 'c:d', { ttlMs: 10_000 })).toBe(false);
    expect(await claim('c:e')).toEqual({ claimed: true });
    await store.releaseSlot('g', 'c:d');
    expect(await store.expiredSlots('g', { limit: 10 })).toEqual([]);
  });

  it('shares a rate limiter: any second sees at most rate + burst takes', async () => {
    const store = makeStore();
    let waits = 0;
    const options = { ratePerSecond: 10, burst: 1, onWait: () => waits++ };
    // Two limiters of one name, as two processes would have.
    const limiters = [store.rateLimiter?.('r', options), store.rateLimiter?.('r', options)];
    const times: number[] = [];
    const started = performance.now();
    await Promise.all(
      limiters.flatMap((limiter) =>
        Array.from({ length: 8 }, async () => {
          await limiter?.take();
          times.push(performance.now() - started);
        }),
      ),
    );
    times.sort((first, second) => first - second);
    // rate + burst = 11, plus one: a take is timed when its caller runs, which a busy event loop
    // delays. Two limiters each on their own would let about 16 through in one second.
    for (const time of times) {
      expect(
        times.filter((other) => other >= time && other < time + 1000).length,
      ).toBeLessThanOrEqual(12);
    }
    // 16 takes at 10/s after a burst of 1: about 1.5 s (1.3 s at least with Redis, whose
    // windows start on the clock's tenths of a second); each on its own: about 0.7 s.
    expect(times.at(-1)).toBeGreaterThan(1200);
    expect(waits).toBeGreaterThan(0);
  });
});

describe('redisSessionStore', () => {
  it('fails with a retryable STORE_UNAVAILABLE while Redis is away, and works again after', async () => {
    const store = redisSessionStore({ url: redis.url, keyPrefix: 'away:' });
    opened.push(store);
    await store.set('k', 'v', { ttlMs: 10_000 });
    await redis.stop();
    const error = await caught(store.get('k'));
    expect(SessionStoreError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', isRetryable: true });
    expect(error.message).toMatch(/Redis session store could not read a value/);
    await redis.start();
    let value: string | undefined | 'failed' = 'failed';
    for (let attempt = 0; attempt < 50 && value === 'failed'; attempt++) {
      value = await store.get('k').catch(async () => {
        await delay(100);
        return 'failed' as const;
      });
    }
    // A restarted Redis without persistence is empty.
    expect(value).toBeUndefined();
  });

  it('fails at once with STORE_UNAVAILABLE when Redis cannot be reached at all', async () => {
    const store = redisSessionStore({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 300 });
    opened.push(store);
    const error = await caught(store.lock('x', { ttlMs: 1000, waitMs: 0 }));
    expect(error.code).toBe('STORE_UNAVAILABLE');
  });

  it('rejects options without url or client with a ConfigError naming them', () => {
    expect(() => redisSessionStore({})).toThrow(/url.*client/);
    expect(() => redisSessionStore({ url: 'redis://x', keyPrfix: 'a' } as never)).toThrow(
      /keyPrfix/,
    );
  });
});
