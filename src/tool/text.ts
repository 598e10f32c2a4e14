/** Text helpers for the model-facing output: budget cuts, fair shares, one-line fields. */

import { stripControls } from '../internal/terminal-safe.js';
import { outputCutLinePrefix } from '../sandbox/bounded-output.js';
import { type ScrubOptions, scrubBase64 } from './scrub-base64.js';

/** A text cut in the middle: what is kept at each end and how much went. */
interface MiddleCut {
  head: string;
  tail: string;
  /** Characters removed from the middle (0: nothing was cut, `tail` is ''). */
  removedChars: number;
  /** Line breaks among the removed characters. */
  removedLines: number;
}

/**
 * Keeps the head and the tail of `text` within `budget` characters together. Cuts at line ends
 * when one is near, never inside a surrogate pair. Reads only the characters it keeps and the
 * removed part's line breaks.
 */
function cutMiddle(text: string, budget: number, headShare = 0.5): MiddleCut {
  if (text.length <= budget) return { head: text, tail: '', removedChars: 0, removedLines: 0 };
  const kept = Math.max(0, budget);
  let headEnd = Math.floor(kept * headShare);
  let tailStart = text.length - (kept - headEnd);
  // Prefer whole lines: move the cut to a line end when one lies in the last fifth of the head
  // (or the first fifth of the tail).
  const headLineEnd = headEnd > 0 ? text.lastIndexOf('\n', headEnd - 1) : -1;
  if (headLineEnd >= 0 && headLineEnd + 1 >= headEnd * 0.8) headEnd = headLineEnd + 1;
  const tailLineStart = text.indexOf('\n', tailStart);
  if (tailLineStart >= 0 && tailLineStart + 1 - tailStart <= (text.length - tailStart) * 0.2) {
    tailStart = tailLineStart + 1;
  }
  if (headEnd > 0 && isHighSurrogate(text.charCodeAt(headEnd - 1))) headEnd -= 1;
  if (tailStart < text.length && isLowSurrogate(text.charCodeAt(tailStart))) tailStart += 1;
  return {
    head: text.slice(0, headEnd),
    tail: text.slice(tailStart),
    removedChars: tailStart - headEnd,
    removedLines: countLineBreaks(text, headEnd, tailStart),
  };
}

/** The marker that stands where text was cut, e.g. `[… 1,234 characters (5 lines) of stdout cut here: …]`. */
function cutMarker(
  cut: { removedChars: number; removedLines?: number | undefined; head: string; tail: string },
  label: string,
  compact = false,
): string {
  const chars = cut.removedChars.toLocaleString('en-US');
  if (compact) return `[… ${chars} characters cut …]`;
  const lines = cut.removedLines ? ` (${cut.removedLines.toLocaleString('en-US')} lines)` : '';
  return `[… ${chars} characters${lines} of ${label} cut here: kept the first ${cut.head.length.toLocaleString('en-US')} and the last ${cut.tail.length.toLocaleString('en-US')} …]`;
}

/** Joins a cut's head, marker and tail, each marker on a line of its own. */
function joinCut(head: string, marker: string, tail: string): string {
  const before = head.endsWith('\n') || head.length === 0 ? '' : '\n';
  return `${head}${before}${marker}${tail.length > 0 ? '\n' : ''}${tail}`;
}

/**
 * `text` within `maxChars` characters, the cut marker included: the head and tail are kept
 * (scrubbed of base64 after the cut, so the work is bounded by the budget, not the text) and the
 * marker says how much went, plus `alreadyCut` characters removed before (by the sandbox's
 * `maxOutputBytes`). Text that fits is only scrubbed (`scrub: false`: not even that).
 */
