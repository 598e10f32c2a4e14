import type { StoredFigure, StoredFile } from '../types/index.js';
import { clipLine } from './text.js';

/** Characters of a figure title kept wherever it is shown (the model's text, links, resources). */
export const MAX_TITLE_CHARS = 200;

/**
 * A figure the execute_python tool delivered, with the reference the model saw. Its `title` is
 * the one the model saw: one line without control characters, at most 200 characters.
 */
export interface LedgerFigure extends Omit<StoredFigure, 'data'> {
  /** 1-based number in the order the sandbox's tool calls made figures: `figure 3` has ref 3. */
  ref: number;
  /** The reference the model saw, e.g. `figure 3`. */
  label: string;
  /** The execution that made it. */
  executionId: string;
  /** The `description` the model gave the tool call, when it gave one. */
  description?: string;
}

/** A file the code wrote through the execute_python tool, stored by the sink. */
export interface LedgerFile extends Omit<StoredFile, 'data'> {
  /** The execution that wrote it. */
  executionId: string;
}

/** The figures made (and files written) so far through the execute_python tool(s) of one sandbox. */
export interface FigureLedger {
  /** In the order they were made; a copy. */
  readonly figures: readonly LedgerFigure[];
  /**
   * The files the code wrote, latest first per path: a path written again replaces its entry
   * (the newest link is the one to share). A copy.
   */
  readonly files: readonly LedgerFile[];
  /** Records the files of one execution. */
  recordFiles(files: readonly StoredFile[], execution: { executionId: string }): LedgerFile[];
  /** Records the figures of one execution and gives them their references. */
  record(
    figures: readonly StoredFigure[],
    execution: { executionId: string; description?: string },
  ): LedgerFigure[];
  /** Forgets every figure (references keep counting up, so `figure N` never means two figures). */
  clear(): void;
}

const ledgers = new WeakMap<object, FigureLedger>();
const conversationLedgers = new WeakMap<object, Map<string, FigureLedger>>();

/**
 * The ledger of a sandbox: every tool made for it (`createExecutePythonTool`, `strandsTool`, ...)
 * records there, so the application can append the exact figure URLs to the final answer with
 * `renderFigureLinks(getFigureLedger(sandbox).figures)` instead of trusting the model to copy long
 * signed URLs. Figures of direct `sandbox.executePython()` calls are not recorded.
 *
 * With a conversation id, the ledger of that conversation of a sandbox pool (`getFigureLedger(pool,
 * conversationId)`): every tool made for the pool records each conversation's figures in its own
 * ledger, numbered from `figure 1` per conversation. `forgetFigureLedger(pool, conversationId)`
 * drops it when the conversation is over.
 */
export function getFigureLedger(target: object, conversationId?: string): FigureLedger {
  if (conversationId !== undefined) {
    let byConversation = conversationLedgers.get(target);
    if (!byConversation) {
      byConversation = new Map();
      conversationLedgers.set(target, byConversation);
    }
    let ledger = byConversation.get(conversationId);
    if (!ledger) {
      ledger = createFigureLedger();
      byConversation.set(conversationId, ledger);
    }
    return ledger;
  }
  let ledger = ledgers.get(target);
  if (!ledger) {
    ledger = createFigureLedger();
    ledgers.set(target, ledger);
  }
  return ledger;
}

/**
 * Drops the figure ledger of one conversation of a pool (its figures, and its numbering: a later
 * call of that conversation starts again at `figure 1`). Returns whether there was one. Call it
 * when the conversation is over, so a long-running service does not keep every conversation's
 * figure list.
 */
export function forgetFigureLedger(target: object, conversationId: string): boolean {
  return conversationLedgers.get(target)?.delete(conversationId) ?? false;
}

