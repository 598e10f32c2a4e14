/**
 * One output stream of an execution (stdout or stderr) kept within a byte budget as it streams:
 * the head and the tail stay, the middle is counted and dropped, so output of any size costs the
 * host a bounded amount of memory and always fits in a string.
 */
export interface BoundedOutput {
  /** Adds text as it arrives. */
  push(text: string): void;
  /** The kept text: head, a line saying how much was cut (when something was), tail. */
  text(): string;
  /** Characters (UTF-16 code units) dropped from the middle; exact once `text()` was called. */
  readonly cutChars: number;
  /**
   * Where a position in the whole stream (a character offset) is in `text()`, once it was
   * called: positions in the cut part map to where the cut line is.
   */
  keptPosition(position: number): number;
}

// Chunks shorter than this are joined to the one before, so that a stream of tiny writes does
// not become millions of array entries.
const SMALL_CHUNK_CHARS = 64 * 1024;

/** The line that stands where output was cut: `[… 1,234 characters of stdout cut here: …]`. */
export function outputCutLine(cutChars: number, label: string, maxBytes: number): string {
  return `${outputCutLinePrefix(cutChars, label)}over maxOutputBytes (${maxBytes.toLocaleString('en-US')} bytes), the first and last half kept …]`;
}

/** How `outputCutLine` starts, for finding it again in the text. */
export function outputCutLinePrefix(cutChars: number, label: string): string {
  return `[… ${cutChars.toLocaleString('en-US')} characters of ${label} cut here: `;
}

/**
 * Keeps the first `maxBytes / 2` and the last `maxBytes / 2` UTF-8 bytes of a stream (never
 * splitting a character), counting what falls between. `label` names the stream in the cut line.
 */
export function createBoundedOutput(maxBytes: number, label: string): BoundedOutput {
  const headLimit = Math.floor(maxBytes / 2);
  const tailLimit = maxBytes - headLimit;
  const head = new Chunks();
  const tail = new Chunks();
  let headFull = false;
  let cutChars = 0;
  // Set by text(): characters of the kept head, and what stands between head and tail.
  let headChars = 0;
  let inserted = 0;
  // A high surrogate at the end of a write waits for its pair, so bytes are counted right.
  let pending = '';

  const add = (text: string) => {
    let rest = text;
    if (!headFull) {
      const bytes = Buffer.byteLength(rest);
      if (head.bytes + bytes <= headLimit) {
        head.push(rest, bytes);
        return;
      }
      const fits = charsWithin(rest, headLimit - head.bytes);
      if (fits > 0) head.push(rest.slice(0, fits), Buffer.byteLength(rest.slice(0, fits)));
      headFull = true;
      rest = rest.slice(fits);
    }
    tail.push(rest, Buffer.byteLength(rest));
    cutChars += tail.dropWhole(tailLimit);
  };

  return {
    push(text) {
      if (text.length === 0) return;
      let whole = pending + text;
      pending = '';
      if (isHighSurrogate(whole.charCodeAt(whole.length - 1))) {
        pending = whole.slice(-1);
        whole = whole.slice(0, -1);
      }
      if (whole.length > 0) add(whole);
    },
    text() {
      if (pending) add(pending);
      pending = '';
      cutChars += tail.trimFront(tailLimit);
      const keptHead = head.parts();
      headChars = keptHead.reduce((sum, part) => sum + part.length, 0);
      if (cutChars === 0) return [...keptHead, ...tail.parts()].join('');
      const last = keptHead[keptHead.length - 1] ?? '';
      const before = last.length === 0 || last.endsWith('\n') ? '' : '\n';
      inserted = before.length + outputCutLine(cutChars, label, maxBytes).length + 1;
      // One join: the result is one flat string, copied once, holding no slice of a large chunk.
      return [
        ...keptHead,
        before,
        outputCutLine(cutChars, label, maxBytes),
        '\n',
        ...tail.parts(),
      ].join('');
    },
    get cutChars() {
      return cutChars;
    },
    keptPosition(position) {
      if (cutChars === 0 || position <= headChars) return position;
      if (position < headChars + cutChars) return headChars;
      return position - cutChars + inserted;
    },
  };
}

/** Text chunks with their UTF-8 byte counts; small chunks are merged into the last one. */
class Chunks {
  #texts: string[] = [];
  #bytes: number[] = [];
  #first = 0;
  bytes = 0;

  push(text: string, bytes: number): void {
    if (text.length === 0) return;
    const last = this.#texts.length - 1;
    if (last >= this.#first && (this.#texts[last] as string).length < SMALL_CHUNK_CHARS) {
      this.#texts[last] += text;
      this.#bytes[last] = (this.#bytes[last] as number) + bytes;
    } else {
      this.#texts.push(text);
      this.#bytes.push(bytes);
    }
    this.bytes += bytes;
  }

  /**
   * Drops whole chunks from the front while at least `limit` bytes remain; returns the characters
   * dropped. Cheap enough for every write: the exact cut waits for `trimFront`.
   */
  dropWhole(limit: number): number {
    let dropped = 0;
    while (this.#first < this.#texts.length - 1) {
      const bytes = this.#bytes[this.#first] as number;
      if (this.bytes - bytes < limit) break;
      dropped += (this.#texts[this.#first] as string).length;
      this.#texts[this.#first] = '';
      this.#first += 1;
      this.bytes -= bytes;
    }
    if (this.#first > 64 && this.#first * 2 > this.#texts.length) {
      this.#texts = this.#texts.slice(this.#first);
      this.#bytes = this.#bytes.slice(this.#first);
      this.#first = 0;
    }
    return dropped;
  }

  /** Drops whole characters from the front until at most `limit` bytes remain; returns the characters dropped. */
  trimFront(limit: number): number {
    let dropped = this.dropWhole(limit);
    const excess = this.bytes - limit;
    if (excess <= 0) return dropped;
    const text = this.#texts[this.#first] as string;
    let chars = charsWithin(text, excess);
    let droppedBytes = Buffer.byteLength(text.slice(0, chars));
    if (droppedBytes < excess) {
      // The next character straddles the limit: it goes too.
      chars += isHighSurrogate(text.charCodeAt(chars)) ? 2 : 1;
      droppedBytes = Buffer.byteLength(text.slice(0, chars));
    }
    this.#texts[this.#first] = text.slice(chars);
    this.#bytes[this.#first] = (this.#bytes[this.#first] as number) - droppedBytes;
    this.bytes -= droppedBytes;
    dropped += chars;
    return dropped;
  }

  /** The kept texts, in order. */
  parts(): string[] {
    return this.#texts.slice(this.#first);
  }
}

const encoder = new TextEncoder();

/** How many UTF-16 code units of `text`, whole characters only, fit in `maxBytes` of UTF-8. */
function charsWithin(text: string, maxBytes: number): number {
  if (maxBytes <= 0) return 0;
  // Encoding a prefix that is long enough is cheaper than encoding all of a large chunk.
  return encoder.encodeInto(text.slice(0, maxBytes), new Uint8Array(maxBytes)).read;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
