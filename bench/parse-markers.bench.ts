import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createFigureMarkerParser, parseFigureMarkers } from '../src/capture/parse-markers.js';
import type { BenchReport } from './report.js';

const FIGURE_COUNT = 20;
const FIGURE_BYTES = 1_800_000;
const TEXT_LINES_BETWEEN_FIGURES = 2_000;
const TIMED_RUNS = 7;
const STREAM_CHUNK_CHARS = 64 * 1024;
const TARGET_MEGABYTES_PER_SECOND = 500;
const TARGET_RATIO_TO_DECODE = 2;
const TARGET_PEAK_TO_FIGURE_BYTES = 2;
// A PNG signature and IHDR chunk (with its CRC): the host reads a figure's size from them.
const PNG_START = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ', 'base64');

/**
 * The marker parser on ~50 MB of stdout holding 20 figures, against plain
 * `Buffer.from(payload, 'base64')` of the same figure payloads in the same run.
 * Targets: >= 500 MB/s, within 2x of the plain decode, peak extra memory <= 2x the figure bytes.
 */
export async function benchParseMarkers(): Promise<BenchReport> {
  const gc = exposeGc();
  const nonce = randomBytes(16).toString('hex');
  const { stdout, payloads } = buildStdout(nonce);
  const figureBytes = FIGURE_COUNT * FIGURE_BYTES;
  const options = { nonce, maxFigureBytes: 4 * 1024 * 1024 };

  // Memory first, while the input is a fresh string nothing has been derived from yet.
  await settle(gc);
  const before = usedMemory();
  const rssBefore = process.memoryUsage().rss;
  let result = parseFigureMarkers(stdout, options);
  const peak = usedMemory() - before; // nothing was collected during the synchronous parse
  const rssGrowth = process.memoryUsage().rss - rssBefore;
  await settle(gc);
  const retained = usedMemory() - before;
  const correct =
    result.figures.length === FIGURE_COUNT &&
    result.problems.length === 0 &&
    result.figures.every((figure) => figure.data.length === FIGURE_BYTES);
  result = parseFigureMarkers('', options);

  const decodeTimes: number[] = [];
  const parseTimes: number[] = [];
  const streamTimes: number[] = [];
  for (let run = 0; run < TIMED_RUNS + 1; run++) {
    gc();
    decodeTimes.push(time(() => payloads.map((payload) => Buffer.from(payload, 'base64'))));
    gc();
    parseTimes.push(time(() => parseFigureMarkers(stdout, options)));
    gc();
    streamTimes.push(time(() => parseInChunks(stdout, options)));
  }
  // The first round warms up the JIT and the allocator.
  const decode = median(decodeTimes.slice(1));
  const parse = median(parseTimes.slice(1));
  const stream = median(streamTimes.slice(1));

  const megabytes = stdout.length / 1e6;
  const throughput = megabytes / (parse / 1000);
  const ratio = parse / decode;
  const peakRatio = peak / figureBytes;
  const ok =
    correct &&
    throughput >= TARGET_MEGABYTES_PER_SECOND &&
    ratio <= TARGET_RATIO_TO_DECODE &&
    peakRatio <= TARGET_PEAK_TO_FIGURE_BYTES;
  return {
    name: 'parse-markers',
    ok,
    lines: [
      `input: ${megabytes.toFixed(1)} MB of stdout, ${FIGURE_COUNT} figures of ${(FIGURE_BYTES / 1e6).toFixed(1)} MB, ${correct ? 'all parsed' : 'PARSED WRONG'}`,
      `parseFigureMarkers: ${parse.toFixed(1)} ms median = ${throughput.toFixed(0)} MB/s (target >= ${TARGET_MEGABYTES_PER_SECOND})`,
      `Buffer.from(payload, 'base64') of the payloads alone: ${decode.toFixed(1)} ms median; parser/decode = ${ratio.toFixed(2)}x (target <= ${TARGET_RATIO_TO_DECODE}x)`,
      `streaming in ${STREAM_CHUNK_CHARS / 1024} KiB chunks: ${stream.toFixed(1)} ms median = ${(megabytes / (stream / 1000)).toFixed(0)} MB/s (not a target)`,
      `memory (heap + array buffers): peak extra ${(peak / 1e6).toFixed(1)} MB = ${peakRatio.toFixed(2)}x the figure bytes (target <= ${TARGET_PEAK_TO_FIGURE_BYTES}x), retained ${(retained / 1e6).toFixed(1)} MB, rss growth ${(rssGrowth / 1e6).toFixed(1)} MB`,
    ],
  };
}

function buildStdout(nonce: string): { stdout: string; payloads: string[] } {
  const parts: string[] = [];
  const payloads: string[] = [];
  for (let index = 0; index < FIGURE_COUNT; index++) {
    for (let line = 0; line < TEXT_LINES_BETWEEN_FIGURES; line++) {
      parts.push(`row ${index}.${line}: value=${(line * 1.5).toFixed(2)}\n`);
    }
    const data = randomBytes(FIGURE_BYTES);
    data.set(PNG_START);
    const header = Buffer.from(
      JSON.stringify({ index, format: 'png', width: 640, height: 480, title: `Figure ${index}` }),
    ).toString('base64');
    const payload = data.toString('base64');
    payloads.push(payload);
    parts.push(`@@sandplot:${nonce}:figure:${header}:${payload}\n`);
  }
  // Through a Buffer: one flat string, as a backend's decoded output is.
  return { stdout: Buffer.from(parts.join(''), 'latin1').toString('latin1'), payloads };
}

function parseInChunks(stdout: string, options: { nonce: string; maxFigureBytes: number }): number {
  const parser = createFigureMarkerParser(options);
  let length = 0;
  for (let position = 0; position < stdout.length; position += STREAM_CHUNK_CHARS) {
    length += parser.push(stdout.slice(position, position + STREAM_CHUNK_CHARS)).length;
  }
  return length + parser.end().length + parser.figures.length;
}

function exposeGc(): () => void {
  // bench/run.ts runs under tsx without --expose-gc; a new context picks the flag up.
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

// Array buffers are freed by callbacks after a collection: let them run, then collect again.
async function settle(gc: () => void): Promise<void> {
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
}

function usedMemory(): number {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

function time(work: () => unknown): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
