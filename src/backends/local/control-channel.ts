import type { Readable, Writable } from 'node:stream';

/** A message from the Python server: a reply to a request, or the `ready` announcement. */
export type ServerMessage = Record<string, unknown>;

/**
 * Line-delimited JSON to and from the Python server, on pipes of their own so nothing the
 * user's code prints can look like a message. Lines are joined from chunks once: linear.
 */
export class ControlChannel {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;

  constructor(
    private readonly requests: Writable,
    replies: Readable,
    private readonly handlers: {
      onMessage: (message: ServerMessage) => void;
      /** The server sent something that is not a message: it cannot be trusted any more. */
      onViolation: (reason: string) => void;
    },
    private readonly maxLineBytes: number,
  ) {
    replies.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  send(message: Record<string, unknown>): void {
    this.requests.write(`${JSON.stringify(message)}\n`);
  }

  private receive(chunk: Buffer): void {
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
        this.handlers.onViolation(`a control message exceeded ${this.maxLineBytes} bytes`);
      }
    }
  }

  private parse(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.handlers.onViolation('it sent a control message that is not JSON');
      return;
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      this.handlers.onViolation('it sent a control message that is not a JSON object');
      return;
    }
    this.handlers.onMessage(message as ServerMessage);
  }
}
