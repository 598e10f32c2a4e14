import type { ImageSinkContext } from '../../src/sinks/types.js';
import type { CapturedFigure } from '../../src/types/index.js';
import { tinyPng } from './png.js';

/** The context CodeSandbox gives a sink for one execution of session `session-1`. */
export function sinkContext(
  executionId: string,
  extra: Partial<ImageSinkContext> = {},
): ImageSinkContext {
  return { executionId, sessionId: 'session-1', reportProblem: () => {}, ...extra };
}

/** A 1×1 PNG figure at `index`. */
export function pngFigure(index: number, title?: string): CapturedFigure {
  return {
    index,
    mediaType: 'image/png',
    data: tinyPng,
    width: 1,
    height: 1,
    ...(title === undefined ? {} : { title }),
  };
}
