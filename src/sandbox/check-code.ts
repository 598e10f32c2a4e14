import { InvalidInputError } from '../errors/index.js';

/**
 * Refuses code that is not a string, is empty, or is over `maxCodeBytes` UTF-8 bytes, with an
 * `InvalidInputError` that says how to fix it.
 */
export function checkCode(
  code: unknown,
  maxCodeBytes = Number.POSITIVE_INFINITY,
): asserts code is string {
  if (typeof code !== 'string') {
    throw new InvalidInputError(`executePython expects the code as a string, got ${typeOf(code)}.`);
  }
  if (code.trim().length === 0) {
    throw new InvalidInputError('executePython got empty code: there is nothing to run.');
  }
  const bytes = Buffer.byteLength(code, 'utf8');
  if (bytes > maxCodeBytes) {
    throw new InvalidInputError(
      `The code is ${bytes} bytes, over the limit of ${maxCodeBytes}. Raise the \`maxCodeBytes\` option (of CodeSandbox or createSandboxPool), or send the data as a file with writeFiles().`,
    );
  }
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
