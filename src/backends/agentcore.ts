import { emitWarning } from 'node:process';
import {
  BedrockAgentCoreClient,
  type BedrockAgentCoreClientConfig,
} from '@aws-sdk/client-bedrock-agentcore';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { parseOptions } from '../internal/parse-options.js';
import { objectWithMethod } from '../internal/plugin-schema.js';
import { AgentCoreSession } from './agentcore/agentcore-session.js';
import type { SandboxBackend } from './types.js';

export { AgentCoreSession } from './agentcore/agentcore-session.js';
export type {
  AgentCoreRunResult,
  AgentCoreTaskInfo,
  AgentCoreTaskStatus,
  CommandResult,
  RunLongCommandOptions,
  SessionFileContent,
  SessionFileEntry,
  TaskCallOptions,
} from './agentcore/agentcore-session-types.js';
export { isTaskFinished } from './agentcore/agentcore-session-types.js';

/** The most the service allows: 8 hours. */
export const MAX_SESSION_TIMEOUT_SECONDS = 28_800;

export interface AgentCoreBackendOptions {
  /** AWS region of the code interpreter. Ignored when `client` is given. @default process.env.AWS_REGION, else 'us-west-2' */
  region?: string;
  /** Code interpreter to start sessions on: the AWS-managed one or the id of your own. @default 'aws.codeinterpreter.v1' */
  identifier?: string;
  /**
   * Seconds a session lives before the service stops it, counted from its start (1 to 28800;
   * AWS recommends at least 60, and a smaller value is warned about). A pool replaces sessions a
   * little before this. Sessions cost money while they run: `close()` stops them early. @default 900
   */
  sessionTimeoutSeconds?: number;
  /** Name shown for the sessions in the console and in ListCodeInterpreterSessions. @default undefined (no name) */
  sessionName?: string;
  /** Your own client (region, credentials, endpoint and its retry settings are then yours). @default a client built from `region` and `clientConfig` */
  client?: BedrockAgentCoreClient;
  /** Settings for the client built here: `endpoint`, `credentials`, ... @default { region, maxAttempts: 1 } (sandplot retries itself) */
  clientConfig?: BedrockAgentCoreClientConfig;
  /** Retries of a throttled or failed (5xx) call before giving up. @default 3 */
  maxRetries?: number;
  /** Ceiling of the first retry's random pause; it doubles with each retry. @default 100 */
  retryBaseDelayMs?: number;
  /** Largest pause between retries. @default 5000 */
  retryMaxDelayMs?: number;
  /**
   * Stop sessions still open when the process runs out of work ('beforeExit') or receives SIGTERM
   * or SIGINT. On a signal the stops get at most 3 s, then the signal ends the process as usual;
   * when the application listens to the signal itself, the sessions are stopped and exiting is
   * left to it. Best effort: `process.exit()`, SIGKILL or a crash skip it. @default true
   */
  stopOnExit?: boolean;
}

const agentCoreBackendOptionsSchema = z
  .object({
    region: z
      .string()
      .min(1)
      .default(() => process.env.AWS_REGION ?? 'us-west-2'),
    identifier: z.string().min(1).default('aws.codeinterpreter.v1'),
    sessionTimeoutSeconds: z.number().int().min(1).max(MAX_SESSION_TIMEOUT_SECONDS).default(900),
    sessionName: z.string().min(1).max(100).optional(),
    client: objectWithMethod<BedrockAgentCoreClient>(
      'send',
      'expected a BedrockAgentCoreClient',
    ).optional(),
    clientConfig: z
      .custom<BedrockAgentCoreClientConfig>(
        (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
        { message: 'expected a BedrockAgentCoreClientConfig object' },
      )
      .optional(),
    maxRetries: z.number().int().min(0).max(20).default(3),
    retryBaseDelayMs: z.number().min(0).default(100),
    retryMaxDelayMs: z.number().min(0).default(5_000),
    stopOnExit: z.boolean().default(true),
  })
  .strict()
  .superRefine((options, context) => {
    if (options.client !== undefined && options.clientConfig !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['client'],
        message:
          'pass either `client` or `clientConfig`, not both (clientConfig only configures the client built here)',
      });
    }
  });

/**
 * The AgentCore backend: its sessions are `AgentCoreSession`s, with shell commands, long-running
 * tasks and file listings beside what every backend session has.
 */
export interface AgentCoreBackend extends SandboxBackend<AgentCoreSession> {
  readonly name: 'agentcore';
  /**
   * Goes on with the existing session `sessionId` (started by another process, or detached)
   * instead of starting one: GetCodeInterpreterSession tells when it expires. A session that is
   * gone already is replaced at the first call, which then says `sessionRestarted: true`.
   */
  attachSession(
    sessionId: string,
    options?: { abortSignal?: AbortSignal },
  ): Promise<AgentCoreSession>;
  /** `sessionTimeoutSeconds` in milliseconds. */
  readonly sessionLifetimeMs: number;
}

/**
 * Runs CodeSandbox on Amazon Bedrock AgentCore Code Interpreter. Each sandbox session is one
 * AgentCore session, started by the first call and stopped by `close()`.
 */
export function agentCoreBackend(options: AgentCoreBackendOptions = {}): AgentCoreBackend {
  const {
    region,
    client: givenClient,
    clientConfig,
    ...config
  } = parseOptions(agentCoreBackendOptionsSchema, options, 'agentCoreBackend options');
  if (config.sessionTimeoutSeconds < 60) {
    emitWarning(
      `agentCoreBackend: sessionTimeoutSeconds is ${config.sessionTimeoutSeconds}; AWS recommends at least 60, and a session this short may end during a call.`,
      { code: 'SANDPLOT_SHORT_SESSION_TIMEOUT' },
    );
  }
  let client = givenClient;
  const newSession = (): AgentCoreSession => {
    // Built on first use so that merely configuring the backend needs no credentials.
    client ??= new BedrockAgentCoreClient({ region, maxAttempts: 1, ...clientConfig });
    return new AgentCoreSession({ client, ...config, sessionName: config.sessionName });
  };
  const prepared = async (
    session: AgentCoreSession,
    prepare: () => Promise<void>,
  ): Promise<AgentCoreSession> => {
    try {
      await prepare();
    } catch (error) {
      await session.close().catch(() => undefined);
      throw error;
    }
    return session;
  };
  return {
    name: 'agentcore',
    sessionLifetimeMs: config.sessionTimeoutSeconds * 1000,
    createSession(sessionOptions = {}) {
      const session = newSession();
      return prepared(session, () => session.start(sessionOptions.abortSignal));
    },
    attachSession(sessionId, sessionOptions = {}) {
      if (typeof sessionId !== 'string' || sessionId.length === 0) {
        return Promise.reject(
          new ConfigError('agentCoreBackend.attachSession: sessionId must be a non-empty string.'),
        );
      }
      const session = newSession();
      return prepared(session, () => session.attach(sessionId, sessionOptions.abortSignal));
    },
  };
}
