import { describe, expect, it } from 'vitest';
import { createBoundedOutput } from '../../../src/sandbox/bounded-output.js';

describe('createBoundedOutput', () => {
  it('keeps output within the limit whole', () => {
    const output = createBoundedOutput(1024, 'stdout');
    for (const chunk of ['a', 'bc\n', 'é€😀']) output.push(chunk);
    expect(output.text()).toBe('abc\né€😀');
    expect(output.cutChars).toBe(0);
  });

  it('keeps the first and last half in UTF-8 bytes, never splitting a character, and counts the rest', () => {
    const output = createBoundedOutput(1024, 'stdout');
    const text = `${'€'.repeat(1000)}${'😀'.repeat(1000)}end`;
    // Chunks of every size, some splitting surrogate pairs' neighbours.
    for (let at = 0; at < text.length; ) {
      const size = 1 + (at % 37);
      output.push(text.slice(at, at + size));
      at += size;
    }
    const kept = output.text();
    const [head = '', tail = ''] = kept.split(
      /\n?\[… [\d,]+ characters of stdout cut here: [^\n]*\n/,
    );
    expect(Buffer.byteLength(head)).toBeLessThanOrEqual(512);
    expect(Buffer.byteLength(head)).toBeGreaterThan(512 - 3);
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(512);
    expect(Buffer.byteLength(tail)).toBeGreaterThan(512 - 4);
    expect(head).toMatch(/^€+$/);
    expect(tail).toMatch(/^(😀)+end$/u);
    expect(output.cutChars).toBe(text.length - head.length - tail.length);
    expect(kept).toContain(
      `[… ${output.cutChars.toLocaleString('en-US')} characters of stdout cut here: over maxOutputBytes (1,024 bytes), the first and last half kept …]`,
    );
  });

  it('holds a bounded amount however much arrives in small writes', () => {
    const output = createBoundedOutput(64 * 1024, 'stderr');
    const line = `${'x'.repeat(99)}\n`;
    for (let written = 0; written < 50_000_000; written += line.length) output.push(line);
    const kept = output.text();
    expect(kept.length).toBeLessThan(64 * 1024 + 200);
    const [head = '', tail = ''] = kept.split(
      /\n?\[… [\d,]+ characters of stderr cut here: [^\n]*\n/,
    );
    expect(output.cutChars).toBe(50_000_000 - head.length - tail.length);
    expect(tail.endsWith(line)).toBe(true);
  });
});
