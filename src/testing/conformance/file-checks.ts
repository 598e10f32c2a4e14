import type { ImageSink, ImageSinkContext } from '../../sinks/types.js';
import type { CapturedFile, StoredFigure, StoredFile } from '../../types/index.js';
import { ensureConfined } from './location-safety.js';
import { firstDifference, locationOf, readStoredCopies } from './read-stored.js';
import { type CheckScope, ensure } from './report.js';
import { sampleExecutionId } from './sample-figures.js';

/** What the files check takes from the options: how to read back, where locations must stay. */
export interface FileCheckSettings {
  fetch?: typeof fetch | undefined;
  read?: ((stored: StoredFigure) => Promise<Uint8Array>) | undefined;
  dir?: string | undefined;
  keyPrefix?: string | undefined;
  sinkNames?: string[] | undefined;
}

// Names the code can really give a file (a forged `..`, absolute path or control character never
// reaches a sink: the host refuses it first), chosen to trip a sink that builds keys from them.
const ODD_PATHS = [
  '%2e%2e/%2e%2e/etc/passwd.csv',
  'a b/[x](https://example.com).csv',
  'back\\slash.csv',
  'é-ü.csv',
  `${'long-'.repeat(60)}.csv`,
  'a_b.csv',
  'a b.csv',
];

/**
 * Files (`putFile`): a CSV and an HTML file round-trip byte-exact with their path, type and
 * size; HTML fetched over http(s) is an attachment; names the code chose stay inside the sink's
 * folder or prefix and never share a location. A sink without `putFile` stores figures only,
 * which the library reports file by file: the check passes and says so.
 */
export async function checkFiles(
  sink: ImageSink,
  options: FileCheckSettings,
  scope: CheckScope,
): Promise<string | undefined> {
  const putFile = sink.putFile?.bind(sink);
  if (putFile === undefined) {
    return 'the sink has no putFile: it stores figures only, and written files come back as problems';
  }
  const executionId = sampleExecutionId();
  const context: ImageSinkContext = {
    executionId,
    sessionId: 'conformance-session',
    reportProblem: () => {},
  };
  const samples: CapturedFile[] = [
    file('out/report.csv', 'text/csv', 'region,units\nnorth,120\nsouth,95\n'),
    file('page.html', 'text/html', '<script>alert(1)</script><p>hello</p>'),
  ];
  for (const sample of samples) {
    const stored = await putFile(sample, context);
    ensure(typeof stored === 'object' && stored !== null, 'putFile resolved to no StoredFile');
    ensure(stored.path === sample.path, `path came back as ${JSON.stringify(stored.path)}`);
    ensure(stored.mediaType === sample.mediaType, `mediaType came back as ${stored.mediaType}`);
    ensure(
      stored.byteLength === sample.data.byteLength,
      `byteLength is ${stored.byteLength} for a file of ${sample.data.byteLength} bytes`,
    );
    const names = options.sinkNames ?? [sink.name];
    ensure(names.includes(stored.sink), `sink is ${JSON.stringify(stored.sink)}`);
    await ensureSameFile(stored, sample, options, scope);
  }
  const stored: StoredFile[] = [];
  for (const path of ODD_PATHS) {
    const sample = file(path, 'text/csv', path);
    const result = await putFile(sample, context);
    ensureConfined(
      asFigure(result),
      { text: path, fragments: [] },
      { dir: options.dir, keyPrefix: options.keyPrefix },
    );
    await ensureSameFile(result, sample, options, scope);
    stored.push(result);
  }
  const seen = new Map<string, string>();
  for (const [position, result] of stored.entries()) {
    const location = locationOf(asFigure(result));
    if (location === undefined) continue;
    const earlier = seen.get(location);
    ensure(
      earlier === undefined,
      `the files ${JSON.stringify(earlier)} and ${JSON.stringify(ODD_PATHS[position])} were both stored at ${location}`,
    );
    seen.set(location, ODD_PATHS[position] as string);
  }
  return undefined;
}

function file(path: string, mediaType: string, content: string): CapturedFile {
  return { path, mediaType, data: new TextEncoder().encode(content) };
}

// The figure-shaped view of a stored file that the location and read-back helpers take.
function asFigure(stored: StoredFile): StoredFigure {
  const view: StoredFigure = {
    index: 0,
    mediaType: 'image/png',
    sink: stored.sink,
    url: stored.url,
    byteLength: stored.byteLength,
  };
  if (stored.key !== undefined) view.key = stored.key;
  if (stored.localPath !== undefined) view.path = stored.localPath;
  if (stored.data !== undefined) view.data = stored.data;
  return view;
}

async function ensureSameFile(
  stored: StoredFile,
  sample: CapturedFile,
  options: FileCheckSettings,
  scope: CheckScope,
): Promise<void> {
  const what = `the file ${JSON.stringify(sample.path)}`;
  const copies = await readStoredCopies(asFigure(stored), {
    fetch: options.fetch ?? globalThis.fetch,
    read: options.read,
    signal: scope.signal,
  });
  for (const copy of copies) {
    const difference = firstDifference(copy.bytes, sample.data);
    ensure(
      difference === -1,
      `${what}: the ${copy.via} copy differs from the ${sample.data.byteLength} bytes put, first at byte ${difference}`,
    );
  }
  if (/^https?:/i.test(stored.url) && sample.mediaType === 'text/html') {
    // GET, as a browser would: a presigned URL is signed for GET only.
    const response = await (options.fetch ?? globalThis.fetch)(stored.url, {
      signal: scope.signal,
    });
    await response.body?.cancel();
    const disposition = response.headers.get('content-disposition') ?? '';
    ensure(
      /^attachment/i.test(disposition),
      `${what} is served without Content-Disposition: attachment, so a browser would render it`,
    );
  }
}
