import { createHash } from 'node:crypto';
import { InvalidInputError } from '../errors/index.js';
import type { ExecutionResult, FigureProblem, StoredFigure } from '../types/index.js';
import { chartOf, renderChart } from './chart-html.js';
import { escapeHtml } from './escape-html.js';
import { embedFigure, type FigureEmbedding } from './figure-embedding.js';
import { renderFiles } from './files-html.js';
import { renderOutput } from './output-html.js';
import { reportStyle } from './report-style.js';

export interface HtmlReportOptions {
  /** The code that ran, shown above its output. Without it the report has no code section. */
  code?: string;
  /** The page title and main heading. @default 'sandplot report' */
  title?: string;
  /** When the report was made, shown in its header. @default new Date() */
  generatedAt?: Date;
  /**
   * Figures a sink stored behind an http(s) URL (the S3 sink). `'link'`: the report links to the
   * URL, so it is not self-contained and a presigned link stops working when it expires.
   * `'inline'`: each figure is fetched once and embedded; one that cannot be fetched is linked,
   * with the reason. Figures in memory, in `data:` URLs or in files are always embedded.
   * @default 'link'
   */
  remoteFigures?: 'link' | 'inline';
  /** Time one fetch of a remote figure may take, with `remoteFigures: 'inline'`. @default 30000 */
  fetchTimeoutMs?: number;
}

/**
 * One self-contained HTML page for an execution: the code, its output, the Python error, every
 * figure inline with its title and chart data, and the figures that were not delivered.
 *
 * Async because figures a sink wrote to files (or, when asked, to an http(s) URL) are read back
 * to embed them. Everything that came out of the sandbox is escaped; figures are `data:` URLs in
 * `<img>` elements, so an SVG's scripts never run; and a Content-Security-Policy allows nothing
 * but those images and the report's own stylesheet: no script, no network, no fonts.
 */
