import { z } from 'zod';
import type { SandboxBackend } from '../../backends/types.js';
import { ConfigError } from '../../errors/index.js';
import { parseOptions } from '../../internal/parse-options.js';
import { objectWithMethod } from '../../internal/plugin-schema.js';
import type { ImageSink } from '../../sinks/types.js';
import type { SessionStore } from '../../stores/types.js';
import type { CaptureOptions, OutputFileOptions } from '../../types/index.js';
import { sandboxBackendSchema } from '../code-sandbox-options.js';

/** Token-bucket limits on the calls the pool's sandboxes make to the backend. */
export interface PoolRateLimits {
  /** Session starts per second, over the whole pool (AgentCore allows 30 per operation). @default 25 */
  sessionStartsPerSecond?: number;
  /** Calls into sessions per second (run code, write, read, remove files), over the whole pool. @default 25 */
  invocationsPerSecond?: number;
  /** Session stops per second, over the whole pool. @default 25 */
  sessionStopsPerSecond?: number;
  /**
   * Calls each limiter lets through at once before spacing them out. Any one-second window sees at
   * most `burst + rate` calls, so keep the sum under the service's quota. @default 1
   */
  burst?: number;
}

export interface SandboxPoolOptions {
  /** Where the code runs: `agentCoreBackend()`, `localBackend()`, ... Shared by every sandbox. */
  backend: SandboxBackend;
  /** Where figures are stored. @default base64Sink() */
  imageSink?: ImageSink;
  /** How figures are captured, for every sandbox. @default CodeSandbox's defaults */
  capture?: CaptureOptions;
  /** Which files the code writes come back, for every sandbox. @default CodeSandbox's defaults */
  outputFiles?: OutputFileOptions;
  /** Time one execution may take before it is interrupted. @default 120000 */
  timeoutMs?: number;
  /** Largest accepted code, in UTF-8 bytes, for every sandbox. @default CodeSandbox's (1048576, 1 MiB) */
  maxCodeBytes?: number;
  /**
   * UTF-8 bytes of stdout, and separately of stderr, kept in each `ExecutionResult` (at least
   * 1024); see CodeSandbox's `maxOutputBytes`. @default CodeSandbox's (10485760, 10 MiB)
   */
  maxOutputBytes?: number;
  /**
   * Sandboxes (sessions) held at once. At the limit, a new conversation evicts the least recently
   * used idle sandbox, or waits in the queue. Keep it at or under the account's quota of
   * concurrent sessions. @default 20
   */
  maxSessions?: number;
  /** A sandbox with no call for this long is stopped; its conversation's next call starts a new one. @default 300000 (5 minutes) */
  idleTimeoutMs?: number;
  /**
   * Age at which a sandbox's session is replaced, between calls (never during one); the next
   * result says `sessionRestarted`. Keep it under the backend's session lifetime (AgentCore:
   * `sessionTimeoutSeconds`, 900 s by default).
   * @default the backend's `sessionLifetimeMs` less a minute (or less a tenth, when shorter than
   * ten minutes): 840000 for AgentCore's default 900 s; no limit for backends whose sessions live
   * until closed
   */
  maxSessionAgeMs?: number;
  /**
   * How long a sandbox must have been idle before a waiting conversation may evict it, so a
   * conversation between two quick calls (the model thinking) keeps its variables. @default 5000
   */
  evictionGraceMs?: number;
  /** Conversations that may wait for a sandbox; one more is refused with `POOL_QUEUE_FULL`. @default 1000 */
  maxQueueLength?: number;
  /** Longest wait for a sandbox before the call fails with `POOL_QUEUE_TIMEOUT`. @default 60000 */
  queueTimeoutMs?: number;
  /**
   * Limits on backend calls, shared by the whole pool; with a shared `sessionStore`, by every
   * pool that uses the store (give each the same limits). @default { sessionStartsPerSecond: 25, invocationsPerSecond: 25, sessionStopsPerSecond: 25, burst: 1 }
   */
  rateLimits?: PoolRateLimits;
  /**
   * Where pools in several processes share which conversation owns which session, the locks that
   * run one call at a time per conversation, the count of sessions (`maxSessions` then counts
   * every process's) and the rate limits: `redisSessionStore({ url })` from `sandplot/redis`, or
   * `memorySessionStore()` for pools in one process. A conversation's next call then goes on in
   * its session from any process. Needs a backend that can attach to a session (AgentCore); see
   * docs/scaling.md.
   * @default none: the pool keeps all of it to itself, in memory
   */
  sessionStore?: SessionStore;
  /**
   * Sessions kept started and ready (prelude installed, pyplot imported) for new conversations,
   * so that their first call does not wait for a session start; each one handed out is replaced
   * in the background. They count against `maxSessions` (a waiting conversation gets one first),
   * are never shared between conversations, cost what running sessions cost, and are stopped by
   * `closeAll()`. @default 0
   */
  warmSessions?: number;
  /**
   * With a `sessionStore`: how long a conversation's lock outlives a process that died holding
   * it. A live holder renews it every third of this. @default 10000
   */
  lockExpiryMs?: number;
  /** Tool name on the OpenTelemetry span of each execution. @default 'execute_python' */
  toolName?: string;
  /** Make an OpenTelemetry span per execution (a no-op without `@opentelemetry/api` and an SDK). @default true */
  tracing?: boolean;
}

