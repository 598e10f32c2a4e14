/** The namespaces an SVG figure may declare: what matplotlib's SVG backend writes. */
export const NAMESPACES = Object.freeze({
  svg: 'http://www.w3.org/2000/svg',
  xlink: 'http://www.w3.org/1999/xlink',
  xml: 'http://www.w3.org/XML/1998/namespace',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  dc: 'http://purl.org/dc/elements/1.1/',
  cc: 'http://creativecommons.org/ns#',
});

/** Namespaces a figure may bind with `xmlns` / `xmlns:prefix` (xml is bound already). */
export const DECLARABLE_NAMESPACES: ReadonlySet<string> = new Set([
  NAMESPACES.svg,
  NAMESPACES.xlink,
  NAMESPACES.rdf,
  NAMESPACES.dc,
  NAMESPACES.cc,
]);

/** Namespaces of the elements inside `<metadata>` (matplotlib's RDF / Dublin Core block). */
export const METADATA_NAMESPACES: ReadonlySet<string> = new Set([
  NAMESPACES.rdf,
  NAMESPACES.dc,
  NAMESPACES.cc,
]);

/**
 * SVG elements a figure may contain: those matplotlib's SVG backend writes (checked against its
 * output for lines, bars, hatches, images, mathtext, clip paths, Gouraud shading, pandas and
 * seaborn plots), plus a few inert shapes and filter primitives of the same kind.
 */
export const SVG_ELEMENTS: ReadonlySet<string> = new Set([
  'svg',
  'g',
  'defs',
  'symbol',
  'use',
  'title',
  'desc',
  'metadata',
  'style',
  'path',
  'rect',
  'circle',
  'ellipse',
  'line',
  'polyline',
  'polygon',
  'text',
  'tspan',
  'image',
  'a',
  'clipPath',
  'mask',
  'pattern',
  'marker',
  'linearGradient',
  'radialGradient',
  'stop',
  'filter',
  'feComposite',
  'feColorMatrix',
  'feGaussianBlur',
  'feOffset',
  'feFlood',
  'feBlend',
  'feMerge',
  'feMergeNode',
]);

/**
 * Elements that run script, animate attributes (SMIL can set an href to `javascript:`) or load
 * other content; named in the refusal so that it says what was found.
 */
export const ACTIVE_ELEMENTS: ReadonlySet<string> = new Set([
  'script',
  'foreignObject',
  'iframe',
  'embed',
  'object',
  'handler',
  'listener',
  'set',
  'animate',
  'animateMotion',
  'animateTransform',
  'animateColor',
  'discard',
  'mpath',
  'feImage',
  'audio',
  'video',
  'canvas',
  'cursor',
  'tref',
  'font-face-uri',
]);

/**
 * How an attribute's value is checked: `plain` values are inert (numbers, path data, ids);
 * `css` ones are CSS (a `style` attribute, a presentation attribute such as `fill`, which may
 * hold `url(#id)`); `href` ones are links.
 */
export type AttributeKind = 'plain' | 'css' | 'href';

const PLAIN = [
  'id',
  'x',
  'y',
  'x1',
  'y1',
  'x2',
  'y2',
  'cx',
  'cy',
  'r',
  'rx',
  'ry',
  'fx',
  'fy',
  'fr',
  'dx',
  'dy',
  'width',
  'height',
  'd',
  'points',
  'pathLength',
  'transform',
  'viewBox',
  'version',
  'preserveAspectRatio',
  'offset',
  'gradientUnits',
  'gradientTransform',
  'spreadMethod',
  'patternUnits',
  'patternContentUnits',
  'patternTransform',
  'clipPathUnits',
  'maskUnits',
  'maskContentUnits',
  'markerUnits',
  'markerWidth',
  'markerHeight',
  'refX',
  'refY',
  'orient',
  'filterUnits',
  'primitiveUnits',
  'in',
  'in2',
  'result',
  'operator',
  'k1',
  'k2',
  'k3',
  'k4',
  'mode',
  'stdDeviation',
  'type',
  'values',
  'textLength',
  'lengthAdjust',
];

const CSS = [
  'style',
  'fill',
  'fill-opacity',
  'fill-rule',
  'stroke',
  'stroke-width',
  'stroke-opacity',
  'stroke-linecap',
  'stroke-linejoin',
  'stroke-miterlimit',
  'stroke-dasharray',
  'stroke-dashoffset',
  'opacity',
  'clip-path',
  'clip-rule',
  'mask',
  'filter',
  'color',
  'display',
  'visibility',
  'overflow',
  'font-family',
  'font-size',
  'font-style',
  'font-weight',
  'font-variant',
  'font-stretch',
  'text-anchor',
  'dominant-baseline',
  'alignment-baseline',
  'baseline-shift',
  'letter-spacing',
  'word-spacing',
  'text-decoration',
  'stop-color',
  'stop-opacity',
  'flood-color',
  'flood-opacity',
  'color-interpolation-filters',
  'shape-rendering',
  'image-rendering',
  'text-rendering',
  'marker-start',
  'marker-mid',
  'marker-end',
  'vector-effect',
  'paint-order',
];

/** Attributes without a namespace that SVG elements may carry, and how each is checked. */
export const SVG_ATTRIBUTES: ReadonlyMap<string, AttributeKind> = new Map<string, AttributeKind>([
  ...PLAIN.map((name) => [name, 'plain'] as const),
  ...CSS.map((name) => [name, 'css'] as const),
  ['href', 'href'],
]);

/** Attributes in the xml namespace an element may carry (not `xml:base`, which moves links). */
export const XML_ATTRIBUTES: ReadonlySet<string> = new Set(['space', 'lang']);

/** Attributes in the RDF namespace a metadata element may carry; their values are http(s) URLs. */
export const RDF_ATTRIBUTES: ReadonlySet<string> = new Set(['resource', 'about']);
