import { describe, expect, test } from 'vitest';
import { svgActiveContent } from '../../../src/capture/svg-safety.js';

const svg = (body: string, attributes = '') =>
  new TextEncoder().encode(`<svg xmlns="http://www.w3.org/2000/svg"${attributes}>${body}</svg>`);

describe('svgActiveContent', () => {
  test.each([
    ['a script element', svg('<script>alert(1)</script>')],
    ['a namespaced script element', svg('<svg:script>alert(1)</svg:script>')],
    ['a foreignObject', svg('<foreignObject><div/></foreignObject>')],
    ['an event handler', svg('', ' onload="alert(1)"')],
    ['a javascript: link', svg('<a href="javascript:alert(1)"><rect/></a>')],
    ['an encoded link', svg('<a xlink:href="&#106;avascript:alert(1)"><rect/></a>')],
    ['an animation that sets a script URL', svg('<set attributeName="href" to="javascript:x"/>')],
    ['an entity declaration', new TextEncoder().encode('<!DOCTYPE svg [<!ENTITY x "y">]><svg/>')],
  ])('refuses %s', (_, bytes) => {
    expect(svgActiveContent(bytes)).toMatch(/could run script/);
  });

  test('accepts what matplotlib writes, with hostile text only in comments and text', () => {
    const bytes = svg(
      '<!-- <script>onload=alert(1) javascript: --><style>*{stroke-linejoin: round}</style><text>&lt;script&gt;</text><image xlink:href="data:image/png;base64,iVBORw0KGgo="/>',
    );
    expect(svgActiveContent(bytes)).toBeUndefined();
  });
});
