import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, InvalidInputError } from '../../../src/errors/index.js';
import { parseOptions } from '../../../src/internal/parse-options.js';

const schema = z
  .object({
    timeoutMs: z.number().int().positive().default(1000),
    nested: z
      .object({ size: z.number().max(10).default(5) })
      .strict()
      .prefault({}),
  })
  .strict();

describe('parseOptions', () => {
  it('fills each default from the schema', () => {
    expect(parseOptions(schema, {}, 'test options')).toEqual({
      timeoutMs: 1000,
      nested: { size: 5 },
    });
  });

  it('names unknown keys, also nested ones', () => {
    expect(() =>
      parseOptions(schema, { timeoutMS: 5, nested: { sise: 1 } }, 'test options'),
    ).toThrow(
      'Invalid test options: unknown option `sise` in `nested`; unknown option `timeoutMS`.',
    );
  });

  it('describes each problem as path: message, and throws a ConfigError with the ZodError as cause', () => {
    let thrown: unknown;
    try {
      parseOptions(schema, { timeoutMs: -1, nested: { size: 11 } }, 'test options');
    } catch (error) {
      thrown = error;
    }
    expect(ConfigError.isInstance(thrown)).toBe(true);
    const error = thrown as ConfigError;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/^Invalid test options: `timeoutMs`: .+; `nested\.size`: .+\.$/);
    expect(error.cause).toBeInstanceOf(z.ZodError);
  });

  it("throws an InvalidInputError for call input ('input')", () => {
    expect(() => parseOptions(schema, { timeoutMs: 'x' }, 'input', 'input')).toThrow(
      InvalidInputError,
    );
  });
});
