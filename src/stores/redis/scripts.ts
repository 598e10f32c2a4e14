// Lua scripts, each run atomically by Redis. Times come from the server's clock (TIME), so the
// clocks of the processes sharing the store do not matter.

const NOW = `local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`;

/** KEYS[1] lock; ARGV token, ttlMs → 1 when still held and extended, else 0. */
export const EXTEND_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

/** KEYS[1] lock; ARGV token → deletes the lock only when this token still holds it. */
export const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * KEYS[1] slot group (sorted set, score = expiry in ms); ARGV member, limit, ttlMs, replaces,
 * preemptPrefix ('' for none) → { claimed (0|1), preempted member or '' }.
 */
export const CLAIM_SLOT = `${NOW}
local group, member, limit, ttl = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if ARGV[4] ~= '' then redis.call('ZREM', group, ARGV[4]) end
if redis.call('ZSCORE', group, member) then
  redis.call('ZADD', group, now + ttl, member)
  return {1, ''}
end
if redis.call('ZCOUNT', group, '(' .. now, '+inf') < limit then
  redis.call('ZADD', group, now + ttl, member)
  return {1, ''}
end
local prefix = ARGV[5]
if prefix ~= '' then
  for _, other in ipairs(redis.call('ZRANGEBYSCORE', group, '(' .. now, '+inf')) do
    if string.sub(other, 1, #prefix) == prefix then
      redis.call('ZREM', group, other)
      redis.call('ZADD', group, now + ttl, member)
      return {1, other}
    end
  end
end
return {0, ''}`;

/** KEYS[1] slot group; ARGV member, ttlMs → 1 when renewed, 0 when the member is not live. */
export const RENEW_SLOT = `${NOW}
local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
if expiry and tonumber(expiry) > now then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  return 1
end
return 0`;

/** KEYS[1] slot group; ARGV limit → the members whose expiry passed, oldest first. */
export const EXPIRED_SLOTS = `${NOW}
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))`;
