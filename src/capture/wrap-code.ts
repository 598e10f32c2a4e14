import { createHash, randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { InvalidInputError } from '../errors/index.js';
import { parseOptions } from '../internal/parse-options.js';
import type { CaptureOptions, OutputFileOptions } from '../types/index.js';
import { captureOptionsSchema } from './capture-options.js';
import { outputFileOptionsSchema, type ResolvedOutputFileOptions } from './output-file-options.js';
import chartSource from './python/chart.py?raw';
import displaySource from './python/display.py?raw';
import figuresSource from './python/figures.py?raw';
import filesSource from './python/files.py?raw';
import preludeSource from './python/prelude.py?raw';

/**
 * What `wrapPythonCode` needs: the execution's nonce, how figures are captured and, when the
 * files the code writes are to come back, their limits.
 */
export type WrapCodeOptions = { nonce: string; files?: OutputFileOptions } & CaptureOptions;

const NONCE_PATTERN = /^[0-9a-f]{32}$/;

// One module from five files, each a section of it: prelude.py runs the cell, figures.py
// captures figures, display.py shows values and display() calls, files.py sends the files the
// cell wrote, chart.py reads chart data.
const prelude = [preludeSource, figuresSource, displaySource, filesSource, chartSource].join(
  '\n\n',
);

// Keyed by content so that a process running an older prelude installs this one instead.
const PRELUDE_MODULE = `_sandplot_prelude_${createHash('sha256').update(prelude).digest('hex').slice(0, 16)}`;

// Runs once per process, in a throwaway namespace. The prelude travels compressed because
// Python compiles the whole wrapper on every call and a short literal compiles faster.
const INSTALLER = [
  'import binascii, sys, types, zlib',
  `module = types.ModuleType('${PRELUDE_MODULE}')`,
  `source = zlib.decompress(binascii.a2b_base64('${deflateSync(prelude, { level: 9 }).toString('base64')}'))`,
  "exec(compile(source, '<sandplot-prelude>', 'exec', dont_inherit=True), module.__dict__)",
  `sys.modules['${PRELUDE_MODULE}'] = module`,
  // The first run after an install says so: the host then knows whether the interpreter it ran
  // earlier cells in was replaced (a crash the service recovered from without telling).
  "module._state['fresh'] = True",
].join('\n');

// One expression statement: it binds no name in the user's namespace, only `__import__` is
// looked up there (user variables named `exec` or `sys` cannot break it), and the installer is
// a string literal, compiled only when the prelude is missing. JSON string syntax is valid
// Python string syntax.
const INSTALLED_PRELUDE =
  `(__import__('sys').modules.get('${PRELUDE_MODULE}') or ` +
  `__import__('builtins').exec(${JSON.stringify(INSTALLER)}, {}) or ` +
  `__import__('sys').modules['${PRELUDE_MODULE}'])`;

/** A fresh execution nonce: 32 lowercase hex characters from a CSPRNG. */
export function createNonce(): string {
  return randomBytes(16).toString('hex');
}

/**
 * Turns user code into self-contained Python that runs it in the caller's globals and writes
 * every matplotlib figure (and the exception, if any) to stdout as nonce-tagged markers that
 * `parseFigureMarkers` reads back. With `transport: 'files'` the figures go into
 * `figureFilesFolder(nonce)` instead and only `figure-file` markers are printed. Works with
 * `python3 -c` and when exec'd repeatedly in one persistent namespace.
 */
export function wrapPythonCode(code: string, options: WrapCodeOptions): string {
  if (typeof code !== 'string') {
    throw new InvalidInputError(`code must be a string, got ${typeof code}`);
  }
  if (typeof options?.nonce !== 'string' || !NONCE_PATTERN.test(options.nonce)) {
    throw new InvalidInputError(
      'nonce must be 32 lowercase hex characters; create one with createNonce()',
    );
  }
  const { nonce: _nonce, files: fileOptions, ...fields } = options;
  const capture = parseOptions(captureOptionsSchema, fields, 'capture options');
  const files =
    fileOptions === undefined
      ? undefined
      : parseOptions(outputFileOptionsSchema, fileOptions, 'output file options');
  const source = Buffer.from(code, 'utf8').toString('base64');
  return (
    `${INSTALLED_PRELUDE}.run('${source}', '${options.nonce}', '${capture.format}', ` +
    `${capture.dpi}, ${capture.maxFigures}, ${capture.maxFigureBytes}, ` +
    `${capture.enabled ? 'True' : 'False'}, '${capture.transport}', ` +
    `${capture.chartData ? 'True' : 'False'}, ${capture.maxFigureSidePixels}, ` +
    `${capture.tightBoundingBox ? 'True' : 'False'}, ${pythonFileLimits(files)})\n`
  );
}

// The limits as a Python dict literal (validated whole numbers), or None when files stay put.
function pythonFileLimits(files: ResolvedOutputFileOptions | undefined): string {
  if (files === undefined || !files.enabled) return 'None';
  return `{'maxFiles': ${files.maxFiles}, 'maxFileBytes': ${files.maxFileBytes}, 'maxTotalBytes': ${files.maxTotalBytes}, 'maxEntries': ${files.maxEntries}}`;
}
