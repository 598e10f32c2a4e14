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
import { headerIndex, type MarkerLimits, readMarker } from './read-marker.js';

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
   * Limits on the files the code wrote (`file` markers); without them, file markers are refused.
   * Count, total bytes and one file per path are held to as each marker arrives, before its data
   * is decoded.
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
const NONCE_PATTERN = /^[0-9a-f]{32}$/;
const NEWLINE = '\n';

/** A parser for stdout that arrives in chunks; `parseFigureMarkers` is `push(all)` + `end()`. */
export function createFigureMarkerParser(options: FigureMarkerOptions): FigureMarkerParser {
  return new MarkerParser(options);
}

/**
 * Finds the nonce's markers in the stream, wherever chunks split them, and passes the user's
 * output through. Memory stays bounded: a marker longer than the largest figure can be is
 * dropped as it grows, and only a possible start of the prefix is held back between chunks.
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
  readonly #maxMarkerChars: number;
  // Outside a marker: the end of the output that may be the start of the prefix.
  #held = '';
  // Inside a marker (after its prefix): the parts of its line seen so far; undefined outside.
  #marker: string[] | undefined;
  #markerChars = 0;
  #markerTooLong = false;
  #ended = false;
  // User output returned by push() so far, and within the current push() call: a display's
  // position is where the output stood when its marker ended.
  #emitted = 0;
  #pending = 0;

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
    this.#prefix = `@@sandplot:${options.nonce}:`;
    this.#limits = { maxFigureBytes, maxFigureSidePixels };
    const files = options.files;
    if (files !== undefined) {
      const admitted = new Set<string>();
      let totalBytes = 0;
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
    this.#maxMarkerChars = Math.ceil(maxFigureBytes / 3) * 4 + MAX_HEADER_CHARS;
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
      if (this.#marker === undefined) {
        const start = input.indexOf(this.#prefix, position);
        if (start === -1) {
          const keep = this.#possiblePrefixStart(input, position);
          output += input.slice(position, keep);
          this.#held = input.slice(keep);
          return output;
        }
        output += input.slice(position, start);
        position = start + this.#prefix.length;
        this.#marker = [];
        this.#markerChars = 0;
        this.#markerTooLong = false;
        continue;
      }
      const newline = input.indexOf(NEWLINE, position);
      if (newline === -1) {
        this.#collect(input, position, input.length);
        return output;
      }
      this.#pending = output.length;
      if (this.#marker.length === 0 && !this.#markerTooLong) {
        this.#read(input.slice(position, newline));
      } else {
        this.#collect(input, position, newline);
        this.#finishCollected();
      }
      this.#marker = undefined;
      position = newline + 1;
    }
    return output;
  }

  end(): string {
    if (this.#ended) return '';
    this.#ended = true;
    const rest = this.#held;
    this.#held = '';
    if (this.#marker !== undefined) {
      const index = this.#markerTooLong ? undefined : headerIndex(this.#marker.join(''));
      this.#problem(index, 'marker truncated: the output ended before the end of its line');
      this.#marker = undefined;
    }
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

  #collect(input: string, from: number, to: number): void {
    if (this.#markerTooLong || to === from) return;
    this.#markerChars += to - from;
    if (this.#markerChars > this.#maxMarkerChars) {
      // Dropping the parts keeps memory bounded; the marker becomes a problem at its newline.
      this.#markerTooLong = true;
      this.#marker = [];
      return;
    }
    this.#marker?.push(input.slice(from, to));
  }

  #finishCollected(): void {
    if (this.#markerTooLong) {
      this.#problem(
        undefined,
        `marker is longer than a figure of maxFigureBytes (${formatBytes(this.#limits.maxFigureBytes)}) can be`,
      );
      return;
    }
    this.#read((this.#marker ?? []).join(''));
  }

  #read(line: string): void {
    const record = readMarker(line, this.#limits);
    switch (record.kind) {
      case 'figure':
        this.figures.push(record.figure);
        return;
      case 'figure-file':
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

  #problem(index: number | undefined, reason: string): void {
    const problem: FigureProblem = { stage: 'parse', reason };
    if (index !== undefined) problem.index = index;
    this.problems.push(problem);
  }
}
