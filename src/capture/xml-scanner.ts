import { displayName, isSpace, nameEndAt, referenceEnd } from './xml-text.js';

/** One attribute of a start tag: its qualified name, and where its value lies in `source`. */
export interface XmlAttribute {
  name: string;
  /** First character of the value, after its opening quote. */
  valueStart: number;
  /** The value's closing quote. */
  valueEnd: number;
}

/**
 * What `XmlScanner` reports, in document order. Each call returns why the document is refused,
 * or undefined to go on. Positions are in `source`, the scanner's text at the time of the call.
 */
export interface XmlHandler {
  /** A DOCTYPE declaration without an internal subset: the text between `<!DOCTYPE` and `>`. */
  doctype(body: string): string | undefined;
  /**
   * A start tag (or an empty-element tag, which `close` follows at once). The attributes are
   * reused for the next tag: read them here, keep no reference.
   */
  open(name: string, attributes: readonly XmlAttribute[], source: string): string | undefined;
  /** The end of the innermost open element. */
  close(): string | undefined;
  /** Character data inside an element: text with its references still encoded, or CDATA. */
  text(source: string, start: number, end: number, cdata: boolean): string | undefined;
}

/** Bounds on the document's shape; what exceeds one is refused. */
export interface XmlLimits {
  /** Elements open at once. */
  maxDepth: number;
  /** Elements in the whole document. */
  maxElements: number;
  /** Attributes of one element. */
  maxAttributes: number;
}

const INCOMPLETE = Symbol('incomplete');
/** What scanning one construct gave: done (undefined), a refusal, or more text needed. */
type Step = string | undefined | typeof INCOMPLETE;

const BOM = '\xef\xbb\xbf';
// The only declaration accepted: the input is checked to be UTF-8, so no other encoding may be named.
const XML_DECLARATION =
  /^\s+version\s*=\s*(["'])1\.\d{1,3}\1(?:\s+encoding\s*=\s*(["'])utf-8\2)?(?:\s+standalone\s*=\s*(["'])(?:yes|no)\3)?\s*$/i;
const MAX_KNOWN_NAMES = 4096;
const LESS_THAN = 0x3c;
const GREATER_THAN = 0x3e;
const AMPERSAND = 0x26;
const SLASH = 0x2f;
const EQUALS = 0x3d;
const BANG = 0x21;
const QUESTION = 0x3f;

/**
 * Scans XML as it arrives, in one pass, strictly: anything that is not well-formed, a
 * processing instruction, a DOCTYPE with an internal subset, or an entity other than the five
 * predefined ones ends the scan with a reason. Each construct (tag, text run, comment) is
 * scanned once it is complete; one cut by the end of what arrived so far is scanned again when
 * the text has doubled, so the work stays linear in the document's length. Nothing recurses.
 *
 * The text is UTF-8 bytes one per character (decoded as latin1); the caller checks that the
 * bytes are UTF-8. Names and values stay in that form (`decodeXmlValue` decodes a value).
 */
export class XmlScanner {
  readonly #handler: XmlHandler;
  readonly #limits: XmlLimits;
  // The text not consumed yet, and the byte offset of its start in the document.
  #text = '';
  #position = 0;
  #offset = 0;
  // The scan waits for this much text after a construct was cut short.
  #waitFor = 0;
  #prologDone = false;
  #elements = 0;
  readonly #open: string[] = [];
  #rootSeen = false;
  #rootDone = false;
  #refusal: string | undefined;
  // Reused for every tag: a figure has hundreds of thousands of elements, and allocations
  // were most of the scan's cost.
  readonly #attributes: XmlAttribute[] = [];
  readonly #attributePool: XmlAttribute[] = [];
  // Names seen so far, by a hash of their text: the same few names repeat all through a file.
  readonly #names = new Map<number, string>();

  constructor(handler: XmlHandler, limits: XmlLimits) {
    this.#handler = handler;
    this.#limits = limits;
  }

  /** The next part of the document; returns why it is refused, or undefined so far. */
  push(text: string): string | undefined {
    if (this.#refusal !== undefined) return this.#refusal;
    this.#text = this.#text.slice(this.#position) + text;
    this.#offset += this.#position;
    this.#position = 0;
    if (this.#text.length < this.#waitFor) return undefined;
    return this.#run(false);
  }

  /** The end of the document; returns why it is refused, or undefined. */
  end(): string | undefined {
    if (this.#refusal !== undefined) return this.#refusal;
    const problem = this.#run(true);
    if (problem !== undefined) return problem;
    const unclosed = this.#open.at(-1);
    if (unclosed !== undefined)
      return this.#refuse(`an unclosed <${displayName(unclosed)}> element`);
    if (!this.#rootSeen) return this.#refuse('no root element');
    return undefined;
  }

  #refuse(reason: string): string {
    this.#refusal = reason;
    return reason;
  }

  #at(what: string, position = this.#position): string {
    return `${what} at byte ${this.#offset + position}`;
  }

  // A construct cut short: more text may complete it, unless this is the end.
  #cut(final: boolean, what: string, position = this.#position): Step {
    return final ? this.#at(what, position) : INCOMPLETE;
  }

  #run(final: boolean): string | undefined {
    const step = this.#steps(final);
    if (step === INCOMPLETE) {
      this.#waitFor = 2 * (this.#text.length - this.#position);
      return undefined;
    }
    this.#waitFor = 0;
    return step === undefined ? undefined : this.#refuse(step);
  }

