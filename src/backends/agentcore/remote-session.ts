import { randomUUID } from 'node:crypto';
import {
  InvokeCodeInterpreterCommand,
  StartCodeInterpreterSessionCommand,
  StopCodeInterpreterSessionCommand,
  type ToolArguments,
  type ToolName,
} from '@aws-sdk/client-bedrock-agentcore';
import { SessionError } from '../../errors/index.js';
import { abortedError } from '../../internal/abort.js';
import type { AgentCoreSessionConfig } from './agentcore-session-types.js';
import { backoffDelayMs, sleep } from './backoff.js';
import { stopOnExit } from './exit-stop.js';
import { classifyError, isConnectionFailure, toSandplotError } from './service-errors.js';
import { readInvokeStream, StreamFailure, type StreamOutcome } from './stream-result.js';

/** One tool call on the session, read to the end of its stream. */
export type InvokeTool = (
  name: ToolName,
  args: ToolArguments,
  abortSignal: AbortSignal | undefined,
) => Promise<StreamOutcome>;

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
 * The service session behind an AgentCoreSession: started on first use, replaced when it expires
 * or is lost, stopped on close. Starts and restarts happen once even when calls overlap, and
 * throttling, server faults and (for idempotent calls) dropped connections are retried.
 */
export class RemoteSession {
  readonly #config: AgentCoreSessionConfig;
  #current: ServiceSession | undefined;
  #starting: Promise<ServiceSession> | undefined;
  #restarted = false;
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
   * once more; throttling and server faults are retried while no result has arrived (after one,
   * the code ran, and running it again could repeat its effects).
   */
  readonly invoke: InvokeTool = async (name, args, abortSignal) => {
    const action = `InvokeCodeInterpreter (${name})`;
    const { client, identifier } = this.#config;
    let replaced = false;
    for (let retry = 0; ; ) {
      const current = await this.#ensureCurrent(abortSignal);
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
        if (abortSignal?.aborted) throw abortedError(action, abortSignal);
        const afterResult = error instanceof StreamFailure && error.afterResult;
        const cause = error instanceof StreamFailure ? error.cause : error;
        const kind = classifyError(cause);
        if (kind === 'session-lost' && !replaced && !afterResult) {
          replaced = true;
          if (this.#current === current) this.#current = undefined;
          this.#restarted = true;
          continue;
        }
        if (kind === 'transient' && !afterResult && retry < this.#config.maxRetries) {
          await this.#pause(retry++, abortSignal);
          continue;
        }
        throw toSandplotError(cause, action);
      }
    }
  };

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
      // Past its timeout the service has expired it already: replace it without asking.
      this.#current = undefined;
      this.#restarted = true;
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
    return started;
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
   * jitter. Only for idempotent calls: a start carries one clientToken for all its attempts, and
   * stopping a stopped session answers ResourceNotFound, which counts as stopped.
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
    return sleep(backoffDelayMs(retry, retryBaseDelayMs, retryMaxDelayMs), abortSignal);
  }
}
