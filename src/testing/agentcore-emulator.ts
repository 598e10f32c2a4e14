import type { AddressInfo } from 'node:net';
import { parseOptions } from '../internal/parse-options.js';
import { ControlPlane, type EmulatorCounts } from './agentcore-emulator/control-plane.js';
import {
  type AgentCoreEmulatorOptions,
  emulatorOptionsSchema,
} from './agentcore-emulator/emulator-options.js';
import {
  type AgentCoreEmulatorFaults,
  FaultQueue,
  type StreamExceptionType,
} from './agentcore-emulator/faults.js';
import { startEmulatorServer } from './agentcore-emulator/http-server.js';
import { plainPythonBackend } from './agentcore-emulator/plain-python.js';
import { OperationRateLimiter } from './agentcore-emulator/rate-limit.js';

export type {
  AgentCoreEmulatorOptions,
  AgentCoreOperation,
  CommandOutput,
} from './agentcore-emulator/emulator-options.js';
export { EMULATOR_CREDENTIALS } from './agentcore-emulator/emulator-options.js';
export type { AgentCoreEmulatorFaults, StreamExceptionType } from './agentcore-emulator/faults.js';
export type { EmulatorCredentials } from './agentcore-emulator/signature.js';

/** Counts since the emulator started. */
export interface AgentCoreEmulatorStats {
  /** Sessions started with StartCodeInterpreterSession. */
  readonly started: number;
  /** Sessions stopped with StopCodeInterpreterSession. */
  readonly stopped: number;
  /** Sessions ended by their timeout (or `faults.expireSession`). */
  readonly expired: number;
  /** Sessions READY now. */
  readonly active: number;
  /** InvokeCodeInterpreter calls answered (faults included). */
  readonly invocations: number;
  /** Requests answered ThrottlingException because `requestsPerSecond` was exceeded (injected faults not counted). */
  readonly throttled: number;
  /** Session starts answered ServiceQuotaExceededException because of `maxActiveSessions`. */
  readonly quotaExceeded: number;
}

export interface AgentCoreEmulator {
  /** `http://127.0.0.1:<port>`: pass it as the client's `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  readonly stats: AgentCoreEmulatorStats;
  readonly faults: AgentCoreEmulatorFaults;
  /** Stops every session and the server. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a loopback emulator of the AgentCore Code Interpreter data plane that the real
 * `@aws-sdk/client-bedrock-agentcore` talks to through its `endpoint` option. Each emulated
 * session runs in a session of `backend` (the local sandbox by default).
 */
export async function startAgentCoreEmulator(
  options: AgentCoreEmulatorOptions = {},
): Promise<AgentCoreEmulator> {
  const settings = parseOptions(emulatorOptionsSchema, options, 'startAgentCoreEmulator options');
  // Loaded only when needed, so a caller bringing its own backend does not load the local one.
  const backend =
    settings.backend ??
    (settings.sessionInterpreter === 'plain-python'
      ? plainPythonBackend()
      : (await import('../backends/local.js')).localBackend());
  const counts: EmulatorCounts = {
    started: 0,
    stopped: 0,
    expired: 0,
    invocations: 0,
    throttled: 0,
    quotaExceeded: 0,
  };
  const controlPlane = new ControlPlane({
    backend,
    identifiers: settings.identifiers,
    maxActiveSessions: settings.maxActiveSessions,
    counts,
  });
  const faults = new FaultQueue();
  const server = await startEmulatorServer(
    {
      controlPlane,
      faults,
      counts,
      rateLimiter: new OperationRateLimiter(settings.requestsPerSecond),
      verifyCredentials: settings.verifySignatures ? settings.credentials : undefined,
      commandOutput: settings.commandOutput,
    },
    settings.port,
  );
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stats: {
      get started() {
        return counts.started;
      },
      get stopped() {
        return counts.stopped;
      },
      get expired() {
        return counts.expired;
      },
      get active() {
        return controlPlane.activeCount;
      },
      get invocations() {
        return counts.invocations;
      },
      get throttled() {
        return counts.throttled;
      },
      get quotaExceeded() {
        return counts.quotaExceeded;
      },
    },
    faults: {
      throttle(count = 1) {
        faults.throttled += count;
      },
      serverError(count = 1) {
        faults.serverErrors += count;
      },
      streamException(
        exceptionType: StreamExceptionType,
        { count = 1, afterResult = false, afterRun = false } = {},
      ) {
        const when = afterResult ? 'after-result' : afterRun ? 'after-run' : 'before';
        for (let i = 0; i < count; i++) faults.streamExceptions.push({ exceptionType, when });
      },
      expireSession(sessionId?: string) {
        controlPlane.expire(sessionId);
      },
      dropAnswer(operation, count = 1) {
        faults.droppedAnswers.set(operation, (faults.droppedAnswers.get(operation) ?? 0) + count);
      },
      cutStream(count = 1) {
        faults.cuts += count;
      },
      delayFirstFrame(delayMs: number, count = 1) {
        for (let i = 0; i < count; i++) faults.delays.push(delayMs);
      },
      splitResult(parts: number) {
        faults.splitParts = Math.max(1, Math.floor(parts));
      },
      reset() {
        faults.reset();
      },
    },
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await controlPlane.close();
        await stopped;
      })();
      return closing;
    },
  };
}
