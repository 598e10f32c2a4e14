import { InvalidInputError } from '../errors/index.js';

/**
 * Refuses code that is not a string, is empty, or is over `maxCodeBytes` UTF-8 bytes, with an
 * `InvalidInputError` whose message tells the developer how to fix it and whose `modelMessage`
 * tells the model that wrote the code what it can do.
 */
export function checkCode(
  code: unknown,
  maxCodeBytes = Number.POSITIVE_INFINITY,
): asserts code is string {
  if (typeof code !== 'string') {
    throw new InvalidInputError(`executePython expects the code as a string, got ${typeOf(code)}.`);
  }
  if (code.trim().length === 0) {
    throw new InvalidInputError('executePython got empty code: there is nothing to run.', {
      modelMessage:
        'The code is empty, so nothing ran. Call the tool again with the Python code to run in "code".',
    });
  }
  const bytes = Buffer.byteLength(code, 'utf8');
  if (bytes > maxCodeBytes) {
    throw new InvalidInputError(
      `The code is ${bytes} bytes, over the limit of ${maxCodeBytes}: raise the \`maxCodeBytes\` option of CodeSandbox (or createSandboxPool), or give the data to the sandbox as a file with writeFiles().`,
      {
        modelMessage: `The code is ${bytes} bytes, over the limit of ${maxCodeBytes} bytes for one call, so it did not run. Send shorter code: split the work into several calls (variables and files persist between them), and do not paste large data into the code; read it from the files in the working directory instead.`,
      },
    );
  }
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
