import { randomBytes } from 'node:crypto';
import type { BackendSession, SandboxBackend } from '../../backends/types.js';
import { errorMessage } from '../../errors/index.js';
import { EmulatedSession } from './emulated-session.js';
import { rememberWorkingDirectory } from './python-helper.js';
import { invalid, notFound, ServiceFault } from './service-fault.js';

/** What the emulator has counted since it started (read through `AgentCoreEmulatorStats`). */
export interface EmulatorCounts {
  started: number;
  stopped: number;
  expired: number;
  invocations: number;
  throttled: number;
  quotaExceeded: number;
}

/** The session operations, by their route under `/code-interpreters/{identifier}/`. */
export type SessionRoute = 'sessions/start' | 'sessions/stop' | 'sessions/get' | 'sessions/list';

/** 26 characters of Crockford base32, the shape of the service's session ids. */
function sessionIdentifier(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  return [...randomBytes(26)].map((byte) => alphabet[byte % 32]).join('');
}

/**
 * The emulator's sessions and the operations on them: start (idempotent per clientToken), stop,
 * get and list, with the service's quota of active sessions and its session timeouts.
 */
export class ControlPlane {
  readonly sessions = new Map<string, EmulatedSession>();
  readonly #starts = new Map<string, Promise<EmulatedSession>>();
  readonly #backend: SandboxBackend;
  readonly #identifiers: Set<string>;
  readonly #maxActiveSessions: number;
  readonly #counts: EmulatorCounts;
  #closed = false;

  constructor(init: {
    backend: SandboxBackend;
    identifiers: string[];
    maxActiveSessions: number;
    counts: EmulatorCounts;
  }) {
    this.#backend = init.backend;
    this.#identifiers = new Set(init.identifiers);
    this.#maxActiveSessions = init.maxActiveSessions;
    this.#counts = init.counts;
  }

  get activeCount(): number {
    return [...this.sessions.values()].filter((session) => session.status === 'READY').length;
  }

  /** Ends a session as its timeout does (all READY sessions when no id is given). */
  expire(sessionId?: string): void {
    for (const session of this.sessions.values()) {
      if (sessionId === undefined || session.id === sessionId) this.#expire(session);
    }
  }

  /** The session an invoke or stop names; ResourceNotFoundException when there is none. */
  findSession(identifier: string, sessionId: string | null | undefined): EmulatedSession {
    const session = sessionId ? this.sessions.get(sessionId) : undefined;
    if (session === undefined || session.identifier !== identifier) {
      throw notFound(`Session ${sessionId ?? ''} not found for code interpreter ${identifier}.`);
    }
    return session;
  }

  /** The JSON answer to a session operation. */
  async answer(
    route: SessionRoute,
    identifier: string,
    body: Record<string, unknown>,
    url: URL,
  ): Promise<Record<string, unknown>> {
    switch (route) {
      case 'sessions/start':
        return this.#start(identifier, body);
      case 'sessions/stop':
        return this.#stop(identifier, url.searchParams.get('sessionId'));
      case 'sessions/get':
        return this.#get(identifier, url.searchParams.get('sessionId'));
      default:
        return this.#list(identifier, body);
    }
  }

