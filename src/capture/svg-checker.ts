import { cssRefusal } from './css-safety.js';
import {
  ACTIVE_ELEMENTS,
  type AttributeKind,
  DECLARABLE_NAMESPACES,
  METADATA_NAMESPACES,
  NAMESPACES,
  RDF_ATTRIBUTES,
  SVG_ATTRIBUTES,
  SVG_ELEMENTS,
  XML_ATTRIBUTES,
} from './svg-allow-list.js';
import type { XmlAttribute, XmlHandler } from './xml-scanner.js';
import { decodeXmlValue, displayName, utf8 } from './xml-text.js';

// The DOCTYPE matplotlib writes (SVG 1.1; 1.0's too), or none: nothing that declares entities.
const SVG_DOCTYPE =
  /^\s+svg(?:\s+PUBLIC\s+"-\/\/W3C\/\/DTD SVG 1\.[01]\/\/EN"\s+"http:\/\/www\.w3\.org\/(?:Graphics\/SVG\/1\.1\/DTD\/svg11\.dtd|TR\/2001\/REC-SVG-20010904\/DTD\/svg10\.dtd)")?\s*$/;
const SAME_DOCUMENT_LINK = /^#[^\s"'()\\<>]+$/;
const IMAGE_DATA_URL = /^data:image\/(?:png|jpeg);base64,[A-Za-z0-9+/=\s]*$/;
const HTTP_URL = /^(?:https?:\/\/[^\s"'<>\\]*)?$/;
// Browsers drop tabs and line breaks inside URLs: "java&#9;script:" is still a script URL.
const SCRIPT_URL = /script:/i;
/** The start of the reason for a file whose root is not an SVG element. */
export const NOT_SVG = 'the image data is not a SVG image';
const SVG_NAMESPACE = NAMESPACES.svg;
const XLINK_NAMESPACE = NAMESPACES.xlink;
const XML_NAMESPACE = NAMESPACES.xml;
const RDF_NAMESPACE = NAMESPACES.rdf;

/** What an element's content is checked as. */
type Context = 'svg' | 'metadata' | 'style';

interface ResolvedName {
  namespace: string | undefined;
  local: string;
  /** The expanded name, to tell repeated attributes apart. */
  key: string;
}

/** An element's name as a refusal shows it. */
function tag(name: string): string {
  return `<${displayName(name)}>`;
}

/**
 * Applies the allow-list to what `XmlScanner` reports: resolves namespace prefixes as a browser
 * does, and refuses any element, attribute or value matplotlib's SVG backend does not write.
 */
export class SvgChecker implements XmlHandler {
  /** Set when the content (not the XML syntax) was refused: the whole reason. */
  refusal: string | undefined;
  // The scanner's text during the current call: attribute positions point into it.
  #source = '';
  // Per open element: what its content is checked as, and the namespace bindings it made
  // (with what each prefix meant before), to undo when it closes.
  readonly #contexts: Context[] = [];
  readonly #undo: ([prefix: string, previous: string | undefined][] | undefined)[] = [];
  readonly #namespaces = new Map<string, string>([['xml', NAMESPACES.xml]]);
  readonly #elementNames = new Map<string, ResolvedName>();
  readonly #attributeNames = new Map<string, ResolvedName>();
  // The expanded names of the current tag's attributes.
  readonly #seen = new SeenNames();
  #doctypes = 0;
  #style: string[] = [];

  doctype(body: string): string | undefined {
    this.#doctypes++;
    if (this.#doctypes > 1 || !SVG_DOCTYPE.test(body)) {
      return this.#refuse('the SVG has a DOCTYPE other than the SVG 1.1 one matplotlib writes');
    }
    return undefined;
  }

  open(name: string, attributes: readonly XmlAttribute[], source: string): string | undefined {
    this.#source = source;
    const depth = this.#contexts.length;
    const parent = depth === 0 ? undefined : this.#contexts[depth - 1];
    this.#contexts.push('svg');
    this.#undo.push(undefined);
    if (attributes.length > 0) {
      const declared = this.#declare(attributes);
      if (declared !== undefined) return declared;
    }
    const element = this.#resolve(name, true);
    if (typeof element === 'string') return element;
    const { namespace, local } = element;
    if (parent === undefined && (local !== 'svg' || namespace !== SVG_NAMESPACE)) {
      return this.#refuse(
        local === 'svg'
          ? `${NOT_SVG} (its root element ${tag(name)} is not in the SVG namespace)`
          : `${NOT_SVG} (its root element is ${tag(name)})`,
      );
    }
    if (parent === 'style')
      return this.#refuse(`the SVG has a ${tag(name)} element inside <style>`);
    if (parent === 'metadata') {
      this.#contexts[depth] = 'metadata';
      if (namespace === undefined || !METADATA_NAMESPACES.has(namespace)) {
        return this.#refuse(
          `the SVG has a ${tag(name)} element inside <metadata>, where matplotlib writes RDF only`,
        );
      }
      return this.#attributes(undefined, name, attributes);
    }
    if (namespace !== SVG_NAMESPACE) {
      return this.#refuse(`the SVG contains a ${tag(name)} element outside the SVG namespace`);
    }
    if (!SVG_ELEMENTS.has(local)) {
      return this.#refuse(
        ACTIVE_ELEMENTS.has(local)
          ? `the SVG contains a ${tag(name)} element, which could run script or load other content in a browser`
          : `the SVG contains a ${tag(name)} element, which matplotlib does not write`,
      );
    }
    if (local === 'metadata' || local === 'style') {
      this.#contexts[depth] = local;
      this.#style = [];
    }
    return attributes.length > 0 ? this.#attributes(local, name, attributes) : undefined;
  }

  close(): string | undefined {
    const context = this.#contexts.pop();
    const undo = this.#undo.pop();
    if (undo !== undefined) {
      for (const [prefix, previous] of undo.reverse()) {
        this.#bind(prefix, previous);
      }
    }
    if (context !== 'style') return undefined;
    const refused = cssRefusal(this.#style.join(''));
    this.#style = [];
    return refused === undefined
      ? undefined
      : this.#refuse(`the SVG contains ${refused} in a <style> element`);
  }

  text(source: string, start: number, end: number, cdata: boolean): string | undefined {
    if (this.#contexts[this.#contexts.length - 1] === 'style') {
      this.#style.push(
        cdata ? utf8(source.slice(start, end)) : decodeXmlValue(source, start, end, false),
      );
    }
    return undefined;
  }

  #refuse(reason: string): string {
    this.refusal = reason;
    return reason;
  }

  #value(attribute: XmlAttribute): string {
    return decodeXmlValue(this.#source, attribute.valueStart, attribute.valueEnd, true);
  }

  // Namespace declarations apply to the element that makes them, so they come first.
  #declare(attributes: readonly XmlAttribute[]): string | undefined {
    for (const attribute of attributes) {
      const { name } = attribute;
      if (name !== 'xmlns' && !name.startsWith('xmlns:')) continue;
      const prefix = name === 'xmlns' ? '' : name.slice(6);
      const namespace = this.#value(attribute);
      if (prefix === 'xml' || prefix === 'xmlns' || prefix.includes(':')) {
        return this.#refuse(
          `the SVG redeclares a reserved namespace prefix (${displayName(name)})`,
        );
      }
      if (!DECLARABLE_NAMESPACES.has(namespace)) {
        return this.#refuse(
          `the SVG declares a namespace matplotlib does not use (${displayName(name)}=)`,
        );
      }
      const depth = this.#undo.length - 1;
      const undo = this.#undo[depth] ?? [];
      undo.push([prefix, this.#namespaces.get(prefix)]);
      this.#undo[depth] = undo;
      this.#bind(prefix, namespace);
    }
    return undefined;
  }

  #resolve(name: string, isElement: boolean): ResolvedName | string {
    const cache = isElement ? this.#elementNames : this.#attributeNames;
    const cached = cache.get(name);
    if (cached !== undefined) return cached;
    const resolved = this.#resolveUncached(name, isElement);
    if (typeof resolved !== 'string') cache.set(name, resolved);
    return resolved;
  }

  #resolveUncached(name: string, isElement: boolean): ResolvedName | string {
    const colon = name.indexOf(':');
    if (colon === -1) {
      const namespace = isElement ? this.#namespaces.get('') : undefined;
      return { namespace, local: name, key: name };
    }
    const prefix = name.slice(0, colon);
    const local = name.slice(colon + 1);
    const namespace = this.#namespaces.get(prefix);
    if (prefix === '' || local === '' || local.includes(':')) {
      return this.#refuse(`the SVG has a malformed qualified name (${displayName(name)})`);
    }
    if (namespace === undefined) {
      return this.#refuse(`the SVG uses an undeclared namespace prefix (${displayName(name)})`);
    }
    return { namespace, local, key: `${namespace} ${local}` };
  }

  // Resolutions hold while the bindings do: matplotlib binds prefixes on two elements only.
  #bind(prefix: string, namespace: string | undefined): void {
    if (namespace === undefined) this.#namespaces.delete(prefix);
    else this.#namespaces.set(prefix, namespace);
    this.#elementNames.clear();
    this.#attributeNames.clear();
  }

  // `element` is the local name of an SVG element, or undefined inside <metadata>.
  #attributes(
    element: string | undefined,
    elementName: string,
    attributes: readonly XmlAttribute[],
  ): string | undefined {
    const seen = this.#seen.clear();
    for (const attribute of attributes) {
      const resolved = this.#attributeName(attribute, seen);
      if (resolved === undefined) continue;
      if (typeof resolved === 'string') return resolved;
      const problem =
        element === undefined
          ? this.#metadataAttribute(resolved, attribute)
          : this.#svgAttribute(element, resolved, attribute);
      if (problem !== undefined) {
        return this.#refuse(
          `the SVG contains ${problem} (${displayName(attribute.name)}= on ${tag(elementName)})`,
        );
      }
    }
    return undefined;
  }

  #svgAttribute(
    element: string,
    { namespace, local }: ResolvedName,
    attribute: XmlAttribute,
  ): string | undefined {
    let kind: AttributeKind | undefined;
    if (namespace === undefined) kind = SVG_ATTRIBUTES.get(local);
    else if (namespace === XLINK_NAMESPACE && local === 'href') kind = 'href';
    else if (namespace === XML_NAMESPACE && XML_ATTRIBUTES.has(local)) kind = 'plain';
    if (kind === undefined) {
      return /^on/i.test(local)
        ? 'an event handler attribute, which could run script in a browser'
        : 'an attribute matplotlib does not write';
    }
    if (kind === 'plain') {
      return element === 'style' && local === 'type' && this.#value(attribute) !== 'text/css'
        ? 'a style sheet that is not CSS'
        : undefined;
    }
    const value = this.#value(attribute);
    // Browsers drop tabs and line breaks inside URLs: "java&#9;script:" is still a script URL.
    if (SCRIPT_URL.test(value)) return 'a script URL, which could run script in a browser';
    if (kind === 'css') return cssRefusal(value);
    if (element === 'image') {
      return IMAGE_DATA_URL.test(value)
        ? undefined
        : 'an image that is not a PNG or JPEG data: URL';
    }
    return SAME_DOCUMENT_LINK.test(value)
      ? undefined
      : 'a link that is not a same-document #id reference';
  }

  #metadataAttribute(
    { namespace, local }: ResolvedName,
    attribute: XmlAttribute,
  ): string | undefined {
    if (namespace === XML_NAMESPACE && local === 'lang') return undefined;
    if (namespace !== RDF_NAMESPACE || !RDF_ATTRIBUTES.has(local)) {
      return 'an attribute matplotlib does not write';
    }
    return HTTP_URL.test(this.#value(attribute))
      ? undefined
      : 'metadata that links to something other than an http(s) URL';
  }

  /** The attribute's expanded name; undefined for a namespace declaration (checked already). */
  #attributeName(attribute: XmlAttribute, seen: SeenNames): ResolvedName | string | undefined {
    const { name } = attribute;
    if (name === 'xmlns' || name.startsWith('xmlns:')) {
      return seen.add(name)
        ? undefined
        : this.#refuse(`the SVG repeats the attribute ${displayName(name)}=`);
    }
    const resolved = this.#resolve(name, false);
    if (typeof resolved === 'string') return resolved;
    return seen.add(resolved.key)
      ? resolved
      : this.#refuse(`the SVG repeats the attribute ${displayName(name)}=`);
  }
}

/** The attribute names of one tag: a short list, a set once there are many. */
class SeenNames {
  readonly #list: string[] = [];
  #set: Set<string> | undefined;

  clear(): this {
    this.#list.length = 0;
    this.#set = undefined;
    return this;
  }

  /** Adds `name`; false when it was there already. */
  add(name: string): boolean {
    if (this.#set !== undefined) {
      if (this.#set.has(name)) return false;
      this.#set.add(name);
      return true;
    }
    if (this.#list.includes(name)) return false;
    this.#list.push(name);
    if (this.#list.length > 16) this.#set = new Set(this.#list);
    return true;
  }
}