const positive = z.number().positive();
const positiveInteger = z.number().int().positive();
const nonnegativeInteger = z.number().int().nonnegative();

/**
 * `SandboxPoolOptions` with each default written once. `imageSink`, `capture`, `outputFiles`,
 * `timeoutMs`, `maxCodeBytes` and `maxOutputBytes` are CodeSandbox options, defaulted by
 * CodeSandbox itself.
 */
const sandboxPoolOptionsSchema = z.strictObject({
  backend: sandboxBackendSchema('expected a backend such as agentCoreBackend() or localBackend()'),
  imageSink: z.custom<ImageSink>().optional(),
  capture: z.custom<CaptureOptions>().optional(),
  outputFiles: z.custom<OutputFileOptions>().optional(),
  timeoutMs: positiveInteger.optional(),
  maxCodeBytes: positiveInteger.optional(),
  maxOutputBytes: positiveInteger.min(1024).optional(),
  maxSessions: positiveInteger.default(20),
  idleTimeoutMs: positiveInteger.default(300_000),
  maxSessionAgeMs: positiveInteger.optional(),
  evictionGraceMs: nonnegativeInteger.default(5000),
  maxQueueLength: nonnegativeInteger.default(1000),
  queueTimeoutMs: positiveInteger.default(60_000),
  rateLimits: z
    .strictObject({
      sessionStartsPerSecond: positive.default(25),
      invocationsPerSecond: positive.default(25),
      sessionStopsPerSecond: positive.default(25),
      burst: positiveInteger.default(1),
    })
    .prefault({}),
  sessionStore: objectWithMethod<SessionStore>(
    'claimSlot',
    'expected a session store such as redisSessionStore({ url }) or memorySessionStore()',
  ).optional(),
  warmSessions: nonnegativeInteger.default(0),
  lockExpiryMs: z.number().int().min(100).default(10_000),
  toolName: z.string().min(1).default('execute_python'),
  tracing: z.boolean().default(true),
});

/** The pool's options with every default filled in; `maxSessionAgeMs` undefined: no limit. */
export type ResolvedPoolOptions = z.output<typeof sandboxPoolOptionsSchema>;

/** Checks the options and fills in the defaults; throws a `ConfigError` that names the option. */
export function resolvePoolOptions(options: SandboxPoolOptions): ResolvedPoolOptions {
  const resolved = parseOptions(sandboxPoolOptionsSchema, options, 'createSandboxPool options');
  resolved.maxSessionAgeMs ??= defaultMaxSessionAgeMs(resolved.backend.sessionLifetimeMs);
  if (resolved.sessionStore !== undefined && !resolved.backend.attachSession) {
    throw new ConfigError(
      `Invalid createSandboxPool options: \`sessionStore\` lets a conversation move between processes, but the ${resolved.backend.name} backend's sessions are processes of one host and cannot be attached from another. Leave \`sessionStore\` out (one process holds each conversation), or use agentCoreBackend().`,
    );
  }
  if (resolved.warmSessions > resolved.maxSessions) {
    throw new ConfigError(
      `Invalid createSandboxPool options: \`warmSessions\` (${resolved.warmSessions}) is more than \`maxSessions\` (${resolved.maxSessions}); warm sessions count against maxSessions.`,
    );
  }
  return resolved;
}

/** A minute (or a tenth of a short lifetime) before the backend's service ends a session. */
function defaultMaxSessionAgeMs(sessionLifetimeMs: number | undefined): number | undefined {
  if (sessionLifetimeMs === undefined) return undefined;
  return Math.max(1, Math.round(sessionLifetimeMs - Math.min(60_000, sessionLifetimeMs / 10)));
}