  /** Terminates every session; one still starting is terminated as soon as it has started. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.sessions.values()].map((session) => session.terminate()));
  }

  #expire(session: EmulatedSession): void {
    if (session.status !== 'READY') return;
    this.#counts.expired++;
    void session.terminate();
  }

  async #start(identifier: string, body: Record<string, unknown>) {
    const token = typeof body.clientToken === 'string' ? body.clientToken : undefined;
    const key = token === undefined ? undefined : `${identifier}\0${token}`;
    let pending = key === undefined ? undefined : this.#starts.get(key);
    if (pending === undefined) {
      pending = this.#startSession(identifier, body);
      if (key !== undefined) {
        this.#starts.set(key, pending);
        pending.catch(() => this.#starts.delete(key));
      }
    }
    const session = await pending;
    return {
      codeInterpreterIdentifier: identifier,
      sessionId: session.id,
      createdAt: session.createdAt.toISOString(),
    };
  }

  async #startSession(identifier: string, body: Record<string, unknown>) {
    if (!this.#identifiers.has(identifier)) {
      throw notFound(`Code interpreter ${identifier} not found.`);
    }
    const timeoutSeconds = body.sessionTimeoutSeconds ?? 900;
    if (
      typeof timeoutSeconds !== 'number' ||
      !Number.isInteger(timeoutSeconds) ||
      timeoutSeconds < 1 ||
      timeoutSeconds > 28_800
    ) {
      throw invalid(
        'sessionTimeoutSeconds must be an integer between 1 and 28800.',
        'sessionTimeoutSeconds',
      );
    }
    if (this.activeCount >= this.#maxActiveSessions) {
      this.#counts.quotaExceeded++;
      throw new ServiceFault(
        402,
        'ServiceQuotaExceededException',
        `The number of active sessions reached the limit of ${this.#maxActiveSessions}.`,
      );
    }
    let local: BackendSession;
    try {
      local = await this.#backend.createSession();
    } catch (error) {
      throw new ServiceFault(
        500,
        'InternalServerException',
        `The emulator could not start a sandbox: ${errorMessage(error)}`,
      );
    }
    try {
      await rememberWorkingDirectory(local);
    } catch (error) {
      await local.close();
      throw new ServiceFault(
        500,
        'InternalServerException',
        `The emulator could not prepare a sandbox: ${errorMessage(error)}`,
      );
    }
    const session = new EmulatedSession({
      id: sessionIdentifier(),
      identifier,
      name: typeof body.name === 'string' ? body.name : undefined,
      timeoutSeconds,
      backend: this.#backend,
      local,
      onExpire: (expired) => this.#expire(expired),
    });
    this.sessions.set(session.id, session);
    this.#counts.started++;
    if (this.#closed) await session.terminate();
    return session;
  }

  async #stop(identifier: string, sessionId: string | null) {
    const session = this.findSession(identifier, sessionId);
    if (session.status !== 'READY') throw notFound(`Session ${session.id} is already terminated.`);
    this.#counts.stopped++;
    await session.terminate();
    return {
      codeInterpreterIdentifier: identifier,
      sessionId: session.id,
      lastUpdatedAt: session.lastUpdatedAt.toISOString(),
    };
  }

  #get(identifier: string, sessionId: string | null) {
    const session = this.findSession(identifier, sessionId);
    return {
      codeInterpreterIdentifier: identifier,
      sessionId: session.id,
      ...(session.name === undefined ? {} : { name: session.name }),
      createdAt: session.createdAt.toISOString(),
      sessionTimeoutSeconds: session.timeoutSeconds,
      status: session.status,
    };
  }

  #list(identifier: string, body: Record<string, unknown>) {
    if (!this.#identifiers.has(identifier)) {
      throw notFound(`Code interpreter ${identifier} not found.`);
    }
    const maxResults = typeof body.maxResults === 'number' ? body.maxResults : 10;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
      throw invalid('maxResults must be between 1 and 100.', 'maxResults');
    }
    const offset = typeof body.nextToken === 'string' ? Number(body.nextToken) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw invalid('Invalid nextToken.', 'nextToken');
    const matching = [...this.sessions.values()]
      .filter(
        (session) =>
          session.identifier === identifier &&
          (body.status === undefined || session.status === body.status),
      )
      .reverse();
    const page = matching.slice(offset, offset + maxResults);
    return {
      items: page.map((session) => ({
        codeInterpreterIdentifier: identifier,
        sessionId: session.id,
        ...(session.name === undefined ? {} : { name: session.name }),
        status: session.status,
        createdAt: session.createdAt.toISOString(),
        lastUpdatedAt: session.lastUpdatedAt.toISOString(),
      })),
      ...(offset + maxResults < matching.length ? { nextToken: String(offset + maxResults) } : {}),
    };
  }
}
