import { emitWarning } from 'node:process';
import { ConfigError, InvalidInputError, SandplotError } from '../errors/index.js';
import { withoutUndefined } from '../internal/without-undefined.js';
import type { ExecutionResult } from '../types/index.js';
import { describeInputFiles } from './input-files-text.js';
import {
  type ConversationIdOption,
  lookUpConversationId,
  missingConversationIdError,
} from './pool-target.js';
import { checkToolInput, executePythonInputSchema, executePythonJsonSchema } from './tool-input.js';
import { parseToolOptions } from './tool-options.js';
import {
  buildToolOutput,
  invalidInputOutput,
  missingConversationOutput,
  refusedCodeOutput,
  sandboxFailureOutput,
} from './tool-output.js';
import { toToolTarget } from './tool-target.js';
import type {
  ExecutePythonTarget,
  ExecutePythonTool,
  ExecutePythonToolOptions,
  ExecutePythonToolOutput,
} from './tool-types.js';

export type { JsonSchema } from './tool-input.js';
export { DEFAULT_TOOL_DESCRIPTION, DEFAULT_TOOL_NAME } from './tool-options.js';
/**
 * Makes the framework-neutral execute_python tool for a sandbox, or for a sandbox pool with a way
 * to find each call's conversation (`conversationId`). Errors in the Python code, invalid input
 * and (by default) sandbox failures become error results the model can read; only aborts throw.
 * See docs/adapters.md.
 */
export function createExecutePythonTool<TContext = unknown>(
  target: ExecutePythonTarget,
  options: ExecutePythonToolOptions<TContext> = {},
): ExecutePythonTool<TContext> {
  if (
    typeof target !== 'object' ||
    target === null ||
    typeof (target as { executePython?: unknown }).executePython !== 'function'
  ) {
    throw new ConfigError(
      'createExecutePythonTool expects a CodeSandbox (or an object with executePython()) or a sandbox pool (createSandboxPool()) as its first argument.',
    );
  }
  const settings = parseToolOptions(options);
  const conversationOption = settings.conversationId as ConversationIdOption<TContext> | undefined;
  const fixedDescription =
    settings.description + (settings.extraDescription ? ` ${settings.extraDescription}` : '');
  const runsOn = toToolTarget(target, { toolName: settings.name, tracing: settings.tracing });
  let warnedMissingConversation = false;
  const onPool = (what: 'sandbox' | 'ledger' | 'figures'): never => {
    const instead = { sandbox: 'tool.pool', ledger: 'tool.ledgerFor', figures: 'tool.figuresFor' };
    throw new ConfigError(
      `This ${settings.name} tool runs on a sandbox pool, which has no single ${what}: use ${instead[what]}${what === 'sandbox' ? '' : '(conversationId)'} instead.`,
    );
  };
  const withConversation = (output: ExecutePythonToolOutput, conversationId?: string) =>
    conversationId === undefined ? output : { ...output, conversationId };

  return {
    name: settings.name,
    get description() {
      const files = settings.listInputFiles ? runsOn.sandbox?.inputFiles : undefined;
      return files?.length ? `${fixedDescription} ${describeInputFiles(files)}` : fixedDescription;
    },
    inputSchema: executePythonInputSchema,
    jsonSchema: executePythonJsonSchema,
    pool: runsOn.pool,
    get sandbox() {
      return runsOn.sandbox ?? onPool('sandbox');
    },
    get ledger() {
      return runsOn.pool ? onPool('ledger') : runsOn.ledgerFor(undefined);
    },
    get figures() {
      return runsOn.pool ? onPool('figures') : runsOn.ledgerFor(undefined).figures;
    },
    ledgerFor: (conversationId) => runsOn.ledgerFor(conversationId),
    figuresFor: (conversationId) => runsOn.ledgerFor(conversationId).figures,
    forgetConversation: (conversationId) => runsOn.forgetConversation(conversationId),
    async invoke(input, invokeOptions = {}) {
      const checked = checkToolInput(input);
      if ('problem' in checked) return invalidInputOutput(settings.name, checked.problem);
      const { code, description: what } = checked.input;
      const lookup = lookUpConversationId(conversationOption, invokeOptions);
      const conversationId = lookup.conversationId;
      if (runsOn.needsConversationId && conversationId === undefined) {
        const error = missingConversationIdError(
          settings.name,
          settings.conversationIdHelp,
          'cause' in lookup ? lookup.cause : undefined,
        );
        if (settings.onSandboxError === 'throw') throw error;
        if (!warnedMissingConversation) {
          warnedMissingConversation = true;
          emitWarning(error.message, { code: 'SANDPLOT_NO_CONVERSATION_ID' });
        }
        return missingConversationOutput(error);
      }
      let result: ExecutionResult;
      try {
        result = await runsOn.executePython(
          conversationId,
          code,
          withoutUndefined({
            description: what,
            timeoutMs: settings.timeoutMs,
            abortSignal: invokeOptions.abortSignal,
            onStdout: invokeOptions.onStdout,
            onStderr: invokeOptions.onStderr,
            toolCallId: invokeOptions.toolCallId,
          }),
        );
      } catch (error) {
        if (!SandplotError.isInstance(error) || error.code === 'ABORTED') throw error;
        if (InvalidInputError.isInstance(error)) return refusedCodeOutput(settings.name, error);
        if (settings.onSandboxError === 'throw') throw error;
        return withConversation(sandboxFailureOutput(error), conversationId);
      }
      const ledger = runsOn.ledgerFor(conversationId);
      const figures = ledger.record(
        result.figures,
        withoutUndefined({ executionId: result.executionId, description: what }),
      );
      ledger.recordFiles(result.files ?? [], { executionId: result.executionId });
      return withConversation(
        await buildToolOutput(result, figures, settings, invokeOptions.abortSignal),
        conversationId,
      );
    },
  };
}
