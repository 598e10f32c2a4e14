import { describe, expect, test } from 'vitest';
import { createSvgCheck, svgRefusal } from '../../../src/capture/svg-safety.js';

const SVG = 'http://www.w3.org/2000/svg';
const XLINK = 'http://www.w3.org/1999/xlink';
const encode = (text: string) => new TextEncoder().encode(text);
const svg = (body: string, attributes = '') =>
  encode(`<svg xmlns="${SVG}" xmlns:xlink="${XLINK}"${attributes}>${body}</svg>`);

// What matplotlib's SVG backend writes, abridged: prolog, RDF metadata, a style sheet, clip
// paths, glyphs used by reference, a hatch pattern, an inline PNG, text with escapes.
const MATPLOTLIB_LIKE = `<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"
  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns:xlink="${XLINK}" width="460.8pt" height="345.6pt" viewBox="0 0 460.8 345.6" xmlns="${SVG}" version="1.1">
 <metadata>
  <rdf:RDF xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:cc="http://creativecommons.org/ns#" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
   <cc:Work>
    <dc:type rdf:resource="http://purl.org/dc/dcmitype/StillImage"/>
    <dc:title>&lt;script&gt;alert(1)&lt;/script&gt; onload=x javascript:y</dc:title>
    <dc:creator><cc:Agent><dc:title>Matplotlib v3.6.3, https://matplotlib.org/</dc:title></cc:Agent></dc:creator>
   </cc:Work>
  </rdf:RDF>
 </metadata>
 <defs>
  <style type="text/css">*{stroke-linejoin: round; stroke-linecap: butt}</style>
 </defs>
 <g id="figure_1">
  <!-- <script>onload=alert(1) javascript: - - -->
  <g id="axes_1" clip-path="url(#p1a2b3c)">
   <path d="M 0 345.6 &#10;L 460.8 345.6 z" style="fill: #ffffff; stroke: url(#h5f2a)"/>
   <defs><path id="DejaVuSans-30" d="M 2034 4250 z" transform="scale(0.015625)"/></defs>
   <use xlink:href="#DejaVuSans-30" x="73.8" y="307.5" style="stroke: #000000; stroke-width: 0.8"/>
   <image xlink:href="data:image/png;base64,
iVBORw0KGgo=" id="image1" transform="scale(1 -1) translate(0 -266.4)" x="57.6" y="-41.5" width="357.1" height="266.4"/>
   <text x="1" y="2" style="font: 10px 'DejaVu Sans'; text-anchor: middle">a &lt; b &amp; &quot;c&quot; ✓ 売上 <![CDATA[<raw> & text]]></text>
  </g>
 </g>
 <defs>
  <clipPath id="p1a2b3c"><rect x="57.6" y="41.47" width="357.12" height="266.11"/></clipPath>
  <pattern id="h5f2a" patternUnits="userSpaceOnUse" x="0" y="0" width="72" height="72">
   <rect x="0" y="0" width="73" height="73" fill="none"/>
  </pattern>
  <filter id="colorAdd"><feComposite in="SourceGraphic" in2="BackgroundImage" operator="arithmetic" k2="1" k3="1"/></filter>
  <linearGradient id="GR0_0" gradientUnits="userSpaceOnUse" x1="1" y1="2" x2="3" y2="4"><stop offset="1" style="stop-color: #440154; stop-opacity: 1"/></linearGradient>
 </defs>
</svg>
`;

