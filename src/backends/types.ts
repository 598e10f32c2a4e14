import type { CapturedFigure } from '../types/index.js';

/** A file to place in the sandbox's working directory. */
export interface SandboxFile {
  /** Relative to the sandbox's working directory. */
  path: string;
  content: string | Uint8Array;
}

export interface BackendRunOptions {
  /** Interrupt the code after this long. The backend keeps the session when the interrupt works. */
  timeoutMs: number;
  abortSignal?: AbortSignal;
  /** Raw stdout as it arrives, markers included. Called in order; the backend keeps no copy. */
  onStdout: (text: string) => void;
  /** Raw stderr as it arrives. */
  onStderr: (text: string) => void;
}

/** What a backend reports about one run. The output itself went through the callbacks. */
export interface BackendRunResult {
  /** The process or service exit code, when there is one. */
  exitCode: number | null;
  /** The run hit `timeoutMs` (or was aborted) and was interrupted. */
  interrupted?: 'timeout' | 'abort';
  /**
   * The session is gone (the process died, or did not answer the interrupt and was killed).
   * The next call needs a new session.
   */
  crashed?: { reason: string };
  /**
   * The code started, but its output never came back (the service failed after it began): it
   * ran, maybe to its end, and was not run again. The session and its variables are kept unless
   * `crashed` says otherwise.
   */
  outputLost?: { reason: string };
  /** Figures the backend received out of band (e.g. image content blocks), in order. */
  figures?: Omit<CapturedFigure, 'index'>[];
  /**
   * The session was lost before this run and the backend replaced it and ran the code in the new
   * one: variables from earlier runs are gone.
   */
  sessionRestarted?: boolean;
}

/** One live sandbox: a Python process, or a remote interpreter session. */
export interface BackendSession {
  readonly id: string;
  /** False once the session died or was closed. */
  readonly isAlive: boolean;
  /** Runs Python source (already wrapped for figure capture) in the session's shared namespace. */
  runCode(code: string, options: BackendRunOptions): Promise<BackendRunResult>;
  writeFiles(files: SandboxFile[], options?: { abortSignal?: AbortSignal }): Promise<void>;
  readFile(path: string, options?: { abortSignal?: AbortSignal }): Promise<Uint8Array>;
  /**
   * Deletes files and folders (with their contents), paths relative to the working directory.
   * A path that does not exist is not an error. CodeSandbox uses it to remove figure files
   * (`capture.transport: 'files'`); without it they stay in the sandbox.
   */
  removeFiles?(paths: string[], options?: { abortSignal?: AbortSignal }): Promise<void>;
  /**
   * Drops the interpreter's variables but keeps the session and its files. Backends without it
   * get a new session instead.
   */
  clearContext?(options?: { abortSignal?: AbortSignal }): Promise<void>;
  /**
   * Lets go of the session without stopping it, so that another process (or a later
   * `attachSession`) can go on with it; returns its id. Afterwards this object is dead, as after
   * `close()`. Backends whose sessions cannot outlive their owner do not have it.
   */
  detach?(): Promise<string>;
  /**
   * Registers work to do in a new service session that replaces a lost one behind this session
   * object (AgentCore replaces expired sessions itself), before any call runs in it: CodeSandbox
   * writes the kept input files again. Backends that never replace a session in place leave it out.
   */
  onReplaced?(setup: () => Promise<void>): void;
  /** Stops the session and frees everything it holds. Idempotent. */
  close(): Promise<void>;
}

/** Makes sessions. One factory per implementation: `localBackend()`, `agentCoreBackend()`. */
export interface SandboxBackend<Session extends BackendSession = BackendSession> {
  readonly name: string;
  /**
   * How long a session lives before the backend's service ends it on its own, counted from its
   * start (AgentCore: `sessionTimeoutSeconds`). A pool replaces sessions, between calls, before
   * this. Undefined: sessions live until they are closed.
   */
  readonly sessionLifetimeMs?: number;
  createSession(options?: { abortSignal?: AbortSignal }): Promise<Session>;
  /**
   * A session object for the existing session `sessionId` (one another process started, or
   * detached) instead of a new one. When that session is gone already, a new one replaces it and
   * the first result says `sessionRestarted`. Backends without it cannot attach.
   */
  attachSession?(sessionId: string, options?: { abortSignal?: AbortSignal }): Promise<Session>;
}
