import { describe, expect, it } from 'vitest';
import { attachmentDisposition, safeFilePath } from '../../../src/sinks/safe-file-path.js';

describe('safeFilePath', () => {
  it('keeps plain paths as they are', () => {
    expect(safeFilePath('out/clean.csv')).toBe('out/clean.csv');
    expect(safeFilePath('report-2026_v1.xlsx')).toBe('report-2026_v1.xlsx');
  });

  it('cleans every segment, and marks a changed name with a hash of the original', () => {
    const cleaned = safeFilePath('%2e%2e/a b/.hidden/[x](y)//z.csv');
    for (const segment of cleaned.split('/')) {
      expect(segment).toMatch(/^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/);
    }
    expect(cleaned).toMatch(/^_2e_2e\/a_b\/_hidden\/_x__y_\/_\/z~[0-9a-f]{8}\.csv$/);
  });

  it('never maps two different names to one', () => {
    const names = ['a b.csv', 'a_b.csv', 'a?b.csv', 'a/b.csv', 'a//b.csv', 'a_/b.csv'];
    expect(new Set(names.map(safeFilePath)).size).toBe(names.length);
  });
});

describe('attachmentDisposition', () => {
  it('names the file in ASCII and UTF-8, and cannot be broken out of by a quote', () => {
    expect(attachmentDisposition('out/Umsatz "Q1" ü.csv')).toBe(
      `attachment; filename="Umsatz _Q1_ _.csv"; filename*=UTF-8''Umsatz%20%22Q1%22%20%C3%BC.csv`,
    );
  });
});
