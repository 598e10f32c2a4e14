/**
 * Text for a terminal (and for any reader that should see text, not control): what the sandboxed
 * code controls (titles, problem reasons, paths, error messages, its streamed output) must never
 * reach a terminal as control sequences, which could retitle the window, clear the screen, move
 * the cursor over earlier lines or hide a hyperlink (OSC 8) behind innocent text.
 */

// A complete escape sequence: CSI (`ESC [` … final byte), OSC / DCS / SOS / PM / APC strings (up
// to BEL or ST; an unterminated one runs to the next ESC or the end of the text), or a two- or
// three-character escape. Character classes are disjoint and unnested: matching is linear.
const escapeSequence =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are what it removes.
  /\x1b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]*[0-~])/g;

// What is left after the sequences: C0 controls but tab and line feed, DEL, C1 controls (8-bit
// CSI and OSC among them), lone ESCs, and the Unicode bidirectional overrides and isolates that
// make a terminal show text in another order than it is.
const controlCharacters =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes.
  /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` without terminal control: escape sequences are removed whole (an OSC 8 hyperlink keeps
 * its visible text, loses its target), other control characters are dropped. Tabs and line feeds
 * stay; carriage returns go (they could overwrite a line already shown). Linear in the length.
 */
export function stripControls(text: string): string {
  return text.replace(escapeSequence, '').replace(controlCharacters, '');
}

/**
 * One line for a terminal: `stripControls`, with line breaks and tabs turned into spaces, so a
 * field the code controls cannot start a line that looks like the command's own (`figure 2: …`).
 */
export function terminalLine(text: string): string {
  return stripControls(text.replace(/[\r\n\t]+/g, ' '));
}

/** A streaming `stripControls`: an escape sequence split across chunks is still removed whole. */
export interface TerminalSanitizer {
  /** The safe text of `chunk`; an unfinished escape sequence at its end waits for the next chunk. */
  push(chunk: string): string;
  /** Ends the stream: an unfinished sequence still held is dropped. */
  end(): void;
}

// An unfinished sequence held back longer than this is dropped: it is not a real terminal
// sequence, and holding it would let the code make the host buffer without bound.
const MAX_HELD_CHARS = 4096;

/** Makes a `TerminalSanitizer` for one stream. */
export function createTerminalSanitizer(): TerminalSanitizer {
  let held = '';
  return {
    push(chunk) {
      const text = held + chunk;
      held = '';
      const start = text.lastIndexOf('\x1b');
      if (start >= 0 && text.length - start <= MAX_HELD_CHARS && !isFinished(text.slice(start))) {
        held = text.slice(start);
        return stripControls(text.slice(0, start));
      }
      return stripControls(text);
    },
    end() {
      held = '';
    },
  };
}

// Whether `tail` (which starts with ESC) is a finished sequence, or text that cannot become one.
function isFinished(tail: string): boolean {
  if (tail.length < 2) return false;
  const introducer = tail[1] as string;
  if (introducer === '[') return /^.\[[0-?]*[ -/]*[@-~]/s.test(tail);
  if (']PX^_'.includes(introducer)) return tail.includes('\x07') || tail.includes('\x1b\\', 2);
  return /^.[ -/]*[0-~]/s.test(tail) || !/^.[ -/]*$/s.test(tail);
}
