// XML's lexical pieces, on "byte strings": UTF-8 bytes one per character (decoded as latin1),
// so that positions are byte offsets and the scanner never decodes what it only skips.

const AMPERSAND = 0x26;
const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};
// The longest reference is "&#1114111;" (leading zeros are refused).
const MAX_REFERENCE_CHARS = 11;

/** XML's white space: space, tab, line feed, carriage return. */
export function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d;
}

// Name characters, close to XML's: ASCII letters, digits, "_", ":", "-", "." and any byte of a
// non-ASCII character. A name a browser would refuse only ends its rendering there.
function isNameStart(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    code === 0x5f ||
    code === 0x3a ||
    (code >= 0x80 && code <= 0xff)
  );
}

function isNameChar(code: number): boolean {
  return isNameStart(code) || (code >= 0x30 && code <= 0x39) || code === 0x2d || code === 0x2e;
}

/** Where the name starting at `start` ends (the text's end if it runs on), or -1 if none starts. */
export function nameEndAt(text: string, start: number): number {
  if (!isNameStart(text.charCodeAt(start))) return -1;
  let position = start + 1;
  while (isNameChar(text.charCodeAt(position))) position++;
  return position;
}

/**
 * Where the reference starting with "&" at `start` ends (after its ";"); -1 when it is not one
 * of the five predefined entities or a character reference to a character XML allows; 0 when
 * the text ends before it could tell.
 */
export function referenceEnd(text: string, start: number): number {
  const body = text.slice(start + 1, start + 1 + MAX_REFERENCE_CHARS);
  const semicolon = body.indexOf(';');
  if (semicolon === -1) return start + 1 + body.length === text.length ? 0 : -1;
  return referenceText(body.slice(0, semicolon)) === undefined ? -1 : start + semicolon + 2;
}

/** The text a reference's body (between "&" and ";") stands for, or undefined if refused. */
function referenceText(body: string): string | undefined {
  if (body.charCodeAt(0) !== 0x23) {
    return Object.hasOwn(PREDEFINED_ENTITIES, body) ? PREDEFINED_ENTITIES[body] : undefined;
  }
  const hex = body[1] === 'x';
  const digits = body.slice(hex ? 2 : 1);
  if (!(hex ? /^[0-9a-fA-F]{1,6}$/ : /^[0-9]{1,7}$/).test(digits)) return undefined;
  const value = Number.parseInt(digits, hex ? 16 : 10);
  return isXmlChar(value) ? String.fromCodePoint(value) : undefined;
}

function isXmlChar(value: number): boolean {
  return (
    value === 0x9 ||
    value === 0xa ||
    value === 0xd ||
    (value >= 0x20 && value <= 0xd7ff) ||
    (value >= 0xe000 && value <= 0xfffd) ||
    (value >= 0x10000 && value <= 0x10ffff)
  );
}

/**
 * An attribute value or a text run (already checked by the scanner) with its references
 * resolved, as a browser reads it. An attribute value's line breaks and tabs become spaces
 * (XML attribute-value normalization).
 */
export function decodeXmlValue(
  text: string,
  start: number,
  end: number,
  attribute: boolean,
): string {
  let references = false;
  let nonAscii = false;
  let breaks = false;
  for (let position = start; position < end; position++) {
    const code = text.charCodeAt(position);
    if (code === AMPERSAND) references = true;
    else if (code >= 0x80) nonAscii = true;
    else if (code < 0x20) breaks = true;
  }
  // Most values are plain ASCII: nothing to decode.
  if (!references && !nonAscii) {
    const value = text.slice(start, end);
    return attribute && breaks ? value.replace(/\r\n|[\t\n\r]/g, ' ') : value;
  }
  let decoded = '';
  let from = start;
  for (let position = start; position < end; position++) {
    if (text.charCodeAt(position) !== AMPERSAND) continue;
    const semicolon = text.indexOf(';', position);
    decoded +=
      utf8(text.slice(from, position)) + (referenceText(text.slice(position + 1, semicolon)) ?? '');
    from = semicolon + 1;
    position = semicolon;
  }
  decoded += utf8(text.slice(from, end));
  return attribute ? decoded.replace(/\r\n|[\t\n\r]/g, ' ') : decoded;
}

/**
 * A name from the document, fit for a refusal reason: decoded, without control or formatting
 * characters (bidi overrides), at most 40 characters.
 */
export function displayName(bytes: string): string {
  const characters = [...utf8(bytes.slice(0, 160)).replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')];
  return characters.length > 40 || bytes.length > 160
    ? `${characters.slice(0, 39).join('')}…`
    : characters.join('');
}

/** A byte string as the text it encodes. */
export function utf8(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}
