/** Text helpers for the model-facing output: budget cuts and base64 scrubbing. */

/**
 * Keeps the head and the tail of `text` within `budget` characters and marks the cut in the
 * middle with how much was removed. Cuts at line ends when one is near, never inside a
 * surrogate pair. The marker itself does not count against the budget.
 */
export function truncateMiddle(
  text: string,
  budget: number,
  options: { label: string; headShare?: number },
): string {
  if (text.length <= budget) return text;
  const headShare = options.headShare ?? 0.5;
  let headEnd = Math.floor(budget * headShare);
  let tailStart = text.length - (budget - headEnd);
  // Prefer whole lines: move the cut to a line end when one lies in the last fifth of the head
  // (or the first fifth of the tail).
  const headLineEnd = text.lastIndexOf('\n', headEnd - 1);
  if (headLineEnd >= 0 && headLineEnd + 1 >= headEnd * 0.8) headEnd = headLineEnd + 1;
  const tailLineStart = text.indexOf('\n', tailStart);
  if (tailLineStart >= 0 && tailLineStart + 1 - tailStart <= (text.length - tailStart) * 0.2) {
    tailStart = tailLineStart + 1;
  }
  if (headEnd > 0 && isHighSurrogate(text.charCodeAt(headEnd - 1))) headEnd -= 1;
  if (tailStart < text.length && isLowSurrogate(text.charCodeAt(tailStart))) tailStart += 1;
  const removed = text.slice(headEnd, tailStart);
  const lines = removed.split('\n').length - 1;
  const head = text.slice(0, headEnd);
  const tail = text.slice(tailStart);
  const marker = `[… ${removed.length.toLocaleString('en-US')} characters${lines > 0 ? ` (${lines.toLocaleString('en-US')} lines)` : ''} of ${options.label} cut here: kept the first ${head.length.toLocaleString('en-US')} and the last ${tail.length.toLocaleString('en-US')} …]`;
  return `${head}${head.endsWith('\n') || head.length === 0 ? '' : '\n'}${marker}\n${tail}`;
}

/**
 * One line of at most `maxChars` characters: whitespace runs become one space, and a longer text
 * ends in `…`. For short fields the sandboxed code controls (figure titles, error names).
 */
export function clipLine(text: string, maxChars: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line.length <= maxChars) return line;
  let end = maxChars - 1;
  if (isHighSurrogate(line.charCodeAt(end - 1))) end -= 1;
  return `${line.slice(0, end)}…`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

const dataUrl = /data:([\w.+-]+\/[\w.+-]+)?(?:;[\w.+-]+=[\w.+-]+)*;base64,[A-Za-z0-9+/=_-]{16,}/g;
const base64Run = /[A-Za-z0-9+/_-]{256,}={0,2}/g;

/**
 * Replaces base64 payloads (data: URLs, long base64 runs) with a short note, so image bytes the
 * code printed never flood the model's context. Long runs are only treated as base64 when they mix
 * upper case, lower case and digits, so long words, numbers or hex digests stay.
 */
export function scrubBase64(text: string): string {
  return text
    .replace(
      dataUrl,
      (match, mediaType: string | undefined) =>
        `[${mediaType ?? 'data'} data: URL, ${match.length.toLocaleString('en-US')} characters omitted]`,
    )
    .replace(base64Run, (match) =>
      /[A-Z]/.test(match) && /[a-z]/.test(match) && /[0-9]/.test(match)
        ? `[base64 data, ${match.length.toLocaleString('en-US')} characters omitted]`
        : match,
    );
}

/** Splits `budget` between two texts, giving the shorter one what it needs first. */
export function splitBudget(
  first: number,
  second: number,
  budget: number,
): { first: number; second: number } {
  if (first + second <= budget) return { first, second };
  const half = Math.floor(budget / 2);
  if (first <= half) return { first, second: budget - first };
  if (second <= half) return { first: budget - second, second };
  return { first: budget - half, second: half };
}

/** A byte count for people: 1.2 MB, 35 KB, 800 bytes. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  if (bytes >= 10_000) return `${Math.round(bytes / 1000)} KB`;
  return `${bytes.toLocaleString('en-US')} bytes`;
}
