import { AbortError, SandboxPoolBusyError } from '../../errors/index.js';

export interface WaitQueueOptions {
  /** Conversations that may wait at once; one more is refused with `POOL_QUEUE_FULL`. */
  maxQueueLength: number;
  /** Longest wait before the callers are refused with `POOL_QUEUE_TIMEOUT`. */
  queueTimeoutMs: number;
  /** The pool's `maxSessions`, for the messages. */
  maxSessions: number;
  /** A conversation joined the queue: the pool may make room for it. */
  onEnqueue: () => void;
}

/** One conversation's place in the queue, shared by all its callers. */
interface Ticket<Slot> {
  readonly conversationId: string;
  readonly promise: Promise<Slot>;
  resolve: (slot: Slot) => void;
  reject: (error: unknown) => void;
  waiters: number;
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
}

/**
 * The conversations waiting for a sandbox, first come first served: one place per conversation
 * (its concurrent callers share it), bounded in length and in waiting time. A caller that aborts
 * leaves; the place goes when its last caller left.
 */
export class WaitQueue<Slot> {
  readonly #options: WaitQueueOptions;
  readonly #tickets = new Map<string, Ticket<Slot>>();
  readonly #queue: Ticket<Slot>[] = [];

  constructor(options: WaitQueueOptions) {
    this.#options = options;
  }

  /** Conversations waiting. */
  get length(): number {
    return this.#queue.length;
  }

  has(conversationId: string): boolean {
    return this.#tickets.has(conversationId);
  }

  /** Resolves with the slot granted to the conversation; rejects when full, timed out or aborted. */
  wait(conversationId: string, abortSignal: AbortSignal | undefined): Promise<Slot> {
    let ticket = this.#tickets.get(conversationId);
    if (ticket === undefined) {
      if (this.#queue.length >= this.#options.maxQueueLength) {
        return Promise.reject(
          new SandboxPoolBusyError(
            'POOL_QUEUE_FULL',
            `The sandbox pool is full (maxSessions ${this.#options.maxSessions}, all busy) and ${this.#queue.length} conversations are already waiting (maxQueueLength ${this.#options.maxQueueLength}). Try again later, or raise maxSessions or maxQueueLength.`,
          ),
        );
      }
      ticket = this.#newTicket(conversationId);
    }
    const current = ticket;
    current.waiters++;
    if (abortSignal === undefined) return current.promise;
    return new Promise<Slot>((resolve, reject) => {
      const onAbort = () => {
        current.waiters--;
        if (current.waiters === 0 && !current.settled) {
          this.#drop(current);
          current.reject(abortedWhileQueued(abortSignal));
        }
        reject(abortedWhileQueued(abortSignal));
      };
      abortSignal.addEventListener('abort', onAbort, { once: true });
      current.promise.then(
        (slot) => {
          abortSignal.removeEventListener('abort', onAbort);
          resolve(slot);
        },
        (error: unknown) => {
          abortSignal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  /** Gives the longest-waiting conversation the slot `grant` makes for it. */
  grantNext(grant: (conversationId: string) => Slot): void {
    const ticket = this.#queue.shift();
    if (ticket === undefined) return;
    this.#drop(ticket);
    ticket.resolve(grant(ticket.conversationId));
  }

  /** Refuses the conversation's callers with `error`, if it is waiting. */
  cancel(conversationId: string, error: unknown): void {
    const ticket = this.#tickets.get(conversationId);
    if (ticket === undefined) return;
    this.#drop(ticket);
    ticket.reject(error);
  }

  /** Refuses every waiting caller with `error`. */
  cancelAll(error: unknown): void {
    for (const ticket of this.#queue.splice(0)) {
      this.#drop(ticket);
      ticket.reject(error);
    }
  }

  #newTicket(conversationId: string): Ticket<Slot> {
    let resolve!: (slot: Slot) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<Slot>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Callers that aborted leave the ticket's own rejection unobserved.
    promise.catch(() => undefined);
    const ticket: Ticket<Slot> = {
      conversationId,
      promise,
      resolve: (slot) => {
        ticket.settled = true;
        resolve(slot);
      },
      reject: (error) => {
        ticket.settled = true;
        reject(error);
      },
      waiters: 0,
      timer: undefined,
      settled: false,
    };
    const { queueTimeoutMs, maxSessions } = this.#options;
    ticket.timer = setTimeout(() => {
      this.#drop(ticket);
      ticket.reject(
        new SandboxPoolBusyError(
          'POOL_QUEUE_TIMEOUT',
          `Conversation ${conversationId} waited ${queueTimeoutMs} ms for a sandbox: all ${maxSessions} (maxSessions) were busy. Try again later, or raise maxSessions or queueTimeoutMs.`,
        ),
      );
    }, queueTimeoutMs);
    this.#tickets.set(conversationId, ticket);
    this.#queue.push(ticket);
    this.#options.onEnqueue();
    return ticket;
  }

  #drop(ticket: Ticket<Slot>): void {
    clearTimeout(ticket.timer);
    if (this.#tickets.get(ticket.conversationId) === ticket) {
      this.#tickets.delete(ticket.conversationId);
    }
    const index = this.#queue.indexOf(ticket);
    if (index >= 0) this.#queue.splice(index, 1);
  }
}

/** The error of a caller that aborted while waiting for a sandbox. */
export function abortedWhileQueued(abortSignal: AbortSignal): AbortError {
  return new AbortError('The call was aborted by its abortSignal while waiting for a sandbox.', {
    cause: abortSignal.reason,
  });
}
