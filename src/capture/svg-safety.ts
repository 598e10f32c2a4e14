// Anything in an SVG that can run code or pull in other content when a browser renders the file
// as a document (opened from a link, a bucket, a file:// path): matplotlib never writes these.
const ACTIVE_CONTENT: readonly [RegExp, string][] = [
  [/<(?:[\w.-]+:)?script[\s>/]/i, 'a <script> element'],
  [/<(?:[\w.-]+:)?foreignObject[\s>/]/i, 'a <foreignObject> element'],
  [/<(?:[\w.-]+:)?(?:iframe|embed|object|handler|listener)[\s>/]/i, 'an embedded document'],
  [/<[^>]*\son[a-z]+\s*=/i, 'an event handler attribute (on...=)'],
  [
    /(?:href|src|values|to|from)\s*=\s*["']?\s*(?:javascript|vbscript|data:text\/html)/i,
    'a script URL',
  ],
  [/(?:href|src|values|to|from)\s*=\s*["'][^"']*&#/i, 'a character-encoded URL'],
  [/<!ENTITY/i, 'an entity declaration'],
];

/**
 * Why an SVG figure is refused, or undefined when it has no active content. Comments, which
 * matplotlib fills with the figure's text, are skipped. Deliberately strict: a URL attribute with
 * a character reference (`&#106;avascript:`) is refused rather than decoded.
 */
export function svgActiveContent(bytes: Uint8Array): string | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('latin1')
    .replace(/<!--[\s\S]*?(?:-->|$)/g, '');
  for (const [pattern, what] of ACTIVE_CONTENT) {
    if (pattern.test(text)) return `the SVG contains ${what}, which could run script in a browser`;
  }
  return undefined;
}
