import { InvalidInputError } from '../errors/index.js';
import type {
  CapturedFigure,
  CapturedFile,
  ExecutionDisplay,
  FigureProblem,
  FileFigure,
  PythonError,
} from '../types/index.js';
import { DEFAULT_CAPTURE } from './capture-options.js';
import { formatBytes } from './format-bytes.js';
import { DISPLAY_LIMITS } from './read-display.js';
import {
  headIndex,
  type MarkerHead,
  type MarkerLimits,
  type MarkerRecord,
  readMarkerEnd,
  readMarkerHead,
} from './read-marker.js';

export interface FigureMarkerOptions {
  /** The nonce the code was wrapped with: only markers carrying it are read. */
  nonce: string;
  /** Largest decoded figure accepted; larger ones are listed in `problems`. @default 10485760 (10 MiB) */
  maxFigureBytes?: number;
  /**
   * Largest width or height accepted, in pixels, checked in the PNG or JPEG data itself; larger
   * figures are listed in `problems`. @default 8000
   */
  maxFigureSidePixels?: number;
  /**
   * Most figures (`figure` and `figure-file` markers) accepted, and at most one per index;
   * further ones are listed in `problems` as their headers arrive, before their data is held.
   * @default no limit
   */
  maxFigures?: number;
  /**
   * Limits on the files the code wrote (`file` markers); without them, file markers are refused.
   * Count, total bytes and one file per path are held to as each header arrives, before its data
   * is held.
   */
  files?: { maxFiles: number; maxFileBytes: number; maxTotalBytes: number };
}

/** Reads markers out of stdout as it arrives, in chunks split anywhere. */
export interface FigureMarkerParser {
  /** Takes the next chunk; returns the user output that is final so far. */
  push(chunk: string): string;
  /** Ends the stream; returns the rest of the user output. A marker left open is a problem. */
  end(): string;
  readonly figures: CapturedFigure[];
  /** Figures announced by `figure-file` markers, in the order they arrived. */
  readonly fileFigures: FileFigure[];
  readonly problems: FigureProblem[];
  readonly error: PythonError | undefined;
  /** What the cell showed (its last value, display() calls), with positions in the user output. */
  readonly displays: ExecutionDisplay[];
  /** The run installed the prelude: the interpreter had not run wrapped code before. */
  readonly freshInterpreter: boolean;
  /** Files the code wrote, with their bytes, in the order they arrived. */
  readonly files: CapturedFile[];
  /** Files the code wrote that stayed in the sandbox (transport 'files'): their paths. */
  readonly fileRefs: string[];
}

// Room for a marker's kind and JSON header (an error's traceback can be long).
const MAX_HEADER_CHARS = 4 * 1024 * 1024;
// A marker's kind is what comes before its first ':', within its first 16 characters.
const MAX_KIND_CHARS = 15;
const NONCE_PATTERN = /^[0-9a-f]{32}$/;
const NEWLINE = '\n';

/** A parser for stdout that arrives in chunks; `parseFigureMarkers` is `push(all)` + `end()`. */
export function createFigureMarkerParser(options: FigureMarkerOptions): FigureMarkerParser {
  return new MarkerParser(options);
}

/**
 * Where the parser is: outside a marker; reading its kind and header (up to its second ':');
 * reading its data; counting the data of a figure found too large, without holding it; or
 * skipping the rest of a marker already refused.
 */
type Phase = 'outside' | 'head' | 'data' | 'oversized' | 'skip';

/**
 * Finds the nonce's markers in the stream, wherever chunks split them, and passes the user's
 * output through. Memory stays bounded: a figure's header is read as soon as it is complete,
 * so a figure over `maxFigures`, with a repeated index or with a bad header is refused before
 * its data is held, and data longer than the largest figure can be is dropped as it grows. Only
 * a possible start of the prefix is held back between chunks.
 */
class MarkerParser implements FigureMarkerParser {
  readonly figures: CapturedFigure[] = [];
  readonly fileFigures: FileFigure[] = [];
  readonly problems: FigureProblem[] = [];
  readonly displays: ExecutionDisplay[] = [];
  readonly files: CapturedFile[] = [];
  readonly fileRefs: string[] = [];
  error: PythonError | undefined;
  freshInterpreter = false;

