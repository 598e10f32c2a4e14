import type { z } from 'zod';
import { ConfigError, InvalidInputError } from '../errors/index.js';

/** Which error a failed parse throws: options are `ConfigError`s, call input `InvalidInputError`s. */
export type OptionsErrorKind = 'config' | 'input';

/**
 * Parses options (or call input) with their zod schema, once, at the public boundary. Defaults
 * come from the schema (`.default()`), so each is written once. Every problem is described the
 * same way, `` `path` message ``, and unknown keys are named, so a typo says which key was not known.
 * Throws a `ConfigError` (or an `InvalidInputError` for `kind: 'input'`) whose message starts
 * with `Invalid {what}` and whose `cause` is the ZodError.
 */
export function parseOptions<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  what: string,
  kind: OptionsErrorKind = 'config',
): z.output<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const message = `Invalid ${what}: ${describeZodIssues(parsed.error.issues)}.`;
  throw kind === 'config'
    ? new ConfigError(message, { cause: parsed.error })
    : new InvalidInputError(message, { cause: parsed.error });
}

/** Each issue as `` `path` message ``, joined with `; `; unknown keys are listed by name. */
export function describeZodIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map(describeIssue).join('; ');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => `\`${key}\``).join(', ');
    return `unknown option${issue.keys.length === 1 ? '' : 's'} ${keys}${path === '' ? '' : ` in \`${path}\``}`;
  }
  if (issue.code === 'invalid_key') {
    const parent = issue.path.slice(0, -1).map(String).join('.');
    const key = JSON.stringify(String(issue.path.at(-1)));
    return `\`${parent}\` has an invalid key ${key}: ${issue.message}`;
  }
  if (path === '') return issue.message;
  // Messages written for an option read on from its name ("`bucket` is required"); zod's own
  // start with a capital ("`timeoutMs`: Too small: ...").
  return /^[A-Z]/.test(issue.message)
    ? `\`${path}\`: ${issue.message}`
    : `\`${path}\` ${issue.message}`;
}
