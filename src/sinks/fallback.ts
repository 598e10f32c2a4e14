import {
  AbortError,
  ConfigError,
  errorMessage,
  SandplotError,
  SinkError,
} from '../errors/index.js';
import { DEFAULT_SINK_CONCURRENCY, type ImageSink, type ImageSinkContext } from './types.js';

/**
 * Tries each sink in order until one stores the figure (or file: among the sinks that store files).
 * Every failure on the way is reported as a `store` problem naming the sink and the reason, so
 * `ExecutionResult.problems` says why, say, S3 was skipped. When all fail, throws a `SinkError`
 * listing each reason.
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
      return firstThatStores(
        sinks,
        name,
        `figure ${figure.index + 1}`,
        context,
        { index: figure.index },
        (sink) => sink.put(figure, context),
      );
    },
    async putFile(file, context) {
      const able = sinks.filter((sink) => sink.putFile !== undefined);
      if (able.length === 0) {
        throw new SinkError(name, `None of the sinks of ${name} can store files.`);
      }
      return firstThatStores(
        able,
        name,
        `file ${JSON.stringify(file.path)}`,
        context,
        { path: file.path },
        (sink) => (sink.putFile as NonNullable<ImageSink['putFile']>)(file, context),
      );
    },
  };
}

/**
 * Tries `store` on each sink in order; each failure is reported as a `store` problem naming the
 * sink. An abort stops at once: it is the caller's decision, not a failure to fall back from.
 */
async function firstThatStores<T>(
  sinks: ImageSink[],
  name: string,
  what: string,
  context: ImageSinkContext,
  about: { index?: number; path?: string },
  store: (sink: ImageSink) => Promise<T>,
): Promise<T> {
  const failures: string[] = [];
  for (const sink of sinks) {
    if (context.abortSignal?.aborted) {
      throw new AbortError(`${name} stopped storing ${what}: the call was aborted.`, {
        cause: context.abortSignal.reason,
      });
    }
    try {
      return await store(sink);
    } catch (error) {
      if (SandplotError.isInstance(error) && error.code === 'ABORTED') throw error;
      const reason = errorMessage(error);
      failures.push(`${sink.name}: ${reason}`);
      context.reportProblem({ ...about, stage: 'store', sink: sink.name, reason });
    }
  }
  throw new SinkError(name, `Every sink failed to store ${what}: ${failures.join('; ')}`);
}
