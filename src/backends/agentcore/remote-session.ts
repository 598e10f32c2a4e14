import { randomUUID } from 'node:crypto';
import {
  GetCodeInterpreterSessionCommand,
  InvokeCodeInterpreterCommand,
  StartCodeInterpreterSessionCommand,
  StopCodeInterpreterSessionCommand,
  type ToolArguments,
  type ToolName,
} from '@aws-sdk/client-bedrock-agentcore';
import { BackendError, ConfigError, SessionError } from '../../errors/index.js';
import { abortedError } from '../../internal/abort.js';
import { sleep } from '../../internal/sleep.js';
import type { AgentCoreSessionConfig } from './agentcore-session-types.js';
import { backoffDelayMs } from './backoff.js';
import { stopOnExit } from './exit-stop.js';
import {
  defaultSafety,
  type InvokeTool,
  mayMissSomethingElse,
  missingThing,
} from './invoke-outcomes.js';
import {
  classifyError,
  classifyInvokeFailure,
  isConnectionFailure,
  toSandplotError,
} from './service-errors.js';
import { type AttemptFailure, checkStarted } from './start-check.js';
import { readInvokeStream, StreamFailure, type StreamOutcome } from './stream-result.js';

export type { InvokeTool } from './invoke-outcomes.js';

interface ServiceSession {
  id: string;
  /** When the service will have expired it, by our clock (ms since the epoch). */
  expiresAt: number;
}

/**
 * Sessions are replaced this long before the service would expire them, so a call never races
 * the expiry: 5 s, or a tenth of a short timeout.
 */
function expiryMarginMs(sessionTimeoutSeconds: number): number {
  return Math.min(5_000, sessionTimeoutSeconds * 100);
}

/**
 * The service session behind an AgentCoreSession: started on first use (or attached to), replaced
 * when it expires or is lost (the lost one stopped first, best effort), stopped on close. Starts
 * and restarts happen once even when calls overlap. A call is repeated only when that cannot run
 * a tool twice: see `CallSafety`.
 */
export class RemoteSession {
  readonly #config: AgentCoreSessionConfig;
  #current: ServiceSession | undefined;
  #starting: Promise<ServiceSession> | undefined;
  #restarted = false;
  /** A service session was started or attached before: the next one is a replacement. */
  #hadSession = false;
  #replacementSetup: (() => Promise<void>) | undefined;
  #alive = true;
  #closing: Promise<void> | undefined;
  #stops: Promise<void>[] = [];
  readonly #unregister: () => void;

  constructor(config: AgentCoreSessionConfig) {
    this.#config = config;
    this.#unregister = config.stopOnExit ? stopOnExit(this) : () => {};
  }

  get id(): string {
    return this.#current?.id ?? '';
  }

  get isAlive(): boolean {
    return this.#alive;
  }

  async start(abortSignal?: AbortSignal): Promise<void> {
    await this.#ensureCurrent(abortSignal);
  }

  /**
   * Takes over the existing service session `sessionId` (GetCodeInterpreterSession tells its
   * expiry). One that is gone already (TERMINATED, unknown) is replaced by a new session at the
   * first call, which then reports `sessionRestarted`.
   */
  async attach(sessionId: string, abortSignal?: AbortSignal): Promise<void> {
    const state = await this.#describe(sessionId, abortSignal);
    // Gone or not, a session the conversation had: the next one started replaces it.
    this.#hadSession = true;
    if (state === 'gone') {
      this.#restarted = true;
      return;
    }
    this.#current = { id: sessionId, expiresAt: state.expiresAt };
  }

  /** Lets go of the service session without stopping it; returns its id (undefined: none). */
  detach(): string | undefined {
    const id = this.#alive ? this.#current?.id : undefined;
    this.#alive = false;
    this.#current = undefined;
    this.#unregister();
    return id;
  }

  /** True once after the service session was replaced (the caller reports `sessionRestarted`). */
  takeRestarted(): boolean {
    const restarted = this.#restarted;
    this.#restarted = false;
    return restarted;
  }

  close(): Promise<void> {
    this.#alive = false;
    this.#closing ??= (async () => {
      this.#unregister();
      const current = this.#current ?? (await this.#starting?.catch(() => undefined));
      this.#current = undefined;
      if (current) this.#stops.push(this.#stop(current));
      const failures = (await Promise.allSettled(this.#stops)).filter(
        (outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected',
      );
      if (failures.length > 0) throw failures[0]?.reason;
    })();
    return this.#closing;
  }

  /** Stops the service session in the background and marks this session dead. */
  retire(): void {
    this.#alive = false;
    const current = this.#current;
    this.#current = undefined;
    if (current) this.#stops.push(this.#stop(current).catch(() => undefined));
  }

