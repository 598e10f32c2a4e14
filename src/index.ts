/**
 * `sandplot`: the core. `CodeSandbox` and the sandbox pool, the local backend, the base64,
 * local-folder and fallback image sinks, the framework-neutral execute_python tool, figure capture
 * (`wrapPythonCode`, `parseFigureMarkers`), the errors and the shared types. It imports no
 * optional peer dependency.
 *
 * @module sandplot
 */
export type { LocalBackendOptions } from './backends/local.js';
export { localBackend } from './backends/local.js';
export type {
  BackendRunOptions,
  BackendRunResult,
  BackendSession,
  SandboxBackend,
  SandboxFile,
} from './backends/types.js';
export type { ChartSummaryOptions } from './capture/chart-summary.js';
export { summarizeChart } from './capture/chart-summary.js';
export type {
  FigureMarkerOptions,
  FigureMarkerParser,
  ParsedFigureMarkers,
} from './capture/parse-markers.js';
export { createFigureMarkerParser, parseFigureMarkers } from './capture/parse-markers.js';
export type { WrapCodeOptions } from './capture/wrap-code.js';
export { createNonce, wrapPythonCode } from './capture/wrap-code.js';
export type {
  InvalidInputErrorOptions,
  SandboxPoolErrorCode,
  SandplotErrorCode,
  SandplotErrorOptions,
} from './errors/index.js';
export {
  AbortError,
  BackendError,
  ConfigError,
  InvalidInputError,
  SandboxPoolBusyError,
  SandplotError,
  SessionError,
  SessionStoreError,
  SinkError,
  TimeoutError,
} from './errors/index.js';
export type {
  ExecutionSpan,
  ExecutionSpanInfo,
} from './observability/execution-span.js';
export {
  EXECUTION_SPAN_ATTRIBUTES,
  withExecutionSpan,
} from './observability/execution-span.js';
export type { HtmlReportOptions } from './report/html-report.js';
export { renderHtmlReport } from './report/html-report.js';
export { CodeSandbox } from './sandbox/code-sandbox.js';
export type { CodeSandboxOptions, WriteFilesOptions } from './sandbox/code-sandbox-options.js';
export type { InputFileInfo } from './sandbox/input-files.js';
export type {
  PoolExecuteOptions,
  PoolRateLimits,
  SandboxPool,
  SandboxPoolOptions,
  SandboxPoolStats,
} from './sandbox/pool.js';
export { createSandboxPool } from './sandbox/pool.js';
export { base64Sink } from './sinks/base64.js';
export { fallbackSink } from './sinks/fallback.js';
export type { LocalDirSinkOptions } from './sinks/local-dir.js';
export { localDirSink } from './sinks/local-dir.js';
export type { ImageSink, ImageSinkContext } from './sinks/types.js';
export { memorySessionStore } from './stores/memory.js';
export type {
  SessionStore,
  SessionStoreLock,
  SessionStoreLockOptions,
  SlotClaim,
  SlotClaimResult,
  StoreRateLimiter,
  StoreRateLimiterOptions,
} from './stores/types.js';
export { createExecutePythonTool } from './tool/execute-python.js';
export type {
  FigureLedger,
  LedgerFigure,
  LedgerFile,
  RenderFigureLinksOptions,
} from './tool/figure-ledger.js';
export {
  forgetFigureLedger,
  getFigureLedger,
  isShareableUrl,
  renderFigureLinks,
} from './tool/figure-ledger.js';
export type { RenderFileLinksOptions } from './tool/file-links.js';
export { renderFileLinks } from './tool/file-links.js';
export type { ConversationIdOption, ExecutePythonPool } from './tool/pool-target.js';
export { isExecutePythonPool } from './tool/pool-target.js';
export type { JsonSchema } from './tool/tool-input.js';
export { executePythonInputSchema } from './tool/tool-input.js';
export { DEFAULT_TOOL_DESCRIPTION } from './tool/tool-options.js';
export type {
  ExecutePythonInput,
  ExecutePythonSandbox,
  ExecutePythonTarget,
  ExecutePythonTool,
  ExecutePythonToolOptions,
  ExecutePythonToolOutput,
  InvokeOptions,
  ToolImage,
} from './tool/tool-types.js';
export type {
  BarSeries,
  CapturedFigure,
  CapturedFile,
  CaptureOptions,
  ChartAxes,
  ChartSeries,
  ChartValue,
  DisplayTable,
  ExecuteOptions,
  ExecutionDisplay,
  ExecutionResult,
  FigureChart,
  FigureMediaType,
  FigureProblem,
  FileFigure,
  LineSeries,
  OutputFileOptions,
  PieSeries,
  PythonError,
  ScatterSeries,
  StoredFigure,
  StoredFile,
  TableCell,
} from './types/index.js';
