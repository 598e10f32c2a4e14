import type { StoredFile } from '../types/index.js';
import type { LedgerFile } from './figure-ledger.js';

export interface RenderFileLinksOptions {
  /** `markdown`: one `[path](url)` per line; `text`: `path <url>`. @default 'markdown' */
  format?: 'markdown' | 'text';
  /** Also list `data:` URLs (long: the whole file as base64). @default false */
  includeDataUrls?: boolean;
  /** Also list `file://` URLs (only useful on the machine that stored them). @default true */
  includeFileUrls?: boolean;
}

/**
 * The written files' links, one per line, ready to append to an agent's final answer (the
 * sibling of `renderFigureLinks`). The path is the sandbox's text: control characters are
 * dropped and, in Markdown, every character that could make a link, an image or markup is
 * escaped, so a name cannot become a live link of its own. Returns '' when there is nothing to
 * link.
 */
export function renderFileLinks(
  files: readonly (StoredFile | LedgerFile)[],
  options: RenderFileLinksOptions = {},
): string {
  const format = options.format ?? 'markdown';
  const lines: string[] = [];
  for (const file of files) {
    const url = file.url;
    if (/^data:/i.test(url) && !options.includeDataUrls) continue;
    if (/^file:/i.test(url) && options.includeFileUrls === false) continue;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are dropped
    const name = file.path.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').slice(0, 200);
    if (format === 'markdown') {
      const text = name.replace(/[\\`*_{}[\]()<>#+\-.!|~&]/g, '\\$&');
      lines.push(`[${text}](${url.replace(/[()\s<>]/g, encodeURIComponent)})`);
    } else {
      lines.push(`${name} <${url.replace(/[\s<>]/g, encodeURIComponent)}>`);
    }
  }
  return lines.join('\n');
}
