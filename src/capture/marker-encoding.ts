import { scanJsonDepth } from './json-depth.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * How deep a header's JSON may nest (the header object is level 1). A real header nests about
 * ten levels (its chart data); anything deeper is refused before JSON.parse sees it.
 */
export const MAX_HEADER_DEPTH = 64;

/** What `decodeHeader` puts in place of a `chart` that nests deeper than `MAX_HEADER_DEPTH`. */
export const CHART_TOO_DEEP: unique symbol = Symbol('chart nested too deep');

/**
 * A header that decodes to a JSON object, or why it does not. A header nested deeper than
 * `MAX_HEADER_DEPTH` is refused; when only its `chart` is, the chart is `CHART_TOO_DEEP` instead
 * (a bad chart costs the chart, not the figure).
 */
export function decodeHeader(text: string): Record<string, unknown> | string {
  const bytes = decodeBase64(text);
  if (bytes === undefined) return 'the header is not valid base64';
  let json: string;
  try {
    json = utf8.decode(bytes);
  } catch {
    return 'the header is not UTF-8';
  }
  const depth = scanJsonDepth(json, MAX_HEADER_DEPTH);
  const tooDeep = `the header nests deeper than ${MAX_HEADER_DEPTH} levels`;
  if (depth.tooDeep) return tooDeep;
  let chartTooDeep = false;
  if (depth.deepMembers.length > 0) {
    const pieces: string[] = [];
    let from = 0;
    for (const member of depth.deepMembers) {
      if (memberKey(member.keyJson) !== 'chart') return tooDeep;
      pieces.push(json.slice(from, member.start), 'null');
      from = member.end;
    }
    pieces.push(json.slice(from));
    json = pieces.join('');
    chartTooDeep = true;
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return 'the header is not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'the header is not a JSON object';
  }
  const header = value as Record<string, unknown>;
  if (chartTooDeep) header.chart = CHART_TOO_DEEP;
  return header;
}

function memberKey(keyJson: string): unknown {
  try {
    return JSON.parse(keyJson);
  } catch {
    return undefined;
  }
}

/** The byte length that base64 `text` decodes to, from its length alone. */
function decodedLength(text: string): number {
  return Math.floor(text.length / 4) * 3 - paddingOf(text);
}

// Node's decoder skips characters outside the alphabet and stops at inner padding, so a
// decoded length short of what the text's length promises means the text was not base64.
// It also reads the URL-safe alphabet, which encodes the same bytes.
/** The bytes of base64 `text`, or undefined when it is not base64. */
export function decodeBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === decodedLength(text) ? bytes : undefined;
}

function paddingOf(text: string): number {
  if (!text.endsWith('=')) return 0;
  return text.endsWith('==') ? 2 : 1;
}
