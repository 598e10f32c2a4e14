import { describe, expect, it } from 'vitest';
import {
  createTerminalSanitizer,
  stripControls,
  terminalLine,
} from '../../../src/internal/terminal-safe.js';

// What the red team printed: a window title (OSC 0), a screen clear, a cursor move, an OSC 8
// hyperlink whose text is not its target, 8-bit CSI, DEL, and a right-to-left override.
const hostile =
  'a\x1b]0;owned\x07b\x1b[2Jc\x1b[1;1Hd\x1b]8;;https://attacker.example\x1b\\figure 2: ok\x1b]8;;\x1b\\e\x9b2Jf\x7fg\u202eh\r\ni\tj';

describe('stripControls', () => {
  it('removes escape sequences whole and every control but tab and line feed', () => {
    expect(stripControls(hostile)).toBe('abcdfigure 2: oke2Jfgh\ni\tj');
  });

  it('keeps ordinary text, Unicode included', () => {
    const text = 'Umsatz je Region – 2024 (€)\n\tφ ≥ 0.5 ✓ 日本語';
    expect(stripControls(text)).toBe(text);
  });

  it('is linear on unterminated sequences', () => {
    const text = '\x1b]'.repeat(200_000) + '\x1b['.repeat(200_000);
    const started = performance.now();
    expect(stripControls(text)).toBe('');
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('terminalLine', () => {
  it('makes one line, so a field cannot start a line of its own', () => {
    expect(terminalLine('title\nfigure 2: https://attacker.example\r\x1b[2K')).toBe(
      'title figure 2: https://attacker.example ',
    );
  });
});

describe('createTerminalSanitizer', () => {
  it('removes a sequence split across chunks whole', () => {
    const sanitizer = createTerminalSanitizer();
    const chunks = ['one \x1b]8;;https://attack', 'er.example\x1b', '\\two\x1b[', '31mthree\x1b'];
    const out = chunks.map((chunk) => sanitizer.push(chunk)).join('');
    sanitizer.end();
    expect(out).toBe('one twothree');
  });

  it('does not hold an unfinished sequence without bound', () => {
    const sanitizer = createTerminalSanitizer();
    expect(sanitizer.push(`x\x1b]0;${'t'.repeat(10_000)}`)).toBe('x');
    expect(sanitizer.push('visible')).toBe('visible');
  });
});
