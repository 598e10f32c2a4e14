import { StringDecoder } from 'node:string_decoder';

/** Output that arrives while no run is active (a background process) waits for the next run. */
const MAX_STRAY_BYTES = 1024 * 1024;

/**
 * One of the Python's output pipes (stdout or stderr). While a run is active it decodes the
 * bytes as UTF-8 without splitting characters, hands the text to the run's callback as it
 * arrives, and watches for the run's end token, which it strips. Linear in the output size.
 */
export class OutputStream {
  private run: { token: Buffer; onText: (text: string) => void } | undefined;
  private decoder = new StringDecoder('utf8');
  /** The end of the last chunk when it could be the start of the token. */
  private held: Buffer = Buffer.alloc(0);
  private stray: Buffer[] = [];
  private strayBytes = 0;
  private droppedBytes = 0;
  /** True once the active run's token went by. */
  tokenSeen = false;

  constructor(
    private readonly name: 'stdout' | 'stderr',
    private readonly onTokenSeen: () => void,
  ) {}

  /** Starts a run: output now goes to `onText` until `token` arrives. */
  begin(token: string, onText: (text: string) => void): void {
    this.run = { token: Buffer.from(token, 'latin1'), onText };
    this.tokenSeen = false;
    const stray = this.stray;
    const dropped = this.droppedBytes;
    this.stray = [];
    this.strayBytes = 0;
    this.droppedBytes = 0;
    for (const chunk of stray) this.emit(chunk);
    if (dropped > 0) {
      this.emitText(
        `\n[sandplot: ${dropped} bytes of ${this.name} written between runs were dropped]\n`,
      );
    }
  }

  /** Ends the run: delivers what is held back (the process died before the token). */
  end(): void {
    if (this.run === undefined) return;
    if (this.held.length > 0) this.emit(this.held);
    this.held = Buffer.alloc(0);
    this.emitText(this.decoder.end());
    this.run = undefined;
  }

  push(chunk: Buffer): void {
    const run = this.run;
    if (run === undefined || this.tokenSeen) {
      this.keepStray(chunk);
      return;
    }
    const data = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = Buffer.alloc(0);
    const at = data.indexOf(run.token);
    if (at !== -1) {
      this.emit(data.subarray(0, at));
      this.emitText(this.decoder.end());
      this.tokenSeen = true;
      const rest = data.subarray(at + run.token.length);
      if (rest.length > 0) this.keepStray(rest);
      this.onTokenSeen();
      return;
    }
    const keep = tokenPrefixAtEnd(data, run.token);
    this.emit(data.subarray(0, data.length - keep));
    if (keep > 0) this.held = Buffer.from(data.subarray(data.length - keep));
  }

  private emit(bytes: Buffer): void {
    if (bytes.length > 0) this.emitText(this.decoder.write(bytes));
  }

  private emitText(text: string): void {
    if (text.length > 0) this.run?.onText(text);
  }

  private keepStray(chunk: Buffer): void {
    if (this.strayBytes + chunk.length > MAX_STRAY_BYTES) {
      this.droppedBytes += chunk.length;
      return;
    }
    this.stray.push(Buffer.from(chunk));
    this.strayBytes += chunk.length;
  }
}

/** Length of the longest end of `data` that is a beginning of `token` (shorter than the token). */
function tokenPrefixAtEnd(data: Buffer, token: Buffer): number {
  const longest = Math.min(token.length - 1, data.length);
  for (let length = longest; length > 0; length--) {
    if (data.compare(token, 0, length, data.length - length) === 0) return length;
  }
  return 0;
}