export async function renderHtmlReport(
  result: ExecutionResult,
  options: HtmlReportOptions = {},
): Promise<string> {
  if (typeof result !== 'object' || result === null || !Array.isArray(result.figures)) {
    throw new InvalidInputError('renderHtmlReport takes the ExecutionResult of executePython().');
  }
  const title = options.title ?? 'sandplot report';
  const generatedAt = options.generatedAt ?? new Date();
  const embeddings = await Promise.all(
    result.figures.map((figure) =>
      embedFigure(figure, {
        remoteFigures: options.remoteFigures ?? 'link',
        fetchTimeoutMs: options.fetchTimeoutMs ?? 30_000,
      }),
    ),
  );
  const styleHash = createHash('sha256').update(reportStyle).digest('base64');
  const policy = [
    "default-src 'none'",
    'img-src data:',
    `style-src 'sha256-${styleHash}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');

  const sections = [
    renderHeader(result, title, generatedAt),
    options.code === undefined ? '' : renderBlock('Code', 'code', options.code, 'No code.'),
    renderOutput(result),
    renderStderr(result),
    renderError(result),
    renderFigures(result.figures, embeddings),
    renderFiles(result.files ?? []),
    renderProblems(result.problems),
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(policy)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="sandplot">
<title>${escapeHtml(title)}</title>
<style>${reportStyle}</style>
</head>
<body>
<main>
${sections.filter((section) => section !== '').join('\n')}
<footer>Made by sandplot on ${escapeHtml(generatedAt.toISOString())}. Everything above came from sandboxed code and is shown as text.</footer>
</main>
</body>
</html>
`;
}

function renderHeader(result: ExecutionResult, title: string, generatedAt: Date): string {
  const status = result.isError
    ? `<p class="status failed">${escapeHtml(failureLabel(result))}</p>`
    : '<p class="status">Ran without error</p>';
  const facts: [string, string][] = [
    ['Execution', `<code>${escapeHtml(result.executionId)}</code>`],
    ['Duration', escapeHtml(formatDuration(result.durationMs))],
    ['Exit code', escapeHtml(result.exitCode === null ? 'none' : String(result.exitCode))],
    ['Figures', String(result.figures.length)],
    ['Generated', `<time>${escapeHtml(generatedAt.toISOString())}</time>`],
  ];
  if (result.problems.length > 0) {
    facts.push(['Figure problems', `<strong>${result.problems.length}</strong>`]);
  }
  if (result.sessionRestarted) {
    facts.push(['Session', 'restarted: variables from earlier calls were lost']);
  }
  const list = facts.map(([name, value]) => `<dt>${name}</dt><dd>${value}</dd>`).join('\n');
  return `<header>
<h1>${escapeHtml(title)}</h1>
${status}
<dl class="facts">
${list}
</dl>
</header>`;
}

function failureLabel(result: ExecutionResult): string {
  const name = result.error?.name;
  if (name === 'TimeoutError') return 'Timed out';
  if (name === 'SandboxCrashed') return 'Sandbox crashed';
  return name ? `Raised ${name}` : 'Failed';
}

function renderBlock(heading: string, className: string, text: string, empty: string): string {
  const body =
    text === '' ? `<p class="empty">${escapeHtml(empty)}</p>` : `<pre>${escapeHtml(text)}</pre>`;
  return `<section class="${className}">
<h2>${escapeHtml(heading)}</h2>
${body}
</section>`;
}

/** Python writes the traceback to stderr too; the error section shows it once. */
function renderStderr(result: ExecutionResult): string {
  let stderr = result.stderr;
  const traceback = result.error?.traceback;
  if (traceback && stderr.endsWith(traceback)) stderr = stderr.slice(0, -traceback.length);
  if (stderr.trim() === '') return '';
  return renderBlock('Standard error', 'stderr', stderr, '');
}

function renderError(result: ExecutionResult): string {
  const error = result.error;
  if (!error) return '';
  const traceback =
    error.traceback.trim() === ''
      ? ''
      : `<pre class="traceback">${escapeHtml(error.traceback)}</pre>`;
  return `<section class="error" role="alert">
<h2>Error</h2>
<p>${escapeHtml(error.name)}: ${escapeHtml(error.value)}</p>
${traceback}
</section>`;
}

function renderFigures(figures: StoredFigure[], embeddings: FigureEmbedding[]): string {
  if (figures.length === 0) {
    return '<section class="figures">\n<h2>Figures</h2>\n<p class="empty">No figures.</p>\n</section>';
  }
  const cards = figures.map((figure, position) =>
    renderFigure(figure, embeddings[position] as FigureEmbedding),
  );
  return `<section class="figures">
<h2>Figures</h2>
${cards.join('\n')}
</section>`;
}

function renderFigure(figure: StoredFigure, embedding: FigureEmbedding): string {
  const number = figure.index + 1;
  const heading = figure.title ? `Figure ${number}: ${figure.title}` : `Figure ${number}`;
  const meta = [
    mediaLabel(figure.mediaType),
    figure.width && figure.height ? `${figure.width} × ${figure.height} px` : 'size unknown',
    `${figure.byteLength.toLocaleString('en-US')} bytes`,
    embedding.kind === 'inline' ? embedding.source : `${figure.sink} sink`,
  ];
  const chart = chartOf(figure);
  return `<article class="figure" id="figure-${number}">
<h3>${escapeHtml(heading)}</h3>
<p class="meta">${meta.map(escapeHtml).join(' · ')}</p>
${renderEmbedding(figure, embedding)}
${chart ? renderChart(chart) : renderNoChart(figure)}
</article>`;
}

function renderNoChart(figure: StoredFigure): string {
  if (figure.chartProblem) {
    return `<p class="note warning">No chart data: ${escapeHtml(figure.chartProblem)}</p>`;
  }
  return '<p class="note">No chart data was read from this figure.</p>';
}

function renderEmbedding(figure: StoredFigure, embedding: FigureEmbedding): string {
  if (embedding.kind === 'inline') {
    const size =
      figure.width && figure.height ? ` width="${figure.width}" height="${figure.height}"` : '';
    const alt = figure.title
      ? `Figure ${figure.index + 1}: ${figure.title}`
      : `Figure ${figure.index + 1}`;
    return `<img src="${escapeHtml(embedding.dataUrl)}"${size} alt="${escapeHtml(alt)}">`;
  }
  if (embedding.kind === 'link') {
    return `<p class="note warning"><a href="${escapeHtml(embedding.href)}" rel="noopener noreferrer">Open the figure</a>. ${escapeHtml(embedding.note)}</p>`;
  }
  return `<p class="note warning">${escapeHtml(embedding.note)}</p>`;
}

function renderProblems(problems: FigureProblem[]): string {
  if (problems.length === 0) return '';
  const rows = problems
    .map((problem) => {
      const which = problem.index === undefined ? 'a figure' : `figure ${problem.index + 1}`;
      return `<tr><td>${escapeHtml(which)}</td><td>${escapeHtml(problem.stage)}</td><td>${escapeHtml(problem.sink ?? '')}</td><td>${escapeHtml(problem.reason)}</td></tr>`;
    })
    .join('\n');
  return `<section class="problems">
<h2>Figure problems</h2>
<p class="note">Figures that could not be captured or stored, and sinks that failed (a fallback sink may have stored the figure after all).</p>
<table class="problems"><thead><tr><th scope="col">Figure</th><th scope="col">Stage</th><th scope="col">Sink</th><th scope="col">Reason</th></tr></thead><tbody>
${rows}
</tbody></table>
</section>`;
}

function mediaLabel(mediaType: string): string {
  if (mediaType === 'image/png') return 'PNG';
  if (mediaType === 'image/jpeg') return 'JPEG';
  if (mediaType === 'image/svg+xml') return 'SVG';
  return mediaType;
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}
