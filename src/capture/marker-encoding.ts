/** A marker line (without its prefix and newline), split as `{kind}:{header}:{data}`. */
export interface MarkerParts {
  kind: string;
  /** The base64 of the JSON header. */
  header: string;
  data: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The parts of a marker line, or undefined when it has no kind and header. */
export function splitMarker(line: string): MarkerParts | undefined {
  const kindEnd = line.slice(0, 16).indexOf(':');
  const headerEnd = kindEnd === -1 ? -1 : line.indexOf(':', kindEnd + 1);
  if (headerEnd === -1) return undefined;
  return {
    kind: line.slice(0, kindEnd),
    header: line.slice(kindEnd + 1, headerEnd),
    data: line.slice(headerEnd + 1),
  };
}

/** A header that decodes to a JSON object, or why it does not. */
export function decodeHeader(text: string): Record<string, unknown> | string {
  const bytes = decodeBase64(text);
  if (bytes === undefined) return 'the header is not valid base64';
  let json: string;
  try {
    json = utf8.decode(bytes);
  } catch {
    return 'the header is not UTF-8';
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
  return value as Record<string, unknown>;
}

/** The byte length that base64 `text` decodes to, from its length alone. */
export function decodedLength(text: string): number {
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
