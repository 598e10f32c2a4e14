import type { AgentCoreOperation } from './emulator-options.js';

/** The exception members an InvokeCodeInterpreter stream can carry. */
export type StreamExceptionType =
  | 'accessDeniedException'
  | 'conflictException'
  | 'internalServerException'
  | 'resourceNotFoundException'
  | 'serviceQuotaExceededException'
  | 'throttlingException'
  | 'validationException';

/** Failures to inject into the emulator's next answers; each is used up as it fires. */
export interface AgentCoreEmulatorFaults {
  /** The next `count` calls (any operation) answer HTTP 429 ThrottlingException. */
  throttle(count?: number): void;
  /** The next `count` calls (any operation) answer HTTP 500 InternalServerException. */
  serverError(count?: number): void;
  /**
   * The next `count` InvokeCodeInterpreter calls answer 200 and then an exception frame in the
   * stream, without running the tool. With `afterResult` the tool runs and its result event comes
   * first; with `afterRun` the tool runs and its result is withheld: the exception frame is all
   * the client gets, as when the service fails after the code ran.
   */
  streamException(
    exceptionType: StreamExceptionType,
    options?: { count?: number; afterResult?: boolean; afterRun?: boolean },
  ): void;
  /** Expires a session now (all READY sessions when no id is given), as its timeout would. */
  expireSession(sessionId?: string): void;
  /**
   * The next `count` calls to `operation` are carried out, then the connection is closed without
   * an answer: the client sees a dropped connection although the service acted, as when a
   * keep-alive connection is cut at the wrong moment.
   */
  dropAnswer(operation: Exclude<AgentCoreOperation, 'InvokeCodeInterpreter'>, count?: number): void;
  /** The next `count` InvokeCodeInterpreter streams stop in the middle of their first frame. */
  cutStream(count?: number): void;
  /** The next `count` InvokeCodeInterpreter answers hold their first frame back for `delayMs`. */
  delayFirstFrame(delayMs: number, count?: number): void;
  /** The next executeCode result is sent as `parts` result events, its output split between them. */
  splitResult(parts: number): void;
  /** Forgets every fault not yet used. */
  reset(): void;
}

/** Pending faults, consumed by the request handlers. */
export class FaultQueue {
  throttled = 0;
  serverErrors = 0;
  streamExceptions: {
    exceptionType: StreamExceptionType;
    /** 'before': the tool does not run; 'after-run': it runs, its result withheld; 'after-result': it runs, its result sent. */
    when: 'before' | 'after-run' | 'after-result';
  }[] = [];
  cuts = 0;
  readonly droppedAnswers = new Map<AgentCoreOperation, number>();
  delays: number[] = [];
  splitParts: number | undefined;

  /** The HTTP-level fault for the next call, if any. */
  takeCallFault(): 'throttle' | 'server' | undefined {
    if (this.throttled > 0) {
      this.throttled--;
      return 'throttle';
    }
    if (this.serverErrors > 0) {
      this.serverErrors--;
      return 'server';
    }
    return undefined;
  }

  /** Whether the next stream is to be cut (and uses that fault up). */
  takeCut(): boolean {
    if (this.cuts === 0) return false;
    this.cuts--;
    return true;
  }

  /** Whether the answer to this call is to be dropped (and uses that fault up). */
  takeDroppedAnswer(operation: AgentCoreOperation): boolean {
    const left = this.droppedAnswers.get(operation) ?? 0;
    if (left === 0) return false;
    this.droppedAnswers.set(operation, left - 1);
    return true;
  }

  reset(): void {
    this.droppedAnswers.clear();
    this.throttled = 0;
    this.serverErrors = 0;
    this.streamExceptions = [];
    this.cuts = 0;
    this.delays = [];
    this.splitParts = undefined;
  }
}