  /**
   * One tool call, read to the end of its stream. A lost session is replaced and the call made
   * once more; refusals (throttling, quotas) are retried; a failure that leaves open whether the
   * tool ran is retried only as its `CallSafety` allows.
   */
  readonly invoke: InvokeTool = async (name, args, abortSignal, options = {}) => {
    const action = `InvokeCodeInterpreter (${name})`;
    const safety = options.safety ?? defaultSafety(name);
    let replaced = false;
    for (let retry = 0; ; ) {
      const current = await this.#ensureCurrent(abortSignal);
      const attempt = await this.#attempt(current, name, args, abortSignal);
      if (!('kind' in attempt)) return attempt;
      const { kind, error } = attempt;
      const canRetry = retry < this.#config.maxRetries;
      if (kind === 'lost' && !replaced) {
        replaced = true;
        await this.#replaceLost(current);
        continue;
      }
      if (kind === 'refused' && canRetry) {
        await this.#pause(retry++, abortSignal);
        continue;
      }
      if (kind === 'ambiguous' && safety === 'repeatable' && canRetry) {
        await this.#pause(retry++, abortSignal);
        continue;
      }
      if (kind === 'ambiguous' && typeof safety === 'object') {
        const started = await checkStarted(
          {
            attempt: (tool, toolArgs, signal) => this.#attempt(current, tool, toolArgs, signal),
            pause: (count, signal) => this.#pause(count, signal),
            maxRetries: this.#config.maxRetries,
            sessionGone: () => this.#replaceLost(current),
          },
          safety.started,
          error,
          abortSignal,
        );
        if (!started && canRetry) {
          await this.#pause(retry++, abortSignal);
          continue;
        }
      }
      if (kind === 'ambiguous' && safety === 'once') {
        const mapped = toSandplotError(error, action);
        throw new BackendError(
          `${mapped.message} It was not repeated automatically: ${name} may have run.`,
          { cause: error, isRetryable: mapped.isRetryable },
        );
      }
      throw toSandplotError(error, action);
    }
  };

