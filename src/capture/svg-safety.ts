import { isUtf8 } from 'node:buffer';
import { NOT_SVG, SvgChecker } from './svg-checker.js';
import { XmlScanner } from './xml-scanner.js';

// matplotlib nests about ten levels deep and writes a few attributes per element; a 10 MiB
// figure of its has about 150 000 elements. The element bound caps the check's time however
// large maxFigureBytes is set.
const XML_LIMITS = Object.freeze({ maxDepth: 256, maxElements: 1_000_000, maxAttributes: 64 });
const MAX_REASON_CHARS = 300;
// Characters XML does not allow (as UTF-8 bytes): C0 controls but tab and line ends, U+FFFE/F.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
const NOT_XML_CHARACTERS = /[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]/;

/** An SVG checked as its bytes arrive; `end` gives the verdict. */
export interface SvgCheck {
  /** The next bytes of the file. */
  push(bytes: Uint8Array): void;
  /** Why the SVG is refused, or undefined when it passed; the file is complete. */
  end(): string | undefined;
  /** Why the SVG is refused, when that is known already (the rest need not be pushed). */
  readonly refusal: string | undefined;
}

/**
 * Starts checking an SVG figure against the allow-list of what matplotlib's SVG backend writes.
 * The file is parsed the way a browser parses it (strict XML in UTF-8, namespace prefixes
 * resolved), so that a browser opening it as a document sees exactly the elements and
 * attributes that were checked: SVG elements from the allow-list (no script, foreignObject,
 * animation or embedded documents), attributes from the allow-list (no `on…` handlers), links
 * only to `#id` in the same file, images only as PNG or JPEG `data:` URLs, CSS without escapes,
 * at-rules or `url()` to anything but `#id`, no DOCTYPE declarations or entities.
 *
 * Work is done as bytes arrive and is linear in the file's size, without recursion: a figure
 * streaming in never blocks the event loop for longer than its own chunks take to scan. The
 * reason is short and printable.
 */
export function createSvgCheck(): SvgCheck {
  return new StreamingSvgCheck();
}

/** Why an SVG figure is refused (see `createSvgCheck`), or undefined. */
export function svgRefusal(bytes: Uint8Array): string | undefined {
  const check = createSvgCheck();
  check.push(bytes);
  return check.end();
}

class StreamingSvgCheck implements SvgCheck {
  readonly #checker = new SvgChecker();
  readonly #scanner = new XmlScanner(this.#checker, XML_LIMITS);
  // The end of a UTF-8 character cut by the end of the last bytes, and the last two bytes
  // (U+FFFE is three bytes long), with how many bytes came before them.
  #carry: Buffer = Buffer.alloc(0);
  #tail = '';
  #offset = 0;
  #refusal: string | undefined;
  #ended = false;

  get refusal(): string | undefined {
    return this.#refusal;
  }

  push(bytes: Uint8Array): void {
    if (this.#refusal !== undefined || this.#ended) return;
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const data = this.#carry.length > 0 ? Buffer.concat([this.#carry, view]) : view;
    const whole = wholeCharacters(data);
    this.#carry = Buffer.from(data.subarray(whole));
    const text = data.toString('latin1', 0, whole);
    this.#scan(text, data.subarray(0, whole));
  }

  end(): string | undefined {
    if (!this.#ended) {
      this.#ended = true;
      if (this.#refusal === undefined && this.#carry.length > 0) this.#refuse(NOT_UTF8);
      if (this.#refusal === undefined) this.#refusal = this.#reason(this.#scanner.end());
    }
    return this.#refusal;
  }

  #scan(text: string, bytes: Buffer): void {
    if (!isUtf8(bytes)) {
      this.#refuse(NOT_UTF8);
      return;
    }
    const control = NOT_XML_CHARACTERS.exec(this.#tail + text);
    if (control !== null) {
      const at = this.#offset - this.#tail.length + control.index;
      this.#refuse(`the SVG has a character XML does not allow at byte ${at}`);
      return;
    }
    this.#offset += text.length;
    this.#tail = (this.#tail + text).slice(-2);
    this.#refusal = this.#reason(this.#scanner.push(text));
  }

  #refuse(reason: string): void {
    this.#refusal = reason;
  }

  #reason(problem: string | undefined): string | undefined {
    if (problem === undefined) return undefined;
    const reason = this.#checker.refusal ?? `the SVG has ${problem}`;
    return reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS - 1)}…` : reason;
  }
}

const NOT_UTF8 = `${NOT_SVG} (it is not UTF-8 text)`;

/** How many bytes from the start of `bytes` end on a character boundary (a cut one is left). */
function wholeCharacters(bytes: Uint8Array): number {
  const length = bytes.length;
  for (let back = 1; back <= Math.min(3, length); back++) {
    const byte = bytes[length - back] as number;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
    if (byte < 0xc0) return length;
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    return back < needed ? length - back : length;
  }
  return length;
}
