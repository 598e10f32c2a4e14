// The CSS functions matplotlib's SVG output uses (url() only as a same-document #id reference),
// and the transform functions, which take numbers only. Everything else is refused, including
// image-set(), expression() and bare parentheses: none is needed to draw a figure.
const ALLOWED_FUNCTIONS = new Set([
  'url',
  'rgb',
  'rgba',
  'hsl',
  'hsla',
  'matrix',
  'translate',
  'scale',
  'rotate',
  'skewx',
  'skewy',
]);
const SAME_DOCUMENT_URL = /^\s*(["']?)#[^\s"'()\\]+\1\s*$/;

/**
 * Why CSS from an SVG (a `style` attribute or element, or a presentation attribute such as
 * `fill`) is refused, or undefined. By allow-list: no escapes (`\75 rl(` is `url(`), no at-rules
 * (`@import`), no functions but the few listed, and `url()` only as `url(#id)`, so nothing can
 * load another document or run script. Linear in the text's length.
 */
export function cssRefusal(css: string): string | undefined {
  if (css.includes('\\')) return 'a CSS escape (\\)';
  if (css.includes('@')) return 'a CSS at-rule (@…)';
  for (let open = css.indexOf('('); open !== -1; open = css.indexOf('(', open + 1)) {
    let nameStart = open;
    while (nameStart > 0 && isIdentifierChar(css.charCodeAt(nameStart - 1))) nameStart--;
    const name = css.slice(nameStart, open).toLowerCase();
    if (!ALLOWED_FUNCTIONS.has(name)) {
      return name === ''
        ? 'a parenthesis that is not a known CSS function'
        : `the CSS function ${clip(name)}()`;
    }
    if (name === 'url') {
      const close = css.indexOf(')', open);
      if (close === -1 || !SAME_DOCUMENT_URL.test(css.slice(open + 1, close))) {
        return 'a url() that is not a same-document #id reference';
      }
      open = close;
    }
  }
  return undefined;
}

function isIdentifierChar(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x2d ||
    code === 0x5f
  );
}

function clip(name: string): string {
  return name.length > 24 ? `${name.slice(0, 24)}…` : name;
}
