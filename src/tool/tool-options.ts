import { z } from 'zod';
import { parseOptions } from '../internal/parse-options.js';
import type { ConversationIdOption } from './pool-target.js';

/** The tool's name unless `name` says otherwise. */
export const DEFAULT_TOOL_NAME = 'execute_python';

/** The description the model reads by default. */
export const DEFAULT_TOOL_DESCRIPTION = [
  'Run Python code in a sandboxed, stateful Python session and get back its output.',
  'Python 3 with pandas, numpy, matplotlib and seaborn is available.',
  'Variables, imports and files persist between calls: build on earlier results instead of recomputing them.',
  'It runs like a notebook cell: the value of the last line is shown (end with ; to hide it) and display() works; print anything else you want to see. Very long output is shortened in the middle.',
  'Every matplotlib figure is captured automatically when the code finishes (or at plt.show()): there is no need to save, encode or print figures, just make them, with a title.',
  'Figures come back as images and are listed as "figure N" (with a link when there is one); refer to them by that name.',
].join(' ');

/**
 * The options that shape the model-facing output (`buildToolOutput`), with their defaults; see
 * `ExecutePythonToolOptions` for what each means. Unknown keys are dropped, so the tool's own
 * settings can be handed over whole.
 */
export const outputOptionsSchema = z.object({
  maxOutputChars: z.number().int().min(200).default(20_000),
  maxTracebackChars: z.number().int().min(200).default(4_000),
  imagesForModel: z.enum(['auto', 'always', 'never']).default('auto'),
  maxImageBytes: z.number().int().positive().default(3_750_000),
  maxImages: z.number().int().nonnegative().default(10),
  includeFigureUrls: z.boolean().default(true),
  maxChartSummaryChars: z.number().int().nonnegative().default(1_500),
});

/** The options of `createExecutePythonTool`, with their defaults (`ExecutePythonToolOptions`). */
export const toolOptionsSchema = outputOptionsSchema
  .extend({
    name: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')
      .default(DEFAULT_TOOL_NAME),
    description: z.string().min(1).default(DEFAULT_TOOL_DESCRIPTION),
    extraDescription: z.string().optional(),
    listInputFiles: z.boolean().default(true),
    timeoutMs: z.number().int().positive().optional(),
    onSandboxError: z.enum(['result', 'throw']).default('result'),
    conversationId: z
      .custom<ConversationIdOption<never>>(
        (value) => (typeof value === 'string' && value.length > 0) || typeof value === 'function',
        { message: 'must be a non-empty string or a function that returns one' },
      )
      .optional(),
    conversationIdHelp: z.string().min(1).optional(),
    tracing: z.boolean().default(true),
  })
  .strict();

/** The output settings with every default filled in. */
export type OutputSettings = z.output<typeof outputOptionsSchema>;

/** The tool settings with every default filled in. */
export type ToolSettings = z.output<typeof toolOptionsSchema>;

/** Validates the options of `createExecutePythonTool`; throws a ConfigError naming each problem. */
export function parseToolOptions(options: unknown): ToolSettings {
  return parseOptions(toolOptionsSchema, options, 'execute_python tool options');
}

/** Validates the output settings of `buildToolOutput`; throws a ConfigError naming each problem. */
export function parseOutputOptions(settings: unknown): OutputSettings {
  return parseOptions(outputOptionsSchema, settings, 'execute_python output settings');
}
