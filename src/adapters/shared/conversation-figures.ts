import type { FigureLedger, LedgerFigure } from '../../tool/figure-ledger.js';
import type { ExecutePythonTool } from '../../tool/tool-types.js';

/** The figure ledgers an adapter's tool exposes, the same on every adapter. */
export interface ConversationFigures {
  /** The sandbox's figure ledger: every figure made so far, for `renderFigureLinks`. On a pool: `figuresFor`. */
  readonly figures: readonly LedgerFigure[];
  /** The figures made so far in one conversation (on a sandbox: all of them). */
  figuresFor(conversationId: string): readonly LedgerFigure[];
  /** The figure ledger of one conversation (on a sandbox: the sandbox's). */
  ledgerFor(conversationId: string): FigureLedger;
  /** Forgets a conversation's figures (on a pool: drops its ledger). */
  forgetConversation(conversationId: string): void;
}

/**
 * Gives `host` the `ConversationFigures` members, read from the framework-neutral tool underneath;
 * for adapter objects and classes (which declare the members with `declare`).
 */
export function defineConversationFigures<Host extends object>(
  host: Host,
  tool: Pick<ExecutePythonTool, 'figures' | 'figuresFor' | 'ledgerFor' | 'forgetConversation'>,
): Host & ConversationFigures {
  const members: ConversationFigures = {
    get figures() {
      return tool.figures;
    },
    figuresFor: (conversationId) => tool.figuresFor(conversationId),
    ledgerFor: (conversationId) => tool.ledgerFor(conversationId),
    forgetConversation: (conversationId) => tool.forgetConversation(conversationId),
  };
  // Not enumerable, like class members: serializers that walk own properties skip them (and on
  // a pool, reading `figures` throws).
  const descriptors = Object.getOwnPropertyDescriptors(members);
  for (const descriptor of Object.values(descriptors)) descriptor.enumerable = false;
  return Object.defineProperties(host, descriptors) as Host & ConversationFigures;
}