  readonly #prefix: string;
  readonly #limits: MarkerLimits;
  // A file marker's base64 data, held until its end (bounded by maxFileBytes).
  #fileData: string[] = [];
  #maxFileDataChars = 0;
  // User output returned by push() so far, and within the current push(): a display's position
  // is where the output stood when its marker ended.
  #emitted = 0;
  #pending = 0;
  readonly #maxFigures: number | undefined;
  readonly #maxDataChars: number;
  // Indices of the figures read so far (kept to maxFigures and one figure per index).
  readonly #admitted = new Set<number>();
  // Outside a marker: the end of the output that may be the start of the prefix.
  #held = '';
  #phase: Phase = 'outside';
  // In the head: the kind once its ':' was seen, and the text since (the kind, then the header).
  #kind: string | undefined;
  #headParts: string[] = [];
  #headChars = 0;
  // In the data: what the head said (a figure's holds its data stream), and the data seen.
  #head: MarkerHead | undefined;
  #dataChars = 0;
  // The data's last characters: its padding, and a '\r' before the newline.
  #dataTail = '';
  #ended = false;

  constructor(options: FigureMarkerOptions) {
    if (typeof options?.nonce !== 'string' || !NONCE_PATTERN.test(options.nonce)) {
      throw new InvalidInputError(
        'nonce must be the 32 lowercase hex characters the code was wrapped with',
      );
    }
    const maxFigureBytes = options.maxFigureBytes ?? DEFAULT_CAPTURE.maxFigureBytes;
    if (!Number.isSafeInteger(maxFigureBytes) || maxFigureBytes < 1) {
      throw new InvalidInputError(
        `maxFigureBytes must be a whole number >= 1, got ${maxFigureBytes}`,
      );
    }
    const maxFigureSidePixels = options.maxFigureSidePixels ?? DEFAULT_CAPTURE.maxFigureSidePixels;
    if (!Number.isSafeInteger(maxFigureSidePixels) || maxFigureSidePixels < 1) {
      throw new InvalidInputError(
        `maxFigureSidePixels must be a whole number >= 1, got ${maxFigureSidePixels}`,
      );
    }
    const { maxFigures } = options;
    if (maxFigures !== undefined && (!Number.isSafeInteger(maxFigures) || maxFigures < 0)) {
      throw new InvalidInputError(`maxFigures must be a whole number >= 0, got ${maxFigures}`);
    }
    this.#prefix = `@@sandplot:${options.nonce}:`;
    this.#limits = { maxFigureBytes, maxFigureSidePixels };
    const files = options.files;
    if (files !== undefined) {
      const admitted = new Set<string>();
      let totalBytes = 0;
      this.#maxFileDataChars = Math.ceil(files.maxFileBytes / 3) * 4 + 1;
      this.#limits.files = {
        maxFileBytes: files.maxFileBytes,
        // The sandbox keeps these limits itself; code that read the nonce could print more.
        admit: (path, byteLength) => {
          if (admitted.has(path)) return 'a second file with the same path was refused';
          if (admitted.size >= files.maxFiles) {
            return `over maxFiles (${files.maxFiles}): not collected`;
          }
          if (totalBytes + byteLength > files.maxTotalBytes) {
            return `the files of this call would be over maxTotalBytes (${formatBytes(files.maxTotalBytes)}): not collected`;
          }
          admitted.add(path);
          totalBytes += byteLength;
          return undefined;
        },
      };
    }
    this.#maxFigures = maxFigures;
    // The base64 of the largest figure, and a '\r' before the newline.
    this.#maxDataChars = Math.ceil(maxFigureBytes / 3) * 4 + 1;
  }

  push(chunk: string): string {
    const output = this.#push(chunk);
    this.#emitted += output.length;
    return output;
  }

  #push(chunk: string): string {
    if (this.#ended) throw new InvalidInputError('push() was called after end()');
    if (typeof chunk !== 'string') {
      throw new InvalidInputError(`push() takes a string, got ${typeof chunk}`);
    }
    let input = chunk;
    if (this.#held !== '') {
      input = this.#held + chunk;
      this.#held = '';
    }
    let output = '';
    let position = 0;
    while (position < input.length) {
      if (this.#phase === 'outside') {
        const start = input.indexOf(this.#prefix, position);
        if (start === -1) {
          const keep = this.#possiblePrefixStart(input, position);
          output += input.slice(position, keep);
          this.#held = input.slice(keep);
          return output;
        }
        output += input.slice(position, start);
        position = start + this.#prefix.length;
        this.#reset('head');
        continue;
      }
      const newline = input.indexOf(NEWLINE, position);
      const lineEnd = newline === -1 ? input.length : newline;
      if (this.#phase === 'head') position = this.#readHead(input, position, lineEnd);
      if (this.#phase !== 'head') this.#readData(input, position, lineEnd);
      if (newline === -1) return output;
      this.#pending = output.length;
      this.#finishMarker();
      position = newline + 1;
    }
    return output;
  }

  end(): string {
    if (this.#ended) return '';
    this.#ended = true;
    const rest = this.#held;
    this.#held = '';
    if (this.#phase === 'oversized' && this.#head !== undefined) {
      this.#oversized(this.#head);
    } else if (this.#phase === 'head' || this.#phase === 'data') {
      const index = this.#head === undefined ? undefined : headIndex(this.#head);
      this.#problem(index, 'marker truncated: the output ended before the end of its line');
    }
    this.#reset('outside');
    return rest;
  }

  // Smallest position from which the end of `input` could still grow into the prefix.
  #possiblePrefixStart(input: string, from: number): number {
    let candidate = input.indexOf('@', Math.max(from, input.length - this.#prefix.length + 1));
    while (candidate !== -1) {
      if (this.#prefix.startsWith(input.slice(candidate))) return candidate;
      candidate = input.indexOf('@', candidate + 1);
    }
    return input.length;
  }

  #reset(phase: Phase): void {
    this.#phase = phase;
    this.#kind = undefined;
    this.#headParts = [];
    this.#headChars = 0;
    this.#head = undefined;
    this.#dataChars = 0;
    this.#dataTail = '';
    this.#fileData = [];
  }

  // Reads the kind and header from input[from, to); returns where the data starts once the
  // header's closing ':' is seen (the phase moves on), or `to`.
  #readHead(input: string, from: number, to: number): number {
    let position = from;
    while (this.#phase === 'head') {
      const found = input.indexOf(':', position);
      const colon = found !== -1 && found < to ? found : -1;
      const end = colon === -1 ? to : colon;
      this.#headParts.push(input.slice(position, end));
      this.#headChars += end - position;
      if (this.#kind === undefined && this.#headChars > MAX_KIND_CHARS) {
        this.#refuse(undefined, 'malformed marker: expected {kind}:{header}:{data}');
        return to;
      }
      if (this.#headChars > MAX_HEADER_CHARS) {
        this.#refuse(undefined, this.#tooLong());
        return to;
      }
      if (colon === -1) {
        return to;
      } else if (this.#kind === undefined) {
        this.#kind = this.#headParts.join('');
        this.#headParts = [];
        this.#headChars = 0;
      } else {
        this.#readHeader(this.#kind, this.#headParts.join(''));
      }
      position = colon + 1;
    }
    return position;
  }

  #readHeader(kind: string, header: string): void {
    this.#headParts = [];
    const head = readMarkerHead(kind, header, this.#limits, (index) => this.#admission(index));
    if (head.kind === 'fault') {
      this.#refuse(head.index, head.reason);
      return;
    }
    this.#head = head;
    this.#phase = 'data';
  }

  // Host-side limits on what the sandbox announced, whatever printed it: code that read the
  // nonce can print markers of its own, which could pass maxFigures (and fill a sink) or reuse
  // an index (and overwrite a stored figure: sink keys and file names are built from it).
  #admission(index: number): string | undefined {
    if (this.#maxFigures === undefined) return undefined;
    if (this.#admitted.has(index)) return 'a second figure with the same index was refused';
    if (this.#admitted.size >= this.#maxFigures) {
      return `over the limit of figures per call (maxFigures: ${this.#maxFigures}), refused`;
    }
    return undefined;
  }

  #readData(input: string, from: number, to: number): void {
    const head = this.#head;
    if ((this.#phase !== 'data' && this.#phase !== 'oversized') || to === from || !head) return;
    this.#dataChars += to - from;
    this.#dataTail = (this.#dataTail + input.slice(Math.max(from, to - 3), to)).slice(-3);
    if (head.kind === 'file' && this.#phase === 'data') {
      if (this.#dataChars > this.#maxFileDataChars) {
        this.#phase = 'oversized';
        this.#fileData = [];
        return;
      }
      this.#fileData.push(input.slice(from, to));
      return;
    }
    if (head.kind !== 'figure' || this.#phase === 'oversized') return;
    if (this.#dataChars > this.#maxDataChars) {
      // Dropping the data keeps memory bounded; the rest is only counted, for the problem.
      this.#phase = 'oversized';
      head.data.discard();
      return;
    }
    head.data.push(input.slice(from, to));
  }

  #tooLong(): string {
    return `marker is longer than a figure of maxFigureBytes (${formatBytes(this.#limits.maxFigureBytes)}) can be`;
  }

  // The marker's data length without its line end, and its base64 padding.
  #dataLength(): { chars: number; padding: number } {
    const tail = this.#dataTail.endsWith('\r') ? this.#dataTail.slice(0, -1) : this.#dataTail;
    const chars = this.#dataChars - (this.#dataTail.length - tail.length);
    const padding = tail.endsWith('==') ? 2 : tail.endsWith('=') ? 1 : 0;
    return { chars, padding };
  }

  #oversized(head: MarkerHead): void {
    if (head.kind === 'file') {
      this.problems.push({
        stage: 'parse',
        path: head.path,
        reason: `${JSON.stringify(head.path)}: the data is longer than the announced size`,
      });
      return;
    }
    const { chars, padding } = this.#dataLength();
    const bytes = Math.floor(chars / 4) * 3 - padding;
    const { maxFigureBytes } = this.#limits;
    const index = headIndex(head);
    this.#problem(
      index,
      `figure ${index === undefined ? '?' : index + 1}: ${formatBytes(bytes)} is over maxFigureBytes (${formatBytes(maxFigureBytes)})`,
    );
  }

  #finishMarker(): void {
    const head = this.#head;
    if (this.#phase === 'head') {
      this.#problem(undefined, 'malformed marker: expected {kind}:{header}:{data}');
    } else if (this.#phase === 'oversized' && head !== undefined) {
      this.#oversized(head);
    } else if (this.#phase === 'data' && head !== undefined) {
      this.#record(readMarkerEnd(head, this.#dataLength().chars > 0, this.#fileData.join('')));
    }
    this.#reset('outside');
  }

  #record(record: MarkerRecord): void {
    switch (record.kind) {
      case 'figure':
        this.#admitted.add(record.figure.index);
        this.figures.push(record.figure);
        return;
      case 'figure-file':
        this.#admitted.add(record.figure.index);
        this.fileFigures.push(record.figure);
        return;
      case 'error':
        if (this.error === undefined) {
          this.error = record.error;
        } else {
          const { name, value } = record.error;
          this.#problem(
            undefined,
            `a second error marker (${name}: ${value}) was ignored; the first is kept`,
          );
        }
        return;
      case 'problem':
        this.problems.push(record.problem);
        return;
      case 'display':
        if (this.displays.length >= DISPLAY_LIMITS.maxDisplays) {
          this.#problem(
            undefined,
            `a display over the limit of ${DISPLAY_LIMITS.maxDisplays} per execution was left out`,
          );
        } else {
          this.displays.push({ ...record.display, position: this.#emitted + this.#pending });
        }
        return;
      case 'fresh':
        this.freshInterpreter = true;
        return;
      case 'file':
        this.files.push(record.file);
        return;
      case 'file-ref':
        this.fileRefs.push(record.path);
        return;
      case 'fault':
        this.#problem(record.index, record.reason);
    }
  }

  // A marker refused before its end: the problem now, and the rest of its line skipped unheld.
  #refuse(index: number | undefined, reason: string): void {
    this.#problem(index, reason);
    this.#reset('skip');
  }

  #problem(index: number | undefined, reason: string): void {
    const problem: FigureProblem = { stage: 'parse', reason };
    if (index !== undefined) problem.index = index;
    this.problems.push(problem);
  }
}
