import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { scrubBase64 } from '../../../src/tool/scrub-base64.js';
import { clipLine, fitMiddle, shareBudget } from '../../../src/tool/text.js';

/** Base64 of `bytes` pseudo-random bytes: mixes upper case, lower case and digits like image data. */
function randomBase64(bytes: number): string {
  const data = Buffer.alloc(bytes);
  let state = 7;
  for (let at = 0; at < bytes; at++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    data[at] = state >> 16;
  }
  return data.toString('base64');
}

/** The longest run of base64 characters that mixes upper case, lower case and digits. */
function longestMixedRun(text: string): number {
  let longest = 0;
  for (const run of text.match(/[A-Za-z0-9+/_-]+/g) ?? []) {
    if (/[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run)) {
      longest = Math.max(longest, run.length);
    }
  }
  return longest;
}

describe('scrubBase64', () => {
  it('replaces data: URLs and long mixed runs, and keeps words, numbers and hex digests', () => {
    const payload = randomBase64(600);
    const text = `img data:image/png;base64,${payload} raw ${payload} hex ${'ab12'.repeat(80)} word ${'a'.repeat(300)}`;
    const scrubbed = scrubBase64(text);
    expect(scrubbed).toMatch(
      /^img \[image\/png data: URL, [\d,]+ characters omitted\] raw \[base64 data, 800 characters omitted\] hex (ab12){80} word a{300}$/,
    );
  });

  it('replaces base64 wrapped in 76-character lines (MIME) and 64-character lines (PEM)', () => {
    const payload = randomBase64(3000);
    const mime = payload.replace(/.{76}/g, '$&\n');
    const pem = `-----BEGIN CERTIFICATE-----\r\n${payload.replace(/.{64}/g, '$&\r\n')}\r\n-----END CERTIFICATE-----`;
    const scrubbedMime = scrubBase64(`before\n${mime}\nafter`);
    expect(scrubbedMime).toBe('before\n[base64 data, 4,000 characters omitted]\nafter');
    const scrubbedPem = scrubBase64(pem);
    expect(scrubbedPem).toMatch(
      /^-----BEGIN CERTIFICATE-----\r\n\[base64 data, 4,000 characters omitted\]\r\n/,
    );
    expect(longestMixedRun(scrubbedPem)).toBe(0);
  });

  it('leaves text in lines of equal length alone when it is not base64', () => {
    const table = Array.from(
      { length: 20 },
      (_, row) => `row_${String(row).padStart(3, '0')}_${'value'.repeat(8)}`,
    ).join('\n');
    expect(scrubBase64(table)).toBe(table);
  });

  it('is linear: 20 MB of 255-character words takes well under a second of event-loop time', async () => {
    const unit = `${'A'.repeat(255)} `;
    const text = unit.repeat(Math.ceil(20_000_000 / unit.length));
    text.indexOf('\n'); // flat, as joined output is
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
    const started = performance.now();
    const scrubbed = scrubBase64(text);
    const seconds = (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 30));
    histogram.disable();
    expect(scrubbed.length).toBe(text.length);
    // The regex it replaces took ~11 s for this input (backtracking at every character of each word).
    expect(seconds).toBeLessThan(1);
    expect(histogram.max / 1e6).toBeLessThan(1000);
  });
});

describe('fitMiddle', () => {
  it('cuts first and scrubs what it keeps: no base64 leaks at the cut, the marker counts everything', () => {
    const payload = randomBase64(30_000);
    const text = `start\n${payload}\nend\n`;
    const fitted = fitMiddle(text, 2000, { label: 'stdout' });
    expect(fitted.length).toBeLessThanOrEqual(2000);
    expect(longestMixedRun(fitted)).toBeLessThan(64);
    expect(fitted).toMatch(
      /^start\n\[base64 data, [\d,]+ characters omitted\]\n\[… [\d,]+ characters of stdout cut here/,
    );
    expect(fitted).toMatch(/\nend\n$/);
  });

  it('adds the characters the sandbox cut to its count, in place of the sandbox line', () => {
    const sandboxLine =
      '[… 5,000,000 characters of stdout cut here: over maxOutputBytes (1,024 bytes), the first and last half kept …]';
    const text = `${'a\n'.repeat(5000)}${sandboxLine}\n${'b\n'.repeat(5000)}`;
    const fitted = fitMiddle(text, 1000, { label: 'stdout', alreadyCut: 5_000_000 });
    const cut = /\[… ([\d,]+) characters of stdout cut here/.exec(fitted);
    const removedHere = text.length - (fitted.length - (cut?.[0].length ?? 0));
    expect(Number(cut?.[1]?.replace(/,/g, ''))).toBeGreaterThan(
      5_000_000 + removedHere - sandboxLine.length - 200,
    );
    expect(fitted).not.toContain('maxOutputBytes');
    expect(fitted.length).toBeLessThanOrEqual(1000);
  });
});

describe('shareBudget and clipLine', () => {
  it('gives small parts what they ask and splits the rest evenly', () => {
    expect(shareBudget([100, 50_000, 8_000, 30], 20_000)).toEqual([100, 11_870, 8000, 30]);
    expect(shareBudget([50_000, 40_000, 30], 20_000)).toEqual([9985, 9985, 30]);
    expect(shareBudget([10, 20], 100)).toEqual([10, 20]);
    expect(shareBudget([500, 500], -5)).toEqual([0, 0]);
  });

  it('makes one line without control characters, reading only the start of a huge text', () => {
    expect(clipLine('a\x1b]0;pwned\x07b\r\nc\x9b2J\u202e', 50)).toBe('ab c2J');
    const huge = `title ${' x'.repeat(25_000_000)}`;
    huge.indexOf('\n'); // flat: the time below is clipLine's own
    const started = performance.now();
    expect(clipLine(huge, 200)).toHaveLength(200);
    expect(performance.now() - started).toBeLessThan(50);
  });
});
