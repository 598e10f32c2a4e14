import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutputStream } from '../../src/backends/local/output-stream.js';
import { localBackend } from '../../src/backends/local.js';
import {
  createFigureMarkerParser,
  type ParsedFigureMarkers,
  parseFigureMarkers,
} from '../../src/capture/parse-markers.js';
import { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { recordCase } from './support/case-ledger.js';
import {
  chunkSplits,
  type MarkerStream,
  markerLine,
  markerStream,
  plainText,
  type StreamSettings,
  splitAt,
  streamText,
} from './support/marker-stream-arbitrary.js';
import { type CorpusMarker, collectPreludeMarkers } from './support/prelude-marker-corpus.js';
import { pythonProgram } from './support/python-program-arbitrary.js';

// Fixed, so a run is reproducible; SANDPLOT_FUZZ_SEED explores others.
const SEED = Number(process.env.SANDPLOT_FUZZ_SEED ?? 20_260_601);
const NONCE = '0123456789abcdef0123456789abcdef';
const PREFIX = `@@sandplot:${NONCE}:`;
// Small, so that oversized figures are cheap to generate; every corpus figure is below it.
const MAX_FIGURE_BYTES = 64 * 1024;

let corpus: CorpusMarker[] = [];
let settings: StreamSettings;

beforeAll(() => {
  corpus = collectPreludeMarkers(NONCE);
  settings = { nonce: NONCE, maxFigureBytes: MAX_FIGURE_BYTES, corpus, loneSurrogates: true };
});

/** A parse result in a shape that compares field by field (absent fields are undefined). */
function normalize(result: {
  figures: ParsedFigureMarkers['figures'];
  fileFigures: ParsedFigureMarkers['fileFigures'];
  problems: ParsedFigureMarkers['problems'];
  error?: ParsedFigureMarkers['error'] | undefined;
}) {
  return {
    figures: result.figures.map((figure) => ({
      index: figure.index,
      mediaType: figure.mediaType,
      width: figure.width,
      height: figure.height,
      title: figure.title,
      data: Uint8Array.from(figure.data),
    })),
    fileFigures: result.fileFigures.map((figure) => ({
      index: figure.index,
      mediaType: figure.mediaType,
      width: figure.width,
      height: figure.height,
      title: figure.title,
    })),
    problems: result.problems.map((problem) => ({ ...problem })),
    error: result.error === undefined ? undefined : { ...result.error },
  };
}

/** What the parser must make of a generated stream, worked out from its segments alone. */
function expectedParse(stream: MarkerStream) {
  let stdout = '';
  const figures: ParsedFigureMarkers['figures'] = [];
  const fileFigures: ParsedFigureMarkers['fileFigures'] = [];
  const captureProblems: ParsedFigureMarkers['problems'] = [];
  let error: ParsedFigureMarkers['error'];
  let parseProblems = 0;
  for (const segment of stream.segments) {
    switch (segment.kind) {
      case 'text':
        stdout += segment.text;
        break;
      case 'figure':
        figures.push(segment.figure);
        break;
      case 'figure-file':
        fileFigures.push(segment.figure);
        break;
      case 'problem':
        captureProblems.push(segment.problem);
        break;
      case 'error':
        if (error === undefined) error = segment.error;
        else parseProblems++;
        break;
      case 'invalid':
        parseProblems++;
        break;
    }
  }
  if (stream.truncated !== undefined) parseProblems++;
  return { stdout, figures, fileFigures, captureProblems, parseProblems, error };
}

function countOccurrences(text: string, part: string): number {
  let count = 0;
  for (let at = text.indexOf(part); at !== -1; at = text.indexOf(part, at + 1)) count++;
  return count;
}

/** Feeds chunks to a streaming parser; also returns what end() released. */
function parseChunks(chunks: string[], maxFigureBytes = MAX_FIGURE_BYTES) {
  const parser = createFigureMarkerParser({ nonce: NONCE, maxFigureBytes });
  let pushed = '';
  for (const chunk of chunks) pushed += parser.push(chunk);
  const rest = parser.end();
  return { stdout: pushed + rest, rest, parser };
}

interface Tally {
  inputs: number;
  /** Inputs where every check held (an input whose parse threw is counted in `inputs` only). */
  passed: number;
  figuresEmbedded: number;
  figuresRecovered: number;
  invalidMarkers: number;
  invalidAccepted: number;
  outputsWrong: number;
  chunkingChanged: number;
}

const newTally = (): Tally => ({
  inputs: 0,
  passed: 0,
  figuresEmbedded: 0,
  figuresRecovered: 0,
  invalidMarkers: 0,
  invalidAccepted: 0,
  outputsWrong: 0,
  chunkingChanged: 0,
});

/** Compares a streamed parse with the model; counts what went wrong in `tally`; throws on any. */
function checkAgainstModel(
  stream: MarkerStream,
  streamed: { stdout: string; rest: string; parser: ReturnType<typeof createFigureMarkerParser> },
  oneShot: ParsedFigureMarkers | undefined,
  tally: Tally,
): void {
  const expected = expectedParse(stream);
  const actual = normalize(streamed.parser);
  const model = normalize({
    figures: expected.figures,
    fileFigures: expected.fileFigures,
    problems: expected.captureProblems,
    error: expected.error,
  });
  const failures: string[] = [];
  let recovered = 0;
  while (
    recovered < model.figures.length &&
    isDeepStrictEqual(actual.figures[recovered], model.figures[recovered])
  ) {
    recovered++;
  }
  tally.figuresEmbedded += model.figures.length;
  tally.figuresRecovered += recovered;
  const invalidCount = stream.segments.filter((segment) => segment.kind === 'invalid').length;
  tally.invalidMarkers += invalidCount + (stream.truncated === undefined ? 0 : 1);
  const extraFigures = actual.figures.length - recovered;
  const extraFileFigures = Math.max(0, actual.fileFigures.length - model.fileFigures.length);
  tally.invalidAccepted += Math.max(0, extraFigures) + extraFileFigures;
  if (recovered !== model.figures.length || actual.figures.length !== model.figures.length) {
    failures.push(
      `figures: ${actual.figures.length} parsed, ${model.figures.length} embedded, ${recovered} equal`,
    );
  }
  if (!isDeepStrictEqual(actual.fileFigures, model.fileFigures)) {
    failures.push(`file figures differ: ${JSON.stringify(actual.fileFigures)}`);
  }
  if (!isDeepStrictEqual(actual.error, model.error)) {
    failures.push(`error differs: ${JSON.stringify(actual.error)}`);
  }
  const captureProblems = actual.problems.filter((problem) => problem.stage === 'capture');
  const parseProblems = actual.problems.filter((problem) => problem.stage === 'parse');
  if (!isDeepStrictEqual(captureProblems, model.problems)) {
    failures.push(`capture problems differ: ${JSON.stringify(captureProblems)}`);
  }
  if (parseProblems.length !== expected.parseProblems) {
    failures.push(
      `${parseProblems.length} parse problems for ${expected.parseProblems} damaged markers: ${JSON.stringify(parseProblems)}`,
    );
  }
  if (streamed.stdout !== expected.stdout) {
    tally.outputsWrong++;
    failures.push(`stdout differs: ${JSON.stringify(streamed.stdout).slice(0, 400)}`);
  }
  // Liveness: push() holds back only what could still become a marker's prefix.
  if (streamed.rest.length >= PREFIX.length || !PREFIX.startsWith(streamed.rest)) {
    failures.push(`end() released ${JSON.stringify(streamed.rest)}: push() held back too much`);
  }
  if (oneShot !== undefined) {
    const same =
      oneShot.stdout === streamed.stdout && isDeepStrictEqual(normalize(oneShot), actual);
    if (!same) {
      tally.chunkingChanged++;
      failures.push('the chunked parse differs from the one-shot parse');
    }
  }
  if (failures.length > 0) throw new Error(failures.join('\n'));
  tally.passed++;
}

// A fixed seed, and no shrinking: the counts are of distinct generated inputs.
const CHECK = { seed: SEED, endOnFailure: true } as const;

/** The seed and path replay the failure (fc.check with `{ seed, path }`); counterexamples can be megabytes. */
function failureMessage<T>(details: fc.RunDetails<T>): string {
  if (!details.failed) return '';
  const error = details.errorInstance;
  const reason =
    error instanceof Error ? error.message : String(error ?? 'the property returned false');
  const counterexample = fc.stringify(details.counterexample);
  return `seed ${details.seed}, path ${details.counterexamplePath}: ${reason}\ncounterexample: ${counterexample.slice(0, 4000)}${counterexample.length > 4000 ? '...' : ''}`;
}

function tallyOutcome(tally: Tally, comparedWithOneShot: boolean): string {
  return (
    `${tally.inputs} inputs (seed ${SEED}), ${tally.figuresRecovered}/${tally.figuresEmbedded} valid figures recovered in order, ` +
    `${tally.invalidAccepted} of ${tally.invalidMarkers} damaged markers accepted, ${tally.outputsWrong} outputs changed` +
    (comparedWithOneShot ? `, ${tally.chunkingChanged} chunkings changed the result` : '')
  );
}

describe('fuzzing the marker parser', () => {
  it('never throws on arbitrary output, and removes exactly the lines that start with its prefix', () => {
    const markerLike = fc.oneof(
      plainText(settings),
      fc.constant(PREFIX),
      fc.constantFrom(...corpus).map((marker) => marker.line),
      fc
        .tuple(fc.constantFrom(...corpus), fc.nat())
        .map(([marker, cut]) => marker.line.slice(0, cut % marker.line.length)),
      fc.string({ unit: 'binary', maxLength: 50 }).map((text) => `${PREFIX}${text}`),
    );
    const lineOfPrefix = new RegExp(`${PREFIX}[^\\n]*(?:\\n|$)`, 'g');
    let inputs = 0;
    let passed = 0;
    const property = fc.property(
      fc.array(markerLike, { maxLength: 16 }).map((parts) => parts.join('')),
      chunkSplits(),
      (input, splits) => {
        inputs++;
        const oneShot = parseFigureMarkers(input, {
          nonce: NONCE,
          maxFigureBytes: MAX_FIGURE_BYTES,
        });
        const streamed = parseChunks(splitAt(input, splits(input.length)));
        const markers = input.match(lineOfPrefix)?.length ?? 0;
        const outcomes =
          oneShot.figures.length +
          oneShot.fileFigures.length +
          oneShot.problems.length +
          (oneShot.error === undefined ? 0 : 1);
        const ok =
          oneShot.stdout === input.replace(lineOfPrefix, '') &&
          outcomes === markers &&
          streamed.stdout === oneShot.stdout &&
          isDeepStrictEqual(normalize(streamed.parser), normalize(oneShot));
        if (ok) passed++;
        return ok;
      },
    );
    const details = fc.check(property, { ...CHECK, numRuns: 300 });
    recordCase({
      group: 'fuzz',
      name: 'marker parser: arbitrary output with marker-like text, split anywhere',
      tried: inputs,
      survived: passed,
      lost: inputs - passed,
      outcome: `${inputs} inputs (seed ${SEED}): ${inputs - passed} threw or differed from the reference (every line from the prefix to its newline removed, each accounted for exactly once) or from the one-shot parse`,
    });
    expect(details.failed, failureMessage(details)).toBe(false);
  });

  it('recovers every valid figure in order, accepts no damaged marker, keeps the output exact, whatever the chunking', () => {
    const tally = newTally();
    const property = fc.property(markerStream(settings), chunkSplits(), (stream, splits) => {
      const input = streamText(stream);
      const markers = stream.segments.filter((segment) => segment.kind !== 'text').length;
      fc.pre(
        countOccurrences(input, PREFIX) === markers + (stream.truncated === undefined ? 0 : 1),
      );
      tally.inputs++;
      const oneShot = parseFigureMarkers(input, { nonce: NONCE, maxFigureBytes: MAX_FIGURE_BYTES });
      checkAgainstModel(stream, parseChunks(splitAt(input, splits(input.length))), oneShot, tally);
    });
    const details = fc.check(property, { ...CHECK, numRuns: 400 });
    recordCase({
      group: 'fuzz',
      name: 'marker parser: valid, damaged and wrong-nonce markers interleaved with output, split anywhere',
      tried: tally.inputs,
      survived: tally.passed,
      lost:
        tally.figuresEmbedded - tally.figuresRecovered + tally.invalidAccepted + tally.outputsWrong,
      outcome: tallyOutcome(tally, true),
    });
    expect(details.failed, failureMessage(details)).toBe(false);
    expect(tally.figuresEmbedded).toBeGreaterThan(200);
  });

  it('reads the same from UTF-8 bytes split inside characters, through the local backend decoder', () => {
    const tally = newTally();
    const byteSettings = { ...settings, loneSurrogates: false };
    const token = '\0sandplot-end-00112233445566778899aabbccddeeff\0';
    const property = fc.property(markerStream(byteSettings), chunkSplits(), (stream, splits) => {
      const input = streamText(stream);
      const markers = stream.segments.filter((segment) => segment.kind !== 'text').length;
      fc.pre(
        countOccurrences(input, PREFIX) === markers + (stream.truncated === undefined ? 0 : 1),
      );
      tally.inputs++;
      const bytes = Buffer.concat([Buffer.from(input, 'utf8'), Buffer.from(token, 'latin1')]);
      const parser = createFigureMarkerParser({ nonce: NONCE, maxFigureBytes: MAX_FIGURE_BYTES });
      let pushed = '';
      let tokenSeen = false;
      const output = new OutputStream('stdout', () => {
        tokenSeen = true;
      });
      output.begin(token, (text) => {
        pushed += parser.push(text);
      });
      for (const chunk of splitAt(bytes, splits(bytes.length))) output.push(chunk);
      output.end();
      const rest = parser.end();
      if (!tokenSeen) throw new Error('the end token was not seen');
      checkAgainstModel(stream, { stdout: pushed + rest, rest, parser }, undefined, tally);
    });
    const details = fc.check(property, { ...CHECK, numRuns: 250 });
    recordCase({
      group: 'fuzz',
      name: 'marker parser behind the local backend UTF-8 decoder: bytes split inside characters',
      tried: tally.inputs,
      survived: tally.passed,
      lost:
        tally.figuresEmbedded - tally.figuresRecovered + tally.invalidAccepted + tally.outputsWrong,
      outcome: tallyOutcome(tally, false),
    });
    expect(details.failed, failureMessage(details)).toBe(false);
  });

  it('refuses a marker longer than any allowed figure without keeping it, and reads on after it', () => {
    let inputs = 0;
    let passed = 0;
    const maxFigureBytes = 1;
    const property = fc.property(
      fc.integer({ min: 1, max: 50_000 }),
      plainText(settings),
      fc.array(fc.integer({ min: 1, max: 64 * 1024 }), { minLength: 1, maxLength: 80 }),
      (extra, text, sizes) => {
        // One byte of figure leaves 4 base64 characters plus 4 MiB of room for the header.
        const long = `${PREFIX}figure:${'A'.repeat(4 * 1024 * 1024 + 4 + extra)}\n`;
        const after = markerLine(NONCE, 'problem', { index: 3, reason: 'read after' });
        const input = `${text}${long}${text}${after}`;
        fc.pre(countOccurrences(input, PREFIX) === 2);
        inputs++;
        const points: number[] = [];
        let at = 0;
        for (const size of sizes) {
          at += size;
          if (at >= input.length) break;
          points.push(at);
        }
        points.push(...[1, 2, 3].map((part) => Math.floor((input.length * part) / 4)));
        const streamed = parseChunks(
          splitAt(
            input,
            [...new Set(points)].sort((a, b) => a - b),
          ),
          maxFigureBytes,
        );
        const problems = streamed.parser.problems;
        const ok =
          streamed.stdout === `${text}${text}` &&
          streamed.parser.figures.length === 0 &&
          problems.length === 2 &&
          problems[0]?.stage === 'parse' &&
          /longer than a figure/.test(problems[0]?.reason ?? '') &&
          isDeepStrictEqual(problems[1], { stage: 'capture', reason: 'read after', index: 3 });
        if (ok) passed++;
        return ok;
      },
    );
    const details = fc.check(property, { ...CHECK, numRuns: 6 });
    recordCase({
      group: 'fuzz',
      name: 'marker parser: a marker line over the size limit (4 MiB + figure)',
      tried: inputs,
      survived: passed,
      lost: inputs - passed,
      outcome: `${inputs} inputs of 4+ MiB (seed ${SEED}): each refused as one parse problem, surrounding output exact, the next marker read`,
    });
    expect(details.failed, failureMessage(details)).toBe(false);
  });
});

describe('fuzzing the wrapper in a real sandboxed Python', () => {
  let sandbox: CodeSandbox | undefined;

  afterAll(async () => {
    await sandbox?.close();
  });

  it('random programs: output exact, SyntaxError on the user line, one figure per figure made', async () => {
    sandbox = new CodeSandbox({ backend: localBackend(), capture: { dpi: 40 } });
    const active = sandbox;
    let runs = 0;
    let passedRuns = 0;
    let figuresMade = 0;
    let figuresReturned = 0;
    let outputsWrong = 0;
    let syntaxErrors = 0;
    let syntaxLinesWrong = 0;
    const started = performance.now();
    const property = fc.asyncProperty(pythonProgram(), async (program) => {
      runs++;
      const result = await active.executePython(program.code, { timeoutMs: 20_000 });
      const failures: string[] = [];
      figuresMade += program.figureTitles.length;
      figuresReturned += Math.min(result.figures.length, program.figureTitles.length);
      if (result.stdout !== program.stdout) {
        outputsWrong++;
        failures.push(
          `stdout ${JSON.stringify(result.stdout)} != ${JSON.stringify(program.stdout)}`,
        );
      }
      const titles = result.figures.map((figure) => figure.title);
      if (!isDeepStrictEqual(titles, program.figureTitles)) {
        failures.push(
          `figure titles ${JSON.stringify(titles)} != ${JSON.stringify(program.figureTitles)}`,
        );
      }
      if (result.problems.length > 0) failures.push(`problems ${JSON.stringify(result.problems)}`);
      const expectedError = program.error;
      if (expectedError === undefined) {
        if (result.isError) failures.push(`unexpected error ${JSON.stringify(result.error)}`);
      } else if (expectedError.name === 'SyntaxError') {
        syntaxErrors++;
        const line = /line (\d+)\)$/.exec(result.error?.value ?? '')?.[1];
        const isSyntaxError =
          result.error?.name === 'SyntaxError' || result.error?.name === 'IndentationError';
        if (!isSyntaxError || Number(line) !== expectedError.line) {
          syntaxLinesWrong++;
          failures.push(
            `expected a SyntaxError on line ${expectedError.line}, got ${JSON.stringify(result.error)}`,
          );
        }
      } else if (
        result.error?.name !== expectedError.name ||
        result.error.value !== expectedError.value
      ) {
        failures.push(
          `expected ${JSON.stringify(expectedError)}, got ${JSON.stringify(result.error)}`,
        );
      }
      if (failures.length > 0) throw new Error(failures.join('\n'));
      passedRuns++;
    });
    const details = await fc.check(property, { ...CHECK, numRuns: 60 });
    const seconds = (performance.now() - started) / 1000;
    recordCase({
      group: 'fuzz',
      name: 'wrapper: random Python programs (prints, unicode, marker-like text, __future__, syntax errors, raise, figures) in a real sandbox',
      tried: runs,
      survived: passedRuns,
      lost: figuresMade - figuresReturned + outputsWrong,
      outcome: `${runs} programs (seed ${SEED}) in one local session, ${seconds.toFixed(1)} s: ${outputsWrong} outputs changed, ${figuresReturned}/${figuresMade} figures returned, ${syntaxErrors - syntaxLinesWrong}/${syntaxErrors} SyntaxErrors on the user's line`,
    });
    expect(details.failed, failureMessage(details)).toBe(false);
  }, 120_000);
});
