import { formatBytes } from '../capture/format-bytes.js';
import { isShareableUrl } from '../tool/figure-ledger.js';
import type { StoredFile } from '../types/index.js';
import { escapeHtml } from './escape-html.js';

/**
 * The Files section: each file the code wrote with its size, type and, when the sink gave an
 * http(s) URL, a download link (data: and file: URLs are not linked). Everything is escaped.
 */
export function renderFiles(files: readonly StoredFile[]): string {
  if (files.length === 0) return '';
  const rows = files.map((file) => {
    const name = escapeHtml(file.path);
    const link = isShareableUrl(file.url)
      ? `<a href="${escapeHtml(file.url)}" rel="noopener noreferrer" download>${name}</a>`
      : name;
    const expires = file.expiresAt
      ? ` (link until ${escapeHtml(file.expiresAt.toISOString())})`
      : '';
    return `<tr><td>${link}${expires}</td><td>${escapeHtml(formatBytes(file.byteLength))}</td><td>${escapeHtml(file.mediaType)}</td><td>${escapeHtml(file.sink)}</td></tr>`;
  });
  return `<section class="files">
<h2>Files written</h2>
<table><thead><tr><th>file</th><th>size</th><th>type</th><th>sink</th></tr></thead><tbody>${rows.join('')}</tbody></table>
</section>`;
}
