import { SandplotError } from '../errors/index.js';
import { stripControls, terminalLine } from '../internal/terminal-safe.js';

/** How a failed command ends: its exit code, a stable code and what to tell the person. */
export interface CliFailure {
  /** `2` for usage errors and invalid input, `3` for everything else. */
  exitCode: 2 | 3;
  /** The SandplotError's code, `USAGE` for a malformed command line, `INTERNAL` for the rest. */
  code: string;
  /** One line (a usage error may add the usage text after it). */
  message: string;
  /** Text after the line: the usage, or where to find it. */
  details?: string;
}

/**
 * Turns whatever a command threw into its exit code and one line of text. Never a stack: a
 * person sees what failed and what to do; `SANDPLOT_DEBUG=1` prints the stack as well.
 * `command` is the command that ran (`run`, `demo`, ...), for the pointer to its help.
 */
export function describeFailure(error: unknown, command: string | undefined): CliFailure {
  if (SandplotError.isInstance(error)) {
    // A message can quote what a sandbox or server said: no control reaches the terminal.
    const [line = '', ...rest] = stripControls(error.message).split('\n\n');
    return {
      exitCode: error.code === 'INVALID_INPUT' || error.code === 'CONFIG_INVALID' ? 2 : 3,
      code: error.code,
      message: terminalLine(line),
      ...(rest.length > 0 ? { details: rest.join('\n\n') } : {}),
    };
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof TypeError && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    const help = command === undefined ? 'sandplot --help' : `sandplot ${command} --help`;
    return {
      exitCode: 2,
      code: 'USAGE',
      message: terminalLine(error.message),
      details: `${help} lists the options.`,
    };
  }
  const message = error instanceof Error ? error.message || error.name : String(error);
  return {
    exitCode: 3,
    code: 'INTERNAL',
    message: terminalLine(
      `${message}${typeof code === 'string' ? ` (${code})` : ''}. This is unexpected: SANDPLOT_DEBUG=1 shows where it happened.`,
    ),
  };
}

/**
 * Prints a failure: one line on standard error (`sandplot: … [CODE]`), and with `json` also
 * `{ "error": { code, message, exitCode } }` on standard output, where a program expects JSON.
 */
export function printFailure(error: unknown, failure: CliFailure, options: { json: boolean }) {
  const tag = failure.code === 'USAGE' || failure.code === 'INTERNAL' ? '' : ` [${failure.code}]`;
  process.stderr.write(`sandplot: ${failure.message}${tag}\n`);
  if (failure.details !== undefined) process.stderr.write(`\n${failure.details}\n`);
  if (process.env.SANDPLOT_DEBUG === '1' && error instanceof Error && error.stack) {
    process.stderr.write(`${stripControls(error.stack)}\n`);
  }
  if (options.json) {
    const { code, message, exitCode } = failure;
    process.stdout.write(`${JSON.stringify({ error: { code, message, exitCode } }, null, 2)}\n`);
  }
}