  /** One request on `current`, sorted into a result or an AttemptFailure. */
  async #attempt(
    current: ServiceSession,
    name: ToolName,
    args: ToolArguments,
    abortSignal: AbortSignal | undefined,
  ): Promise<StreamOutcome | AttemptFailure> {
    const { client, identifier } = this.#config;
    try {
      const response = await client.send(
        new InvokeCodeInterpreterCommand({
          codeInterpreterIdentifier: identifier,
          sessionId: current.id,
          name,
          arguments: args,
        }),
        abortSignal === undefined ? {} : { abortSignal },
      );
      return await readInvokeStream(response.stream);
    } catch (error) {
      if (abortSignal?.aborted) throw abortedError(`InvokeCodeInterpreter (${name})`, abortSignal);
      // After a result the tool has run: repeating the call would run it twice.
      if (error instanceof StreamFailure && error.afterResult) {
        return { kind: 'fatal', error: error.cause };
      }
      const cause = error instanceof StreamFailure ? error.cause : error;
      switch (classifyInvokeFailure(cause)) {
        case 'aborted':
          throw abortedError(`InvokeCodeInterpreter (${name})`, abortSignal);
        case 'not-found':
          // A missing file or task answers the same exception as a missing session: ask.
          if (mayMissSomethingElse(name)) {
            const state = await this.#describe(current.id, abortSignal).catch(() => undefined);
            if (state !== 'gone') {
              if (state === undefined) return { kind: 'fatal', error: cause };
              throw missingThing(name, cause);
            }
          }
          return { kind: 'lost', error: cause };
        case 'refused':
          return { kind: 'refused', error: cause };
        case 'ambiguous':
          return { kind: 'ambiguous', error: cause };
        default:
          return { kind: 'fatal', error: cause };
      }
    }
  }

  /** The service session is gone: it is stopped (best effort) and the next call starts anew. */
  async #replaceLost(lost: ServiceSession): Promise<void> {
    if (this.#current === lost) {
      this.#current = undefined;
      this.#restarted = true;
    }
    await this.#stop(lost).catch(() => undefined);
  }

  /** READY (with its expiry) or gone, as GetCodeInterpreterSession tells. */
  async #describe(
    sessionId: string,
    abortSignal: AbortSignal | undefined,
  ): Promise<{ expiresAt: number } | 'gone'> {
    const { client, identifier, sessionTimeoutSeconds } = this.#config;
    try {
      const response = await this.#withRetries('GetCodeInterpreterSession', abortSignal, (signal) =>
        client.send(
          new GetCodeInterpreterSessionCommand({
            codeInterpreterIdentifier: identifier,
            sessionId,
          }),
          signal === undefined ? {} : { abortSignal: signal },
        ),
      );
      if (response.status !== undefined && response.status !== 'READY') return 'gone';
      const createdAt = response.createdAt?.getTime() ?? Date.now();
      const timeoutSeconds = response.sessionTimeoutSeconds ?? sessionTimeoutSeconds;
      return { expiresAt: createdAt + timeoutSeconds * 1000 };
    } catch (error) {
      if (classifyError(error) === 'session-lost') return 'gone';
      throw toSandplotError(error, `GetCodeInterpreterSession (session ${sessionId})`);
    }
  }

  #ensureCurrent(abortSignal: AbortSignal | undefined): Promise<ServiceSession> {
    if (!this.#alive) {
      return Promise.reject(
        new SessionError('This AgentCore session was closed.', { code: 'SESSION_CLOSED' }),
      );
    }
    const current = this.#current;
    if (current !== undefined) {
      if (Date.now() < current.expiresAt - expiryMarginMs(this.#config.sessionTimeoutSeconds)) {
        return Promise.resolve(current);
      }
      // At (or a few seconds before) its timeout: replace it without asking, and stop it in the
      // background in case the service has not expired it yet.
      this.#current = undefined;
      this.#restarted = true;
      this.#stops.push(this.#stop(current).catch(() => undefined));
    }
    this.#starting ??= this.#startNew(abortSignal).finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #startNew(abortSignal: AbortSignal | undefined): Promise<ServiceSession> {
    const { client, identifier, sessionTimeoutSeconds, sessionName } = this.#config;
    // One token for every attempt: the service starts one session even if an answer was lost.
    const clientToken = randomUUID();
    const response = await this.#withRetries('StartCodeInterpreterSession', abortSignal, (signal) =>
      client.send(
        new StartCodeInterpreterSessionCommand({
          codeInterpreterIdentifier: identifier,
          sessionTimeoutSeconds,
          clientToken,
          ...(sessionName === undefined ? {} : { name: sessionName }),
        }),
        signal === undefined ? {} : { abortSignal: signal },
      ),
    ).catch((error: unknown) => {
      if (classifyError(error) === 'session-lost') {
        // Nothing to start a session on: a configuration error, the same at every attempt.
        throw new ConfigError(
          `agentCoreBackend: there is no code interpreter "${identifier}" in this region (StartCodeInterpreterSession answered ResourceNotFoundException). Check the \`identifier\` option (the AWS-managed one is "aws.codeinterpreter.v1") and \`region\`.`,
          { cause: error },
        );
      }
      const mapped = toSandplotError(error, 'StartCodeInterpreterSession');
      if (mapped.code !== 'BACKEND_FAILED') throw mapped;
      throw new SessionError(mapped.message, { cause: error, isRetryable: mapped.isRetryable });
    });
    if (!response.sessionId) {
      throw new SessionError(
        'agentCoreBackend: StartCodeInterpreterSession returned no sessionId.',
      );
    }
    const started = {
      id: response.sessionId,
      expiresAt: Date.now() + sessionTimeoutSeconds * 1000,
    };
    if (!this.#alive) {
      // close() ran while the session was starting.
      await this.#stop(started).catch(() => undefined);
      throw new SessionError('This AgentCore session was closed while it was starting.', {
        code: 'SESSION_CLOSED',
      });
    }
    this.#current = started;
    const replacement = this.#hadSession;
    this.#hadSession = true;
    // After #current is set, so that the setup's own calls run in the new session.
    if (replacement && this.#replacementSetup) await this.#replacementSetup();
    return started;
  }

  /** Work to do in each new service session that replaces a lost one (see BackendSession). */
  onReplaced(setup: () => Promise<void>): void {
    this.#replacementSetup = setup;
  }

  async #stop(session: ServiceSession): Promise<void> {
    const { client, identifier } = this.#config;
    const clientToken = randomUUID();
    try {
      await this.#withRetries('StopCodeInterpreterSession', undefined, () =>
        client.send(
          new StopCodeInterpreterSessionCommand({
            codeInterpreterIdentifier: identifier,
            sessionId: session.id,
            clientToken,
          }),
        ),
      );
    } catch (error) {
      // Already expired or stopped: nothing left to pay for.
      if (classifyError(error) === 'session-lost') return;
      throw toSandplotError(error, `StopCodeInterpreterSession (session ${session.id})`);
    }
  }

  /**
   * Retries throttling, server faults and dropped connections with exponential backoff and
   * jitter. Only for idempotent calls: a start carries one clientToken for all its attempts,
   * stopping a stopped session answers ResourceNotFound, which counts as stopped, and a get
   * changes nothing.
   */
  async #withRetries<T>(
    action: string,
    abortSignal: AbortSignal | undefined,
    call: (abortSignal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    for (let retry = 0; ; retry++) {
      try {
        return await call(abortSignal);
      } catch (error) {
        if (abortSignal?.aborted) throw abortedError(action, abortSignal);
        const retryable = classifyError(error) === 'transient' || isConnectionFailure(error);
        if (!retryable || retry >= this.#config.maxRetries) throw error;
        await this.#pause(retry, abortSignal);
      }
    }
  }

  #pause(retry: number, abortSignal: AbortSignal | undefined): Promise<void> {
    const { retryBaseDelayMs, retryMaxDelayMs } = this.#config;
    return sleep(
      backoffDelayMs(retry, retryBaseDelayMs, retryMaxDelayMs),
      abortSignal,
      'The wait before retrying',
    );
  }
}
