import {
  AbortError,
  ConfigError,
  errorMessage,
  SandplotError,
  SinkError,
} from '../errors/index.js';
import { DEFAULT_SINK_CONCURRENCY, type ImageSink } from './types.js';

/**
 * Tries each sink in order until one stores the figure. Every failure on the way is reported as a
 * `store` problem naming the sink and the reason, so `ExecutionResult.problems` says why, say, S3
 * was skipped. When all fail, throws a `SinkError` listing each reason.
 */
export function fallbackSink(...sinks: ImageSink[]): ImageSink {
  if (sinks.length === 0) {
    throw new ConfigError(
      'fallbackSink needs at least one sink, e.g. fallbackSink(s3Sink({ bucket }), base64Sink()).',
    );
  }
  const name = `fallback(${sinks.map((sink) => sink.name).join(',')})`;
  const concurrency = Math.max(
    ...sinks.map((sink) => sink.concurrency ?? DEFAULT_SINK_CONCURRENCY),
  );
  return {
    name,
    concurrency,
    async put(figure, context) {
      const failures: string[] = [];
      for (const sink of sinks) {
        if (context.abortSignal?.aborted) {
          throw new AbortError(
            `${name} stopped storing figure ${figure.index}: the call was aborted.`,
            {
              cause: context.abortSignal.reason,
            },
          );
        }
        try {
          return await sink.put(figure, context);
        } catch (error) {
          // An abort is the caller's decision, not a sink failure to fall back from.
          if (SandplotError.isInstance(error) && error.code === 'ABORTED') throw error;
          const reason = errorMessage(error);
          failures.push(`${sink.name}: ${reason}`);
          context.reportProblem({ index: figure.index, stage: 'store', sink: sink.name, reason });
        }
      }
      throw new SinkError(
        name,
        `Every sink failed to store figure ${figure.index}: ${failures.join('; ')}`,
      );
    },
  };
}
