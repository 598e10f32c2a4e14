import type * as OpenTelemetry from '@opentelemetry/api';
import type { ExecutionResult } from '../types/index.js';

/** What is known about an execution before it runs. */
export interface ExecutionSpanInfo {
  /** The tool's name as the model sees it. @default 'execute_python' */
  toolName?: string;
  /** The backend's name: `local`, `agentcore`, ... */
  backend: string;
  /** The code as sent (its UTF-8 size is recorded, never the code itself). */
  code: string;
  /** The conversation (pool) the execution belongs to, when there is one. */
  conversationId?: string;
  /** The framework's id of this tool call, when there is one. */
  toolCallId?: string;
  /** The tool call's description, when the model gave one. */
  description?: string;
}

/** The part of a span the callback may add to. */
export interface ExecutionSpan {
  setAttribute(key: string, value: string | number | boolean): void;
}

/** Attribute names set on every execution span. */
export const EXECUTION_SPAN_ATTRIBUTES = {
  operationName: 'gen_ai.operation.name',
  toolName: 'gen_ai.tool.name',
  toolType: 'gen_ai.tool.type',
  toolCallId: 'gen_ai.tool.call.id',
  conversationId: 'gen_ai.conversation.id',
  backend: 'sandplot.backend',
  sessionId: 'sandplot.session.id',
  codeBytes: 'sandplot.code.bytes',
  durationMs: 'sandplot.duration_ms',
  figureCount: 'sandplot.figure.count',
  problemCount: 'sandplot.figure.problem_count',
  isError: 'sandplot.is_error',
  sessionRestarted: 'sandplot.session.restarted',
  errorType: 'error.type',
} as const;

const NO_SPAN: ExecutionSpan = { setAttribute() {} };

let api: Promise<typeof OpenTelemetry | undefined> | undefined;

/**
 * `@opentelemetry/api` when it is installed, else undefined (tracing is then a no-op). Loaded once;
 * the core never needs it.
 */
function loadApi(): Promise<typeof OpenTelemetry | undefined> {
  api ??= import('@opentelemetry/api').then(
    // The ESM build's default export holds only the API singletons; CJS interop may nest all.
    (module) =>
      ('trace' in module && 'SpanStatusCode' in module
        ? module
        : (module as unknown as { default: typeof OpenTelemetry }).default) as typeof OpenTelemetry,
    () => undefined,
  );
  return api;
}

/**
 * Runs one execution inside an OpenTelemetry span named `execute_tool {toolName}` (the GenAI
 * semantic conventions AgentCore Observability reads), with the tool name, backend, session id,
 * code size, duration, figure count, `isError` and `sessionRestarted` as attributes. Without
 * `@opentelemetry/api` installed, or without an SDK registered, it just runs `run`.
 *
 * `sessionId` is read after the run (the session may start or be replaced during it).
 */
export async function withExecutionSpan(
  info: ExecutionSpanInfo,
  run: (span: ExecutionSpan) => Promise<ExecutionResult>,
  after: { sessionId?: () => string | undefined } = {},
): Promise<ExecutionResult> {
  const otel = await loadApi();
  if (otel === undefined) return run(NO_SPAN);
  const toolName = info.toolName ?? 'execute_python';
  const names = EXECUTION_SPAN_ATTRIBUTES;
  const attributes: OpenTelemetry.Attributes = {
    [names.operationName]: 'execute_tool',
    [names.toolName]: toolName,
    [names.toolType]: 'function',
    [names.backend]: info.backend,
    [names.codeBytes]: Buffer.byteLength(info.code, 'utf8'),
  };
  if (info.conversationId !== undefined) attributes[names.conversationId] = info.conversationId;
  if (info.toolCallId !== undefined) attributes[names.toolCallId] = info.toolCallId;
  if (info.description !== undefined) attributes['gen_ai.tool.description'] = info.description;
  const tracer = otel.trace.getTracer('sandplot');
  return tracer.startActiveSpan(
    `execute_tool ${toolName}`,
    { kind: otel.SpanKind.INTERNAL, attributes },
    async (span) => {
      try {
        const result = await run(span);
        const sessionId = after.sessionId?.();
        if (sessionId) span.setAttribute(names.sessionId, sessionId);
        span.setAttributes({
          [names.durationMs]: result.durationMs,
          [names.figureCount]: result.figures.length,
          [names.problemCount]: result.problems.length,
          [names.isError]: result.isError,
          [names.sessionRestarted]: result.sessionRestarted === true,
        });
        if (result.isError) {
          const type = result.error?.name ?? 'PythonError';
          span.setAttribute(names.errorType, type);
          // The developer's advice (which option allows more time) belongs in the trace.
          const hint = result.error?.hint;
          span.setStatus({
            code: otel.SpanStatusCode.ERROR,
            message: hint === undefined ? type : `${type}: ${hint}`,
          });
        }
        return result;
      } catch (error) {
        const sessionId = after.sessionId?.();
        if (sessionId) span.setAttribute(names.sessionId, sessionId);
        const code = (error as { code?: unknown })?.code;
        span.setAttribute(
          names.errorType,
          typeof code === 'string' ? code : ((error as Error)?.name ?? 'Error'),
        );
        if (error instanceof Error) span.recordException(error);
        span.setStatus({
          code: otel.SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
