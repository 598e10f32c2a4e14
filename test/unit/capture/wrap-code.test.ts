import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPTURE } from '../../../src/capture/capture-options.js';
import { createNonce, wrapPythonCode } from '../../../src/capture/wrap-code.js';
import { SandplotError } from '../../../src/errors/index.js';
import type { CaptureOptions } from '../../../src/types/index.js';

describe('createNonce', () => {
  it('returns 32 lowercase hex characters, different every time', () => {
    const nonces = new Set(Array.from({ length: 100 }, () => createNonce()));
    expect(nonces.size).toBe(100);
    for (const nonce of nonces) expect(nonce).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('wrapPythonCode options', () => {
  it('resolves the documented defaults', () => {
    expect(DEFAULT_CAPTURE).toEqual({
      enabled: true,
      format: 'png',
      dpi: 100,
      maxFigures: 20,
      maxFigureBytes: 10 * 1024 * 1024,
      transport: 'stdout',
      chartData: true,
      maxFigureSidePixels: 8000,
      tightBoundingBox: true,
    });
  });

  it.each(['', 'ABCDEF0123456789abcdef0123456789', 'abc', `${'a'.repeat(32)}'`, 'g'.repeat(32)])(
    'refuses the nonce %j with INVALID_INPUT',
    (nonce) => {
      const attempt = () => wrapPythonCode('print(1)', { nonce });
      expect(attempt).toThrow(SandplotError);
      expect(attempt).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    },
  );

  it('refuses capture options that cannot become Python literals', () => {
    const nonce = createNonce();
    const bad: CaptureOptions[] = [
      { format: 'gif' as 'png' },
      { dpi: Number.NaN },
      { dpi: 0 },
      { maxFigures: 1.5 },
      { maxFigureSidePixels: 0 },
      { maxFigureSidePixels: 1.5 },
      { maxFigures: -1 },
      { maxFigureBytes: 0 },
      { enabled: 'yes' as unknown as boolean },
      { transport: "files'" as 'files' },
    ];
    for (const capture of bad) {
      expect(() => wrapPythonCode('print(1)', { nonce, ...capture })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    }
  });

  it('keeps ordinary code small', () => {
    const wrapped = wrapPythonCode('print(1)', { nonce: createNonce() });
    expect(Buffer.byteLength(wrapped)).toBeLessThan(32 * 1024);
  });
});