/** A ledger not tied to a sandbox. */
export function createFigureLedger(): FigureLedger {
  let entries: LedgerFigure[] = [];
  let files = new Map<string, LedgerFile>();
  let next = 1;
  return {
    get figures() {
      return [...entries];
    },
    get files() {
      return [...files.values()];
    },
    recordFiles(stored, execution) {
      return stored.map((file) => {
        const { data: _data, ...rest } = file;
        const entry: LedgerFile = { ...rest, executionId: execution.executionId };
        files.delete(file.path);
        files.set(file.path, entry);
        return entry;
      });
    },
    record(figures, execution) {
      const recorded = figures.map((figure) => {
        const { data: _data, title, ...rest } = figure;
        const ref = next++;
        const entry: LedgerFigure = {
          ...rest,
          ref,
          label: `figure ${ref}`,
          executionId: execution.executionId,
        };
        // The title is the code's: everything that shows it (links, MCP resources, adapters'
        // results) gets it bounded, as the model did.
        const clipped = title === undefined ? '' : clipLine(title, MAX_TITLE_CHARS);
        if (clipped) entry.title = clipped;
        if (execution.description) entry.description = execution.description;
        return entry;
      });
      entries.push(...recorded);
      return recorded;
    },
    clear() {
      entries = [];
      files = new Map();
    },
  };
}

export interface RenderFigureLinksOptions {
  /**
   * `markdown`: one `![figure 1: title](url)` per line; `text`: `figure 1: title <url>`. In both
   * the title is escaped for Markdown, so an answer rendered as Markdown shows it as text (never
   * a link or an image the title smuggled in).
   * @default 'markdown'
   */
  format?: 'markdown' | 'text';
  /** Also list `data:` URLs (long: a PNG is tens of kilobytes of base64). @default false */
  includeDataUrls?: boolean;
  /** Also list `file://` URLs (only useful on the machine that stored them). @default true */
  includeFileUrls?: boolean;
}

/** Whether a URL can be handed to someone else: http(s) only. */
export function isShareableUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/**
 * The figures' links, one per line, ready to append to an agent's final answer. Figures from the
 * ledger are labelled with the reference the model saw (`figure 3`); plain StoredFigures with their
 * position in the execution (`figure index+1`). Titles (which the sandboxed code chose) become one
 * line of at most 200 characters without control characters, Markdown's metacharacters escaped
 * (`escapeMarkdown`); URLs (which the sink made) have spaces, brackets, quotes and parentheses
 * percent-encoded, so neither can end the link early or start another. Returns '' when there is
 * nothing to link.
 */
export function renderFigureLinks(
  figures: readonly (StoredFigure | LedgerFigure)[],
  options: RenderFigureLinksOptions = {},
): string {
  const format = options.format ?? 'markdown';
  const lines: string[] = [];
  for (const figure of figures) {
    const url = figure.url;
    if (/^data:/i.test(url) && !options.includeDataUrls) continue;
    if (/^file:/i.test(url) && options.includeFileUrls === false) continue;
    const label = 'label' in figure ? figure.label : `figure ${figure.index + 1}`;
    const title = figure.title ? clipLine(figure.title, MAX_TITLE_CHARS) : '';
    const text = escapeMarkdown(title ? `${label}: ${title}` : label);
    lines.push(
      format === 'markdown'
        ? `![${text}](${encodeLinkUrl(url)})`
        : `${text} <${encodeLinkUrl(url)}>`,
    );
  }
  return lines.join('\n');
}

/**
 * Text with Markdown's (and GFM's) metacharacters backslash-escaped, so it renders as itself:
 * brackets (no link or image can start, so parentheses stay as they are), `!`, `<` `>` (no HTML,
 * no autolink), emphasis, code, headings, table pipes, strikethrough, and backslashes.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>#|!~]/g, '\\$&');
}

/**
 * A URL that cannot break out of a Markdown link or an `<…>` autolink: whitespace, control and
 * non-ASCII characters, quotes, brackets, braces, parentheses and backslashes are percent-encoded.
 */
export function encodeLinkUrl(url: string): string {
  return url.replace(/[^\x21-\x7e]|["'()<>[\]\\`{}|^]/gu, (character) =>
    Array.from(
      Buffer.from(character, 'utf8'),
      (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    ).join(''),
  );
}
