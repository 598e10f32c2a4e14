import { z } from 'zod';
import type { ExecutePythonInput } from './tool-types.js';

/** The zod schema of the tool's input (zod 4). */
export const executePythonInputSchema = z.object({
  code: z
    .string()
    .min(1)
    .describe(
      'The Python code to run. Variables, imports and files persist between calls. Print what you want to see; figures are captured automatically.',
    ),
  description: z
    .string()
    .optional()
    .describe('What the code does, in a few words (shown in logs).'),
});

/** The tool's input schema as JSON Schema (draft 2020-12), for frameworks that take JSON Schema. */
export type JsonSchema = Record<string, unknown>;

/** The input schema as JSON Schema, made once (every tool has the same). */
export const executePythonJsonSchema: JsonSchema = z.toJSONSchema(executePythonInputSchema, {
  target: 'draft-2020-12',
}) as JsonSchema;

/**
 * Checks what the model sent. Bad input is answered to the model (not thrown), so this returns
 * the reason instead of throwing.
 */
export function checkToolInput(
  input: unknown,
): { input: ExecutePythonInput } | { problem: string } {
  const checked = executePythonInputSchema.safeParse(input);
  if (checked.success) return { input: checked.data };
  return {
    problem: checked.error.issues
      .map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`)
      .join('; '),
  };
}

/**
 * A model's raw tool arguments, typed for `invoke`, which checks them at run time (what a model
 * sends is untyped): the one place adapters turn arguments they cannot type into tool input.
 */
export function modelArguments(input: unknown): ExecutePythonInput {
  return input as ExecutePythonInput;
}