export function fitMiddle(
  text: string,
  maxChars: number,
  options: { label: string; headShare?: number; alreadyCut?: number; scrub?: boolean },
): string {
  const scrub: (part: string, scrubOptions?: ScrubOptions) => string =
    options.scrub === false ? (part) => part : scrubBase64;
  // Text that fits keeps everything, the sandbox's own cut line included.
  if (text.length <= maxChars) return scrub(text);
  const alreadyCut = options.alreadyCut ?? 0;
  // The longest the marker can be: every count at its largest.
  const longest = cutMarker(
    { removedChars: text.length + alreadyCut, removedLines: text.length, head: text, tail: text },
    options.label,
  );
  // A long marker for a small budget would crowd out the text it describes.
  const compact = longest.length * 4 > maxChars;
  const markerChars = compact
    ? cutMarker({ removedChars: text.length + alreadyCut, head: '', tail: '' }, '', true).length
    : longest.length;
  // A marker longer than the text it would replace saves nothing.
  if (text.length <= markerChars + 2 && alreadyCut === 0) return scrub(text);
  const cut = cutMiddle(text, Math.max(0, maxChars - markerChars - 2), options.headShare);
  // The sandbox's line about its own cut sits in the middle, among what is cut here: the marker
  // counts the characters it stood for instead of its own.
  const sandboxLine = alreadyCut > 0 ? findOutputCutLine(text, cut, alreadyCut, options.label) : 0;
  const removed = {
    ...cut,
    removedChars: cut.removedChars - sandboxLine + alreadyCut,
    removedLines: alreadyCut > 0 ? undefined : cut.removedLines,
  };
  const head = scrub(cut.head, { cutAtEnd: true });
  const tail = scrub(cut.tail, { cutAtStart: true });
  return joinCut(head, cutMarker(removed, options.label, compact), tail);
}

// The length of the sandbox's cut line (`outputCutLine`) inside the removed middle, or 0.
function findOutputCutLine(text: string, cut: MiddleCut, cutChars: number, label: string): number {
  const prefix = outputCutLinePrefix(cutChars, label);
  const tailStart = text.length - cut.tail.length;
  const at = text.indexOf(prefix, cut.head.length);
  if (at < 0 || at >= tailStart) return 0;
  const lineEnd = text.indexOf('\n', at);
  return Math.min(lineEnd < 0 ? text.length : lineEnd + 1, tailStart) - at;
}

/** `text` within `maxChars` characters: the end is cut (at a line end when one is near) with `…`. */
export function clipEnd(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  if (maxChars <= 0) return '';
  let end = maxChars - 1;
  const lineEnd = text.lastIndexOf('\n', end - 1);
  if (lineEnd >= end * 0.8) end = lineEnd;
  if (end > 0 && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * One line of at most `maxChars` characters: control characters and escape sequences are dropped
 * (`stripControls`), whitespace runs become one space, and a longer text ends in `…`. For short fields the sandboxed code controls
 * (figure titles, error names, problem reasons). Reads only the start of a long text.
 */
export function clipLine(text: string, maxChars: number): string {
  if (maxChars < 1) return '';
  // Only the start can show: a few times the budget is enough to find it, whatever the length.
  const limit = maxChars * 8 + 1024;
  const clipped = text.length > limit;
  // Whitespace first, so a line break becomes a space rather than vanish with the controls.
  const line = stripControls((clipped ? text.slice(0, limit) : text).replace(/\s+/g, ' '))
    .replace(/ {2,}/g, ' ')
    .trim();
  if (line.length <= maxChars && !clipped) return line;
  let end = Math.min(line.length, maxChars - 1);
  if (end > 0 && isHighSurrogate(line.charCodeAt(end - 1))) end -= 1;
  return `${line.slice(0, end)}…`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function countLineBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let at = text.indexOf('\n', from); at >= 0 && at < to; at = text.indexOf('\n', at + 1)) {
    count += 1;
  }
  return count;
}

/**
 * Shares `budget` fairly between parts that ask for `demands` characters (max-min fairness):
 * a part that asks for less than an equal share gets what it asks for, and what it leaves goes to
 * the others. The shares are whole numbers and add up to at most `budget`.
 */
export function shareBudget(demands: readonly number[], budget: number): number[] {
  const shares = demands.map(() => 0);
  const order = demands
    .map((demand, index) => ({ demand, index }))
    .sort((a, b) => a.demand - b.demand)
    .map(({ index }) => index);
  let left = Math.max(0, Math.floor(budget));
  order.forEach((index, position) => {
    const equal = Math.floor(left / (order.length - position));
    const share = Math.min(Math.max(0, demands[index] as number), equal);
    shares[index] = share;
    left -= share;
  });
  return shares;
}

/** A byte count for people: 1.2 MB, 35 KB, 800 bytes. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  if (bytes >= 10_000) return `${Math.round(bytes / 1000)} KB`;
  return `${bytes.toLocaleString('en-US')} bytes`;
}
