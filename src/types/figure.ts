import type { FigureChart } from './chart.js';

/** Media types a captured figure can have. */
export type FigureMediaType = 'image/png' | 'image/svg+xml' | 'image/jpeg';

/** A figure as it left the sandbox: checked bytes, not yet stored. */
export interface CapturedFigure {
  /** 0-based position among the figures of one execution, in the order the code made them. */
  index: number;
  mediaType: FigureMediaType;
  data: Uint8Array;
  /** Pixel width, when known. */
  width?: number;
  /** Pixel height, when known. */
  height?: number;
  /** The figure's suptitle or first axes title, when it has one. */
  title?: string;
  /** What the figure shows, read from its artists (`capture.chartData`). */
  chart?: FigureChart;
  /**
   * Why the figure has no `chart` although chart data was on: reading it failed in the sandbox,
   * it was too large, or the host refused it as malformed. The figure itself is unaffected.
   */
  chartProblem?: string;
}

/**
 * A figure the sandbox announced without its bytes (`capture.transport: 'files'`): everything but
 * `data`, which is fetched from the sandbox.
 */
export type FileFigure = Omit<CapturedFigure, 'data'>;

/** A figure after a sink stored it. */
export interface StoredFigure extends Omit<CapturedFigure, 'data'> {
  /** Name of the sink that stored it (for `fallbackSink`, the one that succeeded). */
  sink: string;
  /** Where the figure can be fetched: `data:` URL, `file://` URL, or an http(s) URL. */
  url: string;
  byteLength: number;
  /** Object key, for object-store sinks. */
  key?: string;
  /** Absolute file path, for file-system sinks. */
  path?: string;
  /** When `url` stops working, for signed URLs. */
  expiresAt?: Date;
  /** The bytes, when the sink keeps them at hand (the base64 sink does). */
  data?: Uint8Array;
}

/** A figure or file that could not be captured, parsed or stored, and why. Never silent. */
export interface FigureProblem {
  /** The figure's index, when the problem concerns one figure. */
  index?: number;
  /** The file's path (relative to the working directory), when the problem concerns a file. */
  path?: string;
  stage: 'capture' | 'parse' | 'store';
  /** The sink that failed, for `store` problems. */
  sink?: string;
  /** A plain string: an Error's message, never the Error object. */
  reason: string;
}
