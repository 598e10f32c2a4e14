import type { BackendSession, SandboxBackend } from './types.js';

/** One call into a session, as a middleware sees it. */
export interface SessionCall {
  /** The method called: `runCode`, `writeFiles`, `readFile`, ... or one a backend adds. */
  readonly operation: string;
  /** The call's abort signal: the `abortSignal` of its last options-like argument. */
  readonly abortSignal: AbortSignal | undefined;
}

/** Code that runs around the calls into a session; every part is optional. */
export interface BackendSessionMiddleware {
  /**
   * Runs around each call into the session except `close()`. `proceed()` makes the call on the
   * inner session; return its result (or throw).
   */
  wrapCall?<T>(call: SessionCall, proceed: () => Promise<T>): Promise<T>;
  /**
   * Runs around `close()`, once per session however often `close()` is called (later calls get
   * the same promise). `close()` stops the inner session.
   */
  wrapClose?(close: () => Promise<void>): Promise<void>;
}

/** A session middleware that can also run code around the start of each session. */
export interface BackendMiddleware extends BackendSessionMiddleware {
  /**
   * Runs around `createSession()`. `create()` starts the inner backend's session; the session
   * returned is then wrapped with this middleware's `wrapCall` and `wrapClose`.
   */
  wrapCreateSession?(
    options: { abortSignal?: AbortSignal },
    create: () => Promise<BackendSession>,
  ): Promise<BackendSession>;
  /**
   * Runs around `attachSession()` (backends that can attach). `attach()` makes the inner
   * backend's session object for `sessionId`; it is then wrapped like a started one.
   */
  wrapAttachSession?(
    sessionId: string,
    options: { abortSignal?: AbortSignal },
    attach: () => Promise<BackendSession>,
  ): Promise<BackendSession>;
}

/**
 * A backend whose sessions run `middleware` around every call (in the spirit of the AI SDK's
 * `wrapLanguageModel`). `name` and `sessionLifetimeMs` are the inner backend's. Wrapping a
 * wrapped backend nests: the outer middleware runs first.
 */
export function wrapBackend(
  backend: SandboxBackend,
  middleware: BackendMiddleware,
): SandboxBackend {
  const wrapped: { -readonly [K in keyof SandboxBackend]: SandboxBackend[K] } = {
    name: backend.name,
    async createSession(options = {}) {
      const create = () => backend.createSession(options);
      const session = await (middleware.wrapCreateSession?.(options, create) ?? create());
      return wrapBackendSession(session, middleware);
    },
  };
  if (backend.sessionLifetimeMs !== undefined) {
    wrapped.sessionLifetimeMs = backend.sessionLifetimeMs;
  }
  const { attachSession } = backend;
  if (attachSession) {
    wrapped.attachSession = async (sessionId, options = {}) => {
      const attach = () => attachSession.call(backend, sessionId, options);
      const session = await (middleware.wrapAttachSession?.(sessionId, options, attach) ??
        attach());
      return wrapBackendSession(session, middleware);
    };
  }
  return wrapped;
}

/**
 * The session with `middleware` around its calls. Everything else is the inner session's: `id`,
 * `isAlive` and any other property read through, optional methods (`removeFiles`,
 * `clearContext`) exist only when the inner session has them, and methods a backend adds (such
 * as AgentCore's commands) are wrapped like the others. `instanceof` sees the inner class.
 */
export function wrapBackendSession<Session extends BackendSession>(
  session: Session,
  middleware: BackendSessionMiddleware,
): Session {
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const closeInner = () => session.close();
      await (middleware.wrapClose?.(closeInner) ?? closeInner());
    })();
    return closing;
  };
  // One wrapper per method, so `session.runCode === session.runCode` as on the inner session.
  const methods = new Map<string, { inner: unknown; wrapped: unknown }>();
  return new Proxy(session, {
    get(target, property) {
      if (property === 'close') return close;
      // The receiver is the session itself, so getters that read private fields work.
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function' || property === 'constructor') return value;
      if (property === Symbol.asyncDispose) return close;
      // Registrations, not calls into the session: nothing to run around them.
      if (typeof property !== 'string' || PASS_THROUGH.has(property)) return value.bind(target);
      const known = methods.get(property);
      if (known?.inner === value) return known.wrapped;
      const wrapped = (...args: unknown[]): unknown => {
        const proceed = () => Reflect.apply(value, target, args) as Promise<unknown>;
        if (middleware.wrapCall === undefined) return proceed();
        return middleware.wrapCall(
          { operation: property, abortSignal: abortSignalOf(args) },
          proceed,
        );
      };
      methods.set(property, { inner: value, wrapped });
      return wrapped;
    },
  });
}

/** Session methods that only register something (no call to the service or process). */
const PASS_THROUGH: ReadonlySet<string> = new Set(['onReplaced']);

/** The `abortSignal` of the last argument that carries one (the call's options). */
function abortSignalOf(args: readonly unknown[]): AbortSignal | undefined {
  for (let position = args.length - 1; position >= 0; position--) {
    const argument = args[position];
    if (typeof argument !== 'object' || argument === null) continue;
    const abortSignal = (argument as { abortSignal?: unknown }).abortSignal;
    if (abortSignal instanceof AbortSignal) return abortSignal;
  }
  return undefined;
}
