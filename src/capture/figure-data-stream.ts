import type { CapturedFigure, FileFigure } from '../types/index.js';
import { checkFigureData, type FigureDataLimits } from './check-figure-data.js';
import { formatBytes } from './format-bytes.js';
import { createSvgCheck, type SvgCheck } from './svg-safety.js';

/**
 * A `figure` marker's data as it streams in: the base64 is decoded chunk by chunk and an SVG is
 * checked as its bytes arrive, so that no single chunk costs more than its own size, however
 * large the figure (the old way, joining the text and decoding and checking it at the newline,
 * blocked the event loop for the whole figure at once). An SVG found unsafe is dropped at once.
 */
export class FigureDataStream {
  readonly #figure: FileFigure;
  readonly #limits: Required<FigureDataLimits>;
  readonly #svg: SvgCheck | undefined;
  readonly #chunks: Buffer[] = [];
  #bytes = 0;
  // Base64 characters that do not make a whole group of four yet.
  #carry = '';
  #chars = 0;
  // The last characters pushed: the data's padding, and a '\r' before the newline.
  #tail = '';
  #padded = false;
  #invalid = false;

  constructor(figure: FileFigure, limits: Required<FigureDataLimits>) {
    this.#figure = figure;
    this.#limits = limits;
    this.#svg = figure.mediaType === 'image/svg+xml' ? createSvgCheck() : undefined;
  }

  /** The next base64 characters of the marker's data. */
  push(text: string): void {
    this.#chars += text.length;
    this.#tail = (this.#tail + text.slice(-3)).slice(-3);
    if (this.#invalid) return;
    const pending = this.#carry + text;
    const whole = pending.length - (pending.length % 4);
    this.#carry = pending.slice(whole);
    if (whole > 0) this.#decode(pending.slice(0, whole));
  }

  /** The figure, checked like any other (`checkFigureData`), or why it was refused. */
  end(): CapturedFigure | string {
    // A '\r' before the newline is the line's end, not data.
    const carriageReturn = this.#tail.endsWith('\r');
    const carry = carriageReturn ? this.#carry.slice(0, -1) : this.#carry;
    const tail = carriageReturn ? this.#tail.slice(0, -1) : this.#tail;
    const chars = this.#chars - (carriageReturn ? 1 : 0);
    const byteLength = Math.floor(chars / 4) * 3 - padding(tail);
    const { maxFigureBytes } = this.#limits;
    if (byteLength > maxFigureBytes) {
      return `${formatBytes(byteLength)} is over maxFigureBytes (${formatBytes(maxFigureBytes)})`;
    }
    if (this.#invalid || carry !== '') return 'the image data is not valid base64';
    // One chunk (the whole line arrived at once) is used as it is: no copy.
    const data =
      this.#chunks.length === 1
        ? (this.#chunks[0] as Buffer)
        : Buffer.concat(this.#chunks, this.#bytes);
    this.#chunks.length = 0;
    return checkFigureData(this.#figure, data, this.#limits, this.#svg);
  }

  // Node's decoder skips characters outside the alphabet and stops at padding, so decoded
  // bytes short of what the text's length promises mean the text was not base64 (it also reads
  // the URL-safe alphabet, which encodes the same bytes). Padding ends the data.
  #decode(text: string): void {
    const expected = (text.length / 4) * 3 - padding(text);
    const bytes = Buffer.from(text, 'base64');
    if (this.#padded || bytes.length !== expected) {
      this.#drop();
      return;
    }
    this.#padded = text.endsWith('=');
    if (this.#svg !== undefined) {
      this.#svg.push(bytes);
      // A refused SVG is refused whatever follows: its bytes are not kept.
      if (this.#svg.refusal !== undefined) {
        this.#chunks.length = 0;
        return;
      }
    }
    this.#chunks.push(bytes);
    this.#bytes += bytes.length;
  }

  /** Lets go of the data held so far: the figure is refused whatever else arrives. */
  discard(): void {
    this.#drop();
  }

  #drop(): void {
    this.#invalid = true;
    this.#chunks.length = 0;
  }
}

function padding(text: string): number {
  if (!text.endsWith('=')) return 0;
  return text.endsWith('==') ? 2 : 1;
}
