import type { Readable, Writable } from 'node:stream';
import { BackendError, InvalidInputError } from '../../errors/index.js';

/** A message from the Python server: a reply to a request, or the `ready` announcement. */
export type ServerMessage = Record<string, unknown>;

interface Pending {
  resolve: (message: ServerMessage) => void;
  reject: (error: Error) => void;
}

/** The id the `ready` announcement answers: the `init` message's. */
const READY_ID = 0;

/**
 * Requests to the Python server and its replies: line-delimited JSON on pipes of their own, so
 * nothing the user's code prints can look like a message. Each request carries an id its reply
 * repeats. Lines are joined from chunks once: linear.
 */
export class ControlChannel {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private readonly pending = new Map<number, Pending>();
  private nextRequestId = READY_ID;
  /** Bytes received so far: lets a deadline tell a slow large reply from no reply. */
  receivedBytes = 0;

  constructor(
    private readonly requests: Writable,
    replies: Readable,
    /** The server sent something that is not a reply: it cannot be trusted any more. */
    private readonly onViolation: (reason: string) => void,
    private readonly maxLineBytes: number,
  ) {
    replies.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  /** Sends the `init` message; resolves with the server's `ready` announcement. */
  init(message: Record<string, unknown>): Promise<ServerMessage> {
    const ready = new Promise<ServerMessage>((resolve, reject) => {
      this.pending.set(READY_ID, { resolve, reject });
    });
    this.send({ op: 'init', ...message });
    return ready;
  }

  /**
   * Sends a request and resolves with the server's successful reply; a failed one rejects with
   * the error its `code` names (`FILE_NOT_FOUND`, `INVALID_INPUT`, else a BackendError).
   */
  request(message: Record<string, unknown>): Promise<ServerMessage> {
    const id = ++this.nextRequestId;
    return new Promise<ServerMessage>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ ...message, id });
    }).then((reply) => {
      if (reply.ok === true) return reply;
      const text = `localBackend: ${String(reply.message)}`;
      if (reply.code === 'FILE_NOT_FOUND') throw new BackendError(text, { code: 'FILE_NOT_FOUND' });
      if (reply.code === 'INVALID_INPUT') throw new InvalidInputError(text);
      throw new BackendError(text);
    });
  }

  /** Rejects every request still waiting for its reply (the server is gone). */
  rejectAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  private send(message: Record<string, unknown>): void {
    this.requests.write(`${JSON.stringify(message)}\n`);
  }

  private receive(chunk: Buffer): void {
    this.receivedBytes += chunk.length;
    let start = 0;
    for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, start)) {
      this.chunks.push(chunk.subarray(start, newline));
      const line = Buffer.concat(this.chunks).toString('utf8');
      this.chunks = [];
      this.bufferedBytes = 0;
      start = newline + 1;
      this.parse(line);
    }
    if (start < chunk.length) {
      this.chunks.push(chunk.subarray(start));
      this.bufferedBytes += chunk.length - start;
      if (this.bufferedBytes > this.maxLineBytes) {
        this.chunks = [];
        this.bufferedBytes = 0;
        this.onViolation(`a control message exceeded ${this.maxLineBytes} bytes`);
      }
    }
  }

  private parse(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.onViolation('it sent a control message that is not JSON');
      return;
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      this.onViolation('it sent a control message that is not a JSON object');
      return;
    }
    this.answer(message as ServerMessage);
  }

  private answer(message: ServerMessage): void {
    const id = message.op === 'ready' ? READY_ID : message.id;
    const pending = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (pending === undefined) {
      this.onViolation('a reply to no request');
      return;
    }
    this.pending.delete(id as number);
    pending.resolve(message);
  }
}
