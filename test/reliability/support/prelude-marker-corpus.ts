import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type WrapCodeOptions, wrapPythonCode } from '../../../src/capture/wrap-code.js';
import type { CapturedFigure, FigureProblem, PythonError } from '../../../src/types/index.js';

/** One marker line the real prelude printed, with what it means read independently of the parser. */
export type CorpusMarker =
  | { kind: 'figure'; line: string; figure: CapturedFigure }
  | { kind: 'figure-file'; line: string; figure: Omit<CapturedFigure, 'data'> }
  | { kind: 'error'; line: string; error: PythonError }
  | { kind: 'problem'; line: string; problem: FigureProblem };

const MEDIA_TYPES = { png: 'image/png', svg: 'image/svg+xml', jpeg: 'image/jpeg' } as const;

// Figures kept small: every fuzz input may carry several of them.
const FIGURES_WITH_EVERY_TITLE = `
import matplotlib.pyplot as plt
print('output before the figures')
for number, title in enumerate(['plain', 'Ünïcödé 📈 ü', '', 'quotes " \\' \\\\ and @@sandplot:']):
    plt.figure(figsize=(1.2, 0.8))
    plt.plot([0, number, 1])
    if title:
        plt.title(title)
plt.show()
figure = plt.figure(figsize=(1.2, 0.8))
figure.suptitle('a suptitle\\nover two lines')
plt.figure(figsize=(1.2, 0.8))
plt.title('over maxFigures')
`;
const FIGURE_THAT_CANNOT_BE_SAVED = `
import matplotlib.pyplot as plt
plt.figure(figsize=(1.2, 0.8))
plt.title(r'$\\notacommand{x}$')
plt.figure(figsize=(1.2, 0.8))
plt.plot([1, 2])
raise ValueError('a value that is wrong ✓ "quoted"\\nand on two lines')
`;
const ONE_FIGURE = `
import matplotlib.pyplot as plt
plt.figure(figsize=(1.2, 0.8))
plt.bar([1, 2], [3, 1])
plt.title('one figure')
`;

/** The runs the corpus comes from: each is wrapped with the given capture options. */
const RUNS: { code: string; options: Omit<WrapCodeOptions, 'nonce'> }[] = [
  { code: FIGURES_WITH_EVERY_TITLE, options: { format: 'png', dpi: 40, maxFigures: 5 } },
  { code: FIGURE_THAT_CANNOT_BE_SAVED, options: { format: 'png', dpi: 40 } },
  { code: ONE_FIGURE, options: { format: 'svg', dpi: 40 } },
  { code: ONE_FIGURE, options: { format: 'jpeg', dpi: 40 } },
  { code: ONE_FIGURE, options: { format: 'png', dpi: 40, transport: 'files' } },
];

/**
 * Runs the real prelude once in /usr/bin/python3 (a single process, every run wrapped by
 * wrapPythonCode) and returns each marker line it printed, decoded by the test, not the parser.
 */
const CORPUS_KINDS = ['figure', 'figure-file', 'error', 'problem'];

export function collectPreludeMarkers(nonce: string): CorpusMarker[] {
  const script = RUNS.map((run) => wrapPythonCode(run.code, { nonce, ...run.options })).join('');
  const folder = mkdtempSync(join(tmpdir(), 'sandplot-corpus-'));
  try {
    const run = spawnSync('/usr/bin/python3', ['-'], {
      input: script,
      cwd: folder,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin', HOME: process.env.HOME ?? folder },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 60_000,
    });
    if (run.status !== 0) {
      throw new Error(`the prelude corpus run failed (${run.status}): ${run.stderr}`);
    }
    const prefix = `@@sandplot:${nonce}:`;
    return (
      run.stdout
        .split('\n')
        // The figure, error and problem markers: what this corpus is about. Displays, files and
        // `fresh` (the first run in the interpreter) have their own tests.
        .filter((line) => CORPUS_KINDS.some((kind) => line.startsWith(`${prefix}${kind}:`)))
        .map((line) => describeMarker(`${line}\n`, prefix))
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function describeMarker(line: string, prefix: string): CorpusMarker {
  const [kind, headerText, dataText] = line.slice(prefix.length, -1).split(':');
  const header = JSON.parse(Buffer.from(headerText ?? '', 'base64').toString('utf8'));
  const data = Uint8Array.from(Buffer.from(dataText ?? '', 'base64'));
  switch (kind) {
    case 'figure':
      return { kind, line, figure: { ...figureOf(header), data } };
    case 'figure-file':
      return { kind, line, figure: figureOf(header) };
    case 'error':
      return {
        kind,
        line,
        error: { name: header.name, value: header.value, traceback: header.traceback },
      };
    case 'problem': {
      const problem: FigureProblem = { stage: 'capture', reason: header.reason };
      if (typeof header.index === 'number') problem.index = header.index;
      return { kind, line, problem };
    }
    default:
      throw new Error(`the prelude printed an unknown marker kind ${kind}`);
  }
}

function figureOf(header: Record<string, unknown>): Omit<CapturedFigure, 'data'> {
  const figure: Omit<CapturedFigure, 'data'> = {
    index: header.index as number,
    mediaType: MEDIA_TYPES[header.format as keyof typeof MEDIA_TYPES],
    width: header.width as number,
    height: header.height as number,
  };
  if (typeof header.title === 'string' && header.title !== '') figure.title = header.title;
  return figure;
}