  #steps(final: boolean): Step {
    const text = this.#text;
    if (!this.#prologDone) {
      const prolog = this.#prolog(final);
      if (prolog !== undefined) return prolog;
      this.#prologDone = true;
    }
    while (this.#position < text.length) {
      const tag = text.indexOf('<', this.#position);
      if (tag === -1 && this.#open.length > 0 && !final) return INCOMPLETE;
      const textEnd = tag === -1 ? text.length : tag;
      if (textEnd > this.#position) {
        const problem = this.#characterData(this.#position, textEnd);
        if (problem !== undefined) return problem;
        this.#position = textEnd;
      }
      if (tag === -1) return undefined;
      const problem = this.#markup(final);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }

  // A byte-order mark and an XML declaration, only at the very start.
  #prolog(final: boolean): Step {
    const text = this.#text;
    const start = text.startsWith(BOM) ? BOM.length : 0;
    if (!final && (text.length < BOM.length || text.length - start < 6)) return INCOMPLETE;
    this.#position = start;
    if (!text.startsWith('<?xml', start) || !isSpace(text.charCodeAt(start + 5))) return undefined;
    const close = text.indexOf('?>', start);
    if (close === -1) return this.#cut(final, 'an unclosed XML declaration');
    if (!XML_DECLARATION.test(text.slice(start + 5, close))) {
      return this.#at('an XML declaration other than version 1.x in UTF-8');
    }
    this.#position = close + 2;
    return undefined;
  }

  #characterData(start: number, end: number): string | undefined {
    const text = this.#text;
    if (this.#open.length === 0) {
      for (let position = start; position < end; position++) {
        if (!isSpace(text.charCodeAt(position))) {
          return this.#at('text outside the root element', position);
        }
      }
      return undefined;
    }
    for (let position = start; position < end; position++) {
      const code = text.charCodeAt(position);
      if (code === AMPERSAND) {
        const after = referenceEnd(text, position);
        // The run ends at a "<": a reference cut short there is as refused as a wrong one.
        if (after <= 0) return this.#at(REFERENCE_REFUSED, position);
        position = after - 1;
      } else if (
        code === GREATER_THAN &&
        position - 2 >= start &&
        text.startsWith(']]', position - 2)
      ) {
        return this.#at('"]]>" in text', position - 2);
      }
    }
    return this.#handler.text(text, start, end, false);
  }

  #markup(final: boolean): Step {
    const text = this.#text;
    const start = this.#position;
    if (start + 1 >= text.length) return this.#cut(final, 'a "<" that starts no tag');
    const next = text.charCodeAt(start + 1);
    if (next === SLASH) return this.#endTag(final);
    if (next === QUESTION) return this.#at('a processing instruction');
    if (next !== BANG) return this.#startTag(final);
    if (text.length - start < 9 && !final) return INCOMPLETE;
    if (text.startsWith('<!--', start)) {
      const close = text.indexOf('--', start + 4);
      if (close === -1 || close + 2 >= text.length) return this.#cut(final, 'an unclosed comment');
      if (text.charCodeAt(close + 2) !== GREATER_THAN) {
        return this.#at('"--" inside a comment', close);
      }
      this.#position = close + 3;
      return undefined;
    }
    if (text.startsWith('<![CDATA[', start)) {
      if (this.#open.length === 0) return this.#at('a CDATA section outside the root element');
      const close = text.indexOf(']]>', start + 9);
      if (close === -1) return this.#cut(final, 'an unclosed CDATA section');
      this.#position = close + 3;
      return this.#handler.text(text, start + 9, close, true);
    }
    if (text.startsWith('<!DOCTYPE', start) && !this.#rootSeen) {
      const close = text.indexOf('>', start);
      if (close === -1) return this.#cut(final, 'an unclosed DOCTYPE');
      const body = text.slice(start + 9, close);
      if (body.includes('[')) return this.#at('a DOCTYPE with an internal subset (declarations)');
      this.#position = close + 1;
      return this.#handler.doctype(body);
    }
    return this.#at('a markup declaration (<!...>)');
  }

  // Reads the whole tag first and reports it only when complete, so that a tag cut short by
  // the end of the text so far can be read again from its start.
  #startTag(final: boolean): Step {
    const text = this.#text;
    if (this.#rootDone) return this.#at('a second root element');
    const { maxDepth, maxElements, maxAttributes } = this.#limits;
    if (this.#open.length >= maxDepth) {
      return this.#at(`elements nested deeper than ${maxDepth} levels`);
    }
    const nameEnd = nameEndAt(text, this.#position + 1);
    if (nameEnd === -1) return this.#at('a "<" that starts no tag');
    if (nameEnd === text.length) return this.#cut(final, 'an unclosed tag');
    const name = this.#name(this.#position + 1, nameEnd);
    const attributes = this.#attributes;
    attributes.length = 0;
    let position = nameEnd;
    for (;;) {
      const spaced = position;
      while (isSpace(text.charCodeAt(position))) position++;
      const code = text.charCodeAt(position);
      if (position >= text.length || (code === SLASH && position + 1 >= text.length)) {
        return this.#cut(final, 'an unclosed tag', position);
      }
      const selfClosing = code === SLASH && text.charCodeAt(position + 1) === GREATER_THAN;
      if (code === GREATER_THAN || selfClosing) {
        this.#elements++;
        if (this.#elements > maxElements) {
          return this.#at(`more than ${maxElements.toLocaleString('en-US')} elements`);
        }
        this.#position = position + (selfClosing ? 2 : 1);
        this.#rootSeen = true;
        const problem = this.#handler.open(name, attributes, text);
        if (problem !== undefined) return problem;
        if (selfClosing) return this.#closed();
        this.#open.push(name);
        return undefined;
      }
      if (position === spaced) return this.#malformed(name, position);
      const attributeEnd = nameEndAt(text, position);
      if (attributeEnd === -1) return this.#malformed(name, position);
      const attribute = this.#name(position, attributeEnd);
      position = attributeEnd;
      while (isSpace(text.charCodeAt(position))) position++;
      if (position >= text.length) return this.#cut(final, 'an unclosed tag', position);
      if (text.charCodeAt(position) !== EQUALS) return this.#malformed(name, position);
      position++;
      while (isSpace(text.charCodeAt(position))) position++;
      if (position >= text.length) return this.#cut(final, 'an unclosed tag', position);
      const quote = text.charCodeAt(position);
      if (quote !== 0x22 && quote !== 0x27)
        return this.#at('an unquoted attribute value', position);
      const valueStart = position + 1;
      const valueEnd = this.#attributeValueEnd(valueStart, quote, final);
      if (typeof valueEnd !== 'number') return valueEnd;
      if (attributes.length >= maxAttributes) {
        return this.#at(`a <${displayName(name)}> tag with more than ${maxAttributes} attributes`);
      }
      attributes.push(this.#attribute(attributes.length, attribute, valueStart, valueEnd));
      position = valueEnd + 1;
    }
  }

  #malformed(name: string, position: number): string {
    return this.#at(`a malformed <${displayName(name)}> tag`, position);
  }

  #attributeValueEnd(start: number, quote: number, final: boolean): number | Step {
    const text = this.#text;
    for (let position = start; position < text.length; position++) {
      const code = text.charCodeAt(position);
      if (code === quote) return position;
      if (code === LESS_THAN) return this.#at('"<" in an attribute value', position);
      if (code === AMPERSAND) {
        const after = referenceEnd(text, position);
        if (after === 0) return this.#cut(final, 'an unclosed attribute value', start);
        if (after === -1) return this.#at(REFERENCE_REFUSED, position);
        position = after - 1;
      }
    }
    return this.#cut(final, 'an unclosed attribute value', start);
  }

  #endTag(final: boolean): Step {
    const text = this.#text;
    const nameEnd = nameEndAt(text, this.#position + 2);
    const expected = this.#open.at(-1);
    if (nameEnd === text.length || (nameEnd === -1 && this.#position + 2 >= text.length)) {
      return this.#cut(final, 'an unclosed end tag');
    }
    if (nameEnd === -1 || expected === undefined) return this.#at('a stray end tag');
    const name = this.#name(this.#position + 2, nameEnd);
    if (name !== expected) {
      return this.#at(`</${displayName(name)}> where </${displayName(expected)}> belongs`);
    }
    let position = nameEnd;
    while (isSpace(text.charCodeAt(position))) position++;
    if (position >= text.length) return this.#cut(final, 'an unclosed end tag');
    if (text.charCodeAt(position) !== GREATER_THAN) {
      return this.#at(`a malformed </${displayName(name)}> tag`);
    }
    this.#position = position + 1;
    this.#open.pop();
    return this.#closed();
  }

  #closed(): string | undefined {
    if (this.#open.length === 0) this.#rootDone = true;
    return this.#handler.close();
  }

  #name(start: number, end: number): string {
    const text = this.#text;
    let hash = end - start;
    for (let position = start; position < end; position++) {
      hash = (Math.imul(hash, 31) + text.charCodeAt(position)) | 0;
    }
    const known = this.#names.get(hash);
    if (known !== undefined && known.length === end - start && text.startsWith(known, start)) {
      return known;
    }
    const name = text.slice(start, end);
    if (this.#names.size < MAX_KNOWN_NAMES) this.#names.set(hash, name);
    return name;
  }

  #attribute(index: number, name: string, valueStart: number, valueEnd: number): XmlAttribute {
    let attribute = this.#attributePool[index];
    if (attribute === undefined) {
      attribute = { name, valueStart, valueEnd };
      this.#attributePool.push(attribute);
    } else {
      attribute.name = name;
      attribute.valueStart = valueStart;
      attribute.valueEnd = valueEnd;
    }
    return attribute;
  }
}

const REFERENCE_REFUSED =
  'an entity reference other than &lt; &gt; &amp; &quot; &apos; or a character';
