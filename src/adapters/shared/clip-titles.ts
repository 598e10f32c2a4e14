import { MAX_TITLE_CHARS } from '../../tool/figure-ledger.js';
import { clipLine } from '../../tool/text.js';
import type { ExecutionResult } from '../../types/index.js';

// The model's `description` of a call, as MCP resources repeat it.
const MAX_DESCRIPTION_CHARS = 500;

/**
 * The execution's result with each figure title as the model saw it (one line, at most 200
 * characters), for adapters that hand the result on (LangChain's artifact): the code chose the
 * titles, and whoever stores or shows the artifact should not get a megabyte of one.
 */
export function withClippedTitles(result: ExecutionResult): ExecutionResult {
  if (result.figures.every((figure) => figure.title === undefined)) return result;
  return {
    ...result,
    figures: result.figures.map((figure) => {
      if (figure.title === undefined) return figure;
      const { title, ...rest } = figure;
      const clipped = clipLine(title, MAX_TITLE_CHARS);
      return clipped ? { ...rest, title: clipped } : rest;
    }),
  };
}

/** A call's description for an MCP resource: one line, at most 500 characters. */
export function clipDescription(description: string): string {
  return clipLine(description, MAX_DESCRIPTION_CHARS);
}
