/** How figures are captured inside the sandbox. */
export interface CaptureOptions {
  /** Capture matplotlib figures. When false, figures stay open and nothing is sent. @default true */
  enabled?: boolean;
  /** Image format figures are saved in. @default 'png' */
  format?: 'png' | 'svg' | 'jpeg';
  /** Resolution figures are saved at. @default 100 */
  dpi?: number;
  /** Figures kept per execution; the rest are listed in `problems`. @default 20 */
  maxFigures?: number;
  /** Largest encoded figure kept; larger ones are listed in `problems`. @default 10485760 (10 MiB) */
  maxFigureBytes?: number;
  /**
   * How figures leave the sandbox. `'stdout'`: base64 in a marker line on stdout, which works
   * with any backend. `'files'`: saved into `.sandplot/figures/{nonce}/` in the sandbox's working
   * directory, announced by a marker of about a hundred bytes (plus the figure's chart data, see
   * `chartData`), then fetched with the session's `readFile` and removed, so stdout stays small
   * (worth it on AgentCore, where stdout also travels in the model-facing result).
   * @default 'stdout'
   */
  transport?: 'stdout' | 'files';
  /**
   * Read each figure's chart data in the sandbox (titles, labels, scales and the plotted series,
   * bounded in size) into `chart`, which the execute_python tool summarises for the model. See
   * docs/figure-capture.md, "Chart data".
   * @default true
   */
  chartData?: boolean;
  /**
   * Largest width or height of a figure, in pixels (figure size in inches × `dpi`). A larger
   * figure is not rendered and is listed in `problems`: drawing it costs seconds and hundreds of
   * MB, and model APIs refuse images over 8000 px a side. The host checks PNG and JPEG sizes in
   * the image data again.
   * @default 8000
   */
  maxFigureSidePixels?: number;
  /**
   * Crop each figure to what is drawn on it, plus a tenth of an inch (as Jupyter's inline backend
   * does with `bbox_inches='tight'`), so labels that reach past the canvas, such as rotated tick
   * labels, are not cut off. False keeps the exact canvas size (`figsize` × `dpi`).
   * @default true
   */
  tightBoundingBox?: boolean;
}