describe('svgRefusal', () => {
  test('accepts what matplotlib writes, with hostile text only in comments, text and metadata', () => {
    expect(svgRefusal(encode(MATPLOTLIB_LIKE))).toBeUndefined();
    expect(svgRefusal(encode(`\ufeff${MATPLOTLIB_LIKE}`))).toBeUndefined();
  });

  test.each([
    [
      'a script element',
      svg('<script>alert(1)</script>'),
      /a <script> element, which could run script/,
    ],
    [
      'a script element with a declared prefix',
      svg('<s:script xmlns:s="http://www.w3.org/2000/svg">alert(1)</s:script>'),
      /<s:script> element, which could run script/,
    ],
    // A non-ASCII prefix bound to the SVG namespace: still the SVG script element.
    [
      'a script element with a non-ASCII prefix',
      svg('<é:script>alert(1)</é:script>', ' xmlns:é="http://www.w3.org/2000/svg"'),
      /<é:script> element, which could run script/,
    ],
    ['a foreignObject', svg('<foreignObject><div/></foreignObject>'), /<foreignObject> element/],
    ['an iframe in the SVG namespace', svg('<iframe/>'), /<iframe> element/],
    [
      'an event handler',
      svg('', ' onload="alert(1)"'),
      /event handler attribute, which could run script in a browser \(onload= on <svg>\)/,
    ],
    // A '>' inside an earlier attribute value ends no tag.
    [
      'an event handler after a ">" in a value',
      svg('<rect id="a>b" onload="alert(1)"/>'),
      /event handler attribute.* \(onload= on <rect>\)/,
    ],
    ['an event handler after a quoted "\'>"', svg(`<rect id='"a>' onclick="x"/>`), /event handler/],
    ['a javascript: link', svg('<a href="javascript:alert(1)"><rect/></a>'), /script URL/],
    [
      'a character-encoded javascript: link',
      svg('<a xlink:href="&#106;avascript:alert(1)"><rect/></a>'),
      /script URL/,
    ],
    [
      'a tab inside javascript:',
      svg('<a href="java&#9;script:alert(1)"><rect/></a>'),
      /script URL/,
    ],
    [
      'a link to another document',
      svg('<a xlink:href="https://example.com/"><rect/></a>'),
      /link that is not a same-document #id reference/,
    ],
    ['a use of another document', svg('<use xlink:href="other.svg#x"/>'), /same-document/],
    [
      'an image that is an SVG document',
      svg('<image xlink:href="data:image/svg+xml;base64,PHN2Zz4="/>'),
      /not a PNG or JPEG data: URL/,
    ],
    ['an image from a URL', svg('<image href="https://example.com/a.png"/>'), /not a PNG or JPEG/],
    [
      'an animation that sets a script URL',
      svg('<set attributeName="href" to="javascript:x"/>'),
      /<set> element/,
    ],
    ['an animate element', svg('<animate attributeName="x" values="1;2"/>'), /<animate> element/],
    ['a discard element', svg('<discard/>'), /<discard> element/],
    [
      'an element matplotlib does not write',
      svg('<switch/>'),
      /<switch> element, which matplotlib does not write/,
    ],
    [
      'an attribute matplotlib does not write',
      svg('<rect xml:base="https://example.com/"/>'),
      /attribute matplotlib does not write \(xml:base=/,
    ],
    [
      'an XHTML default namespace',
      svg('<g xmlns="http://www.w3.org/1999/xhtml"><script>x</script></g>'),
      /declares a namespace matplotlib does not use/,
    ],
    [
      'an element outside the SVG namespace',
      svg('<x:g xmlns:x="http://www.w3.org/1999/xlink"/>'),
      /<x:g> element outside the SVG namespace/,
    ],
    [
      'an undeclared prefix',
      svg('<h:script>x</h:script>'),
      /undeclared namespace prefix \(h:script\)/,
    ],
    [
      'an element inside metadata that is not RDF',
      svg('<metadata><script>x</script></metadata>'),
      /inside <metadata>/,
    ],
    ['an @import in a style element', svg('<style>@import url(x.css);</style>'), /CSS at-rule/],
    [
      'a url() to another document in a style element',
      svg('<style><![CDATA[*{fill:url(https://x/a.svg#p)}]]></style>'),
      /url\(\) that is not a same-document #id reference in a <style> element/,
    ],
    ['a CSS escape spelling url(', svg('<rect style="fill: u\\72 l(https://x)"/>'), /CSS escape/],
    [
      'a CSS function that loads images',
      svg('<rect style="fill: image-set(&quot;https://x&quot; 1x)"/>'),
      /CSS function image-set\(\)/,
    ],
    [
      'a presentation attribute with a url() to another document',
      svg('<rect fill="url(https://x/a.svg#p)"/>'),
      /url\(\) that is not a same-document/,
    ],
    ['a style element that is not CSS', svg('<style type="text/xsl">x</style>'), /not CSS/],
    [
      'a repeated attribute',
      svg('<use xlink:href="#a" l:href="#b" xmlns:l="http://www.w3.org/1999/xlink"/>'),
      /repeats the attribute l:href=/,
    ],
  ])('refuses %s', (_, bytes, reason) => {
    expect(svgRefusal(bytes)).toMatch(reason);
  });

  test.each([
    [
      'an entity declaration',
      encode(`<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="${SVG}">&x;</svg>`),
      /DOCTYPE with an internal subset/,
    ],
    [
      'another DOCTYPE',
      encode(`<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x"><svg xmlns="${SVG}"/>`),
      /DOCTYPE other than/,
    ],
    ['an undeclared entity', svg('<text>&nbsp;</text>'), /entity reference other than/],
    [
      'a style sheet processing instruction',
      encode(`<?xml-stylesheet href="x.xsl" type="text/xsl"?><svg xmlns="${SVG}"/>`),
      /processing instruction at byte 0/,
    ],
    [
      'another encoding',
      encode(`<?xml version="1.0" encoding="UTF-7"?><svg xmlns="${SVG}"/>`),
      /XML declaration other than version 1.x in UTF-8/,
    ],
    ['UTF-16 data', Buffer.from(`\ufeff<svg xmlns="${SVG}"/>`, 'utf16le'), /not UTF-8 text/],
    ['a control character', svg('<text>\u0001</text>'), /character XML does not allow/],
    [
      'a character reference to a control character',
      svg('<text>&#1;</text>'),
      /entity reference other than/,
    ],
    ['an unclosed element', encode(`<svg xmlns="${SVG}"><g>`), /unclosed <g> element/],
    ['a mismatched end tag', svg('<g></rect>'), /<\/rect> where <\/g> belongs/],
    ['attributes without space between them', svg('<rect x="1"y="2"/>'), /malformed <rect> tag/],
    ['an unquoted attribute value', svg('<rect x=1/>'), /unquoted attribute value/],
    ['a "<" in an attribute value', svg('<rect id="<"/>'), /"<" in an attribute value/],
    [
      'text after the root element',
      encode(`<svg xmlns="${SVG}"/>x`),
      /text outside the root element/,
    ],
    [
      'a second root element',
      encode(`<svg xmlns="${SVG}"/><svg xmlns="${SVG}"/>`),
      /second root element/,
    ],
    ['"--" inside a comment', svg('<!-- a -- b -->'), /"--" inside a comment/],
    [
      'elements nested 300 levels deep',
      svg(`${'<g>'.repeat(300)}${'</g>'.repeat(300)}`),
      /nested deeper than 256 levels/,
    ],
    [
      'a tag with 100 attributes',
      svg(`<g ${Array.from({ length: 100 }, (_, i) => `x${i}="1"`).join(' ')}/>`),
      /more than 64 attributes/,
    ],
    ['HTML', encode('<html><svg></svg></html>'), /not a SVG image \(its root element is <html>\)/],
    [
      'an svg root outside the SVG namespace',
      encode('<svg/>'),
      /not a SVG image \(its root element <svg> is not in the SVG namespace\)/,
    ],
    ['nothing', encode('  '), /no root element/],
  ])('refuses XML with %s', (_, bytes, reason) => {
    expect(svgRefusal(bytes)).toMatch(reason);
  });

  test('gives the same verdict whatever the chunking, cuts inside characters and tags included', () => {
    const documents = [
      encode(MATPLOTLIB_LIKE),
      encode(`\ufeff${MATPLOTLIB_LIKE}`),
      svg('<text>売上 📈 &amp; &#x1F4C8;</text><rect id="a>b" onload="x"/>'),
      svg('<style><![CDATA[*{fill:url(https://x)}]]></style>'),
      svg('<!-- a -- b -->'),
      encode(`<svg xmlns="${SVG}"><g>`),
      encode(`<svg xmlns="${SVG}"/>x`),
      Uint8Array.from([...encode(`<svg xmlns="${SVG}"><text>`), 0xe2, 0x82]),
      svg('<text>\u0001</text>'),
      encode(`<?xml version="1.0" encoding="utf-8"?>\n<svg xmlns="${SVG}"/>`),
    ];
    let seed = 99;
    const next = () => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed;
    };
    for (const bytes of documents) {
      const expected = svgRefusal(bytes);
      for (let round = 0; round < 40; round++) {
        const check = createSvgCheck();
        const largest = 1 + (round % 4 === 0 ? 3 : next() % 64);
        for (let at = 0; at < bytes.length; ) {
          const size = 1 + (next() % largest);
          check.push(bytes.subarray(at, at + size));
          at += size;
        }
        expect(
          check.end(),
          `round ${round} of ${new TextDecoder().decode(bytes).slice(0, 60)}`,
        ).toBe(expected);
      }
    }
  });

  test('keeps the reason short and printable, whatever the names in the file', () => {
    const name = `\u202e${'x'.repeat(5000)}\u0085`;
    const reason = svgRefusal(svg(`<${name}/>`)) ?? '';
    expect(reason).toMatch(/^the SVG contains a <x+…> element, which matplotlib does not write$/);
    expect(reason.length).toBeLessThan(120);
    expect(svgRefusal(encode(`<svg${'<'.repeat(100_000)}`))?.length).toBeLessThan(300);
  });

  test('is linear: a forged "<svg " and 256 KiB of "<" is refused at once', () => {
    const started = performance.now();
    const reason = svgRefusal(encode(`<svg ${'<'.repeat(256 * 1024)}`));
    expect(performance.now() - started).toBeLessThan(200);
    expect(reason).toMatch(/malformed <svg> tag/);
  });

  test('is linear on the densest markup it accepts: 4× the input, about 4× the time', () => {
    const body = '<g id="a" style="fill: url(#b)"><use xlink:href="#c" x="1" y="2"/></g>';
    const ofSize = (bytes: number) => svg(body.repeat(Math.floor(bytes / body.length)));
    const small = ofSize(1024 * 1024);
    const large = ofSize(4 * 1024 * 1024);
    svgRefusal(small); // warms up the JIT
    // CPU time of this process: other work on the machine does not count.
    const cpuMs = (bytes: Uint8Array) => {
      const started = process.cpuUsage();
      expect(svgRefusal(bytes)).toBeUndefined();
      const used = process.cpuUsage(started);
      return (used.user + used.system) / 1000;
    };
    const smallMs = Math.min(cpuMs(small), cpuMs(small));
    const largeMs = Math.min(cpuMs(large), cpuMs(large));
    expect(largeMs / Math.max(smallMs, 1)).toBeLessThan(8);
    expect(largeMs).toBeLessThan(2000);
  });
});
