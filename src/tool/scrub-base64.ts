/** Base64 scrubbing for the model-facing text: no image bytes the code printed reach the model. */

// Base64 alphabet (standard and URL-safe) by character code: 1 upper, 2 lower, 3 digit, 4 other.
const alphabet = new Uint8Array(128);
for (let code = 65; code <= 90; code++) alphabet[code] = 1;
for (let code = 97; code <= 122; code++) alphabet[code] = 2;
for (let code = 48; code <= 57; code++) alphabet[code] = 3;
for (const character of '+/_-') alphabet[character.charCodeAt(0)] = 4;

// Runs at least this long are base64 (when they mix upper case, lower case and digits); a run
// cut by a budget cut counts from MIN_CUT_RUN: its other part is gone.
const MIN_RUN = 256;
const MIN_CUT_RUN = 64;
// Wrapped base64 (MIME: 76, PEM: 64) has lines of a width between these, a multiple of 4.
const MIN_WRAPPED_LINE = 40;
const MAX_WRAPPED_LINE = 128;
// A data: URL header: media type and parameters of bounded length, so matching costs a bounded
// amount at each `data:` whatever follows. The payload is read by `scanRun`.
const dataUrlHeader =
  /data:([\w.+-]{1,127}\/[\w.+-]{1,127})?(?:;[\w.+-]{1,127}=[\w.+-]{1,127}){0,8};base64,/gi;
const MIN_DATA_URL_PAYLOAD = 32;

export interface ScrubOptions {
  /** The text starts where a budget cut was made: a base64 run there counts from 64 characters. */
  cutAtStart?: boolean;
  /** The text ends where a budget cut was made: a base64 run there counts from 64 characters. */
  cutAtEnd?: boolean;
}

/**
 * Replaces base64 payloads (data: URLs, long base64 runs, and base64 wrapped in lines of 40 or
 * more characters, as MIME and PEM write it) with a short note, so image bytes the code printed
 * never reach the model. A run is only treated as base64 when it mixes upper case, lower case and
 * digits, so long words, numbers or hex digests stay. Linear: each character is looked at a
 * bounded number of times. The result is never longer than `text`.
 */
export function scrubBase64(text: string, options: ScrubOptions = {}): string {
  return scrubRuns(scrubDataUrls(text), options);
}

function scrubDataUrls(text: string): string {
  if (!/data:/i.test(text)) return text;
  const pieces: string[] = [];
  let copied = 0;
  dataUrlHeader.lastIndex = 0;
  for (let match = dataUrlHeader.exec(text); match; match = dataUrlHeader.exec(text)) {
    const start = match.index;
    let end = start + match[0].length;
    while (end < text.length) {
      const code = text.charCodeAt(end);
      if (!(code < 128 && alphabet[code] !== 0) && code !== 61 /* = */) break;
      end += 1;
    }
    dataUrlHeader.lastIndex = end;
    if (end - (start + match[0].length) < MIN_DATA_URL_PAYLOAD) continue;
    pieces.push(
      text.slice(copied, start),
      `[${match[1] ?? 'data'} data: URL, ${(end - start).toLocaleString('en-US')} characters omitted]`,
    );
    copied = end;
  }
  if (copied === 0) return text;
  pieces.push(text.slice(copied));
  return pieces.join('');
}

/** A run of base64 characters: where it ends, and which classes of characters it holds. */
interface Run {
  end: number;
  classes: number;
  length: number;
}

// Reads the run of alphabet characters from `start` (then up to two `=`).
function scanRun(text: string, start: number): Run {
  let end = start;
  let classes = 0;
  while (end < text.length) {
    const code = text.charCodeAt(end);
    const kind = code < 128 ? (alphabet[code] as number) : 0;
    if (kind === 0) break;
    classes |= 1 << kind;
    end += 1;
  }
  let length = end - start;
  for (let pad = 0; pad < 2 && text.charCodeAt(end) === 61; pad++) {
    end += 1;
    length += 1;
  }
  return { end, classes, length };
}

// Where the line break at `at` ends (`\n` or `\r\n`), or -1 when there is none.
function lineBreakEnd(text: string, at: number): number {
  if (text.charCodeAt(at) === 10) return at + 1;
  if (text.charCodeAt(at) === 13 && text.charCodeAt(at + 1) === 10) return at + 2;
  return -1;
}

const MIXED = (1 << 1) | (1 << 2) | (1 << 3);

// How many of upper case, lower case and digits a run holds.
function kinds(classes: number): number {
  return ((classes >> 1) & 1) + ((classes >> 2) & 1) + ((classes >> 3) & 1);
}

function scrubRuns(text: string, options: ScrubOptions): string {
  const pieces: string[] = [];
  let copied = 0;
  let at = 0;
  while (at < text.length) {
    const code = text.charCodeAt(at);
    if (!(code < 128 && alphabet[code] !== 0)) {
      at += 1;
      continue;
    }
    const start = at;
    const first = scanRun(text, start);
    let end = first.end;
    let classes = first.classes;
    let chars = first.length;
    // Wrapped base64: the run fills its line, and the next lines are runs of the same width; the
    // last one may be shorter when it still looks like base64 (padded, or mixing kinds).
    const width = first.length;
    const atLineStart = start === 0 || text.charCodeAt(start - 1) === 10;
    if (
      atLineStart &&
      width >= MIN_WRAPPED_LINE &&
      width <= MAX_WRAPPED_LINE &&
      width % 4 === 0 &&
      text.charCodeAt(end - 1) !== 61
    ) {
      for (let next = lineBreakEnd(text, end); next >= 0; next = lineBreakEnd(text, end)) {
        const line = scanRun(text, next);
        const fillsLine = line.end === text.length || lineBreakEnd(text, line.end) >= 0;
        const padded = text.charCodeAt(line.end - 1) === 61;
        const last =
          line.length < width && line.length % 4 === 0 && (padded || kinds(line.classes) >= 2);
        if (!fillsLine || line.length === 0 || (line.length !== width && !last)) break;
        end = line.end;
        classes |= line.classes;
        chars += line.length;
        if (last || padded) break;
      }
    }
    const touchesCut =
      (options.cutAtStart === true && start === 0) ||
      (options.cutAtEnd === true && end === text.length);
    if ((classes & MIXED) === MIXED && chars >= (touchesCut ? MIN_CUT_RUN : MIN_RUN)) {
      pieces.push(
        text.slice(copied, start),
        `[base64 data, ${chars.toLocaleString('en-US')} characters omitted]`,
      );
      copied = end;
    }
    at = end;
  }
  if (copied === 0) return text;
  pieces.push(text.slice(copied));
  return pieces.join('');
}
