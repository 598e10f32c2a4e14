import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { localBackend } from '../../src/backends/local.js';
import { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { localDirSink } from '../../src/sinks/local-dir.js';
import { createExecutePythonTool } from '../../src/tool/execute-python.js';
import { recordCase } from './support/case-ledger.js';
import { attackerHelpers, tinyPngPython } from './support/hostile-python.js';

// Hostile code that read the nonce forges figures aimed at the host's own checks: input that
// makes a check slow, content a check misreads, and volume that costs memory before the limits
// apply. Each case measures what the host paid: time, the longest the event loop was blocked
// (every other user of the process waits that long), and memory.

let dir: string;
let sandbox: CodeSandbox;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandplot-hostile-figures-'));
  sandbox = new CodeSandbox({
    backend: localBackend(),
    imageSink: localDirSink({ dir }),
    capture: { maxFigures: 20 },
    timeoutMs: 120_000,
  });
  await sandbox.executePython('pass');
});

afterAll(async () => {
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
});

interface HostCost<T> {
  value: T;
  seconds: number;
  /** The longest the event loop was blocked, in ms (10 ms resolution). */
  maxDelayMs: number;
  /** Peak growth over the start, in MB. */
  rssMb: number;
  heapMb: number;
}

/** Runs `work` while watching the event loop and this process's memory. */
async function hostCost<T>(work: () => Promise<T>): Promise<HostCost<T>> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  const start = process.memoryUsage();
  const used = ({ heapUsed, arrayBuffers }: NodeJS.MemoryUsage) => heapUsed + arrayBuffers;
  let peakRss = start.rss;
  let peakHeap = used(start);
  const sample = () => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, used(now));
  };
  const timer = setInterval(sample, 5);
  delay.enable();
  // The monitor measures from one tick to the next: it needs a tick before the work, and one
  // after it (a block at the very end shows only then).
  await sleep(20);
  const started = performance.now();
  try {
    const value = await work();
    const seconds = (performance.now() - started) / 1000;
    sample();
    await sleep(50);
    return {
      value,
      seconds,
      maxDelayMs: Math.round(delay.max / 1e6),
      rssMb: Math.round((peakRss - start.rss) / 1e6),
      heapMb: Math.round((peakHeap - used(start)) / 1e6),
    };
  } finally {
    delay.disable();
    clearInterval(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs attacker code that holds the nonce (as `nonce`) and a 1×1 PNG (as `png`). */
function forge(body: string) {
  return sandbox.executePython(
    `${attackerHelpers}\nnonce = steal_nonce('modules')\npng = ${tinyPngPython}\n${body}`,
  );
}

const reasons = (problems: readonly { reason: string }[]) => problems.map(({ reason }) => reason);

describe('hostile: forged figures against the host checks', () => {
  test('an SVG of "<svg " and 256 KiB of "<": refused in one linear pass', async () => {
    const sizes = [128, 256];
    const runs = [];
    for (const kib of sizes) {
      runs.push(
        await hostCost(() =>
          forge(
            `forge(nonce, 'figure', {'index': 0, 'format': 'svg'}, b'<svg ' + b'<' * ${kib * 1024})`,
          ),
        ),
      );
    }
    const refused = runs.filter(
      ({ value }) =>
        value.figures.length === 0 && /malformed <svg> tag/.test(value.problems[0]?.reason ?? ''),
    );
    recordCase({
      group: 'hostile',
      name: 'forged SVG of "<svg " and 128 / 256 KiB of "<" (quadratic for a pattern check)',
      tried: runs.length,
      survived: refused.length,
      lost: runs.length - refused.length,
      outcome: `refused (malformed tag) in ${runs.map((run) => `${run.seconds.toFixed(2)} s`).join(' / ')} per execution; longest event-loop block ${Math.max(...runs.map((run) => run.maxDelayMs))} ms`,
    });
    expect(refused).toHaveLength(runs.length);
    for (const run of runs) expect(run.maxDelayMs).toBeLessThan(2000);
  }, 120_000);

  test('10 MiB SVGs at the allow-list limits are checked while they stream, in bounded steps', async () => {
    const tenMiB = 10 * 1024 * 1024;
    // The densest markup the allow-list accepts, and elements as small as XML has.
    const dense = await hostCost(() =>
      forge(`unit = b'<g id="a" style="fill: url(#b)"><use xlink:href="#c" x="1" y="2"/></g>'
forge(nonce, 'figure', {'index': 0, 'format': 'svg'}, b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">' + unit * (${tenMiB} // len(unit) - 2) + b'</svg>')`),
    );
    const tiny = await hostCost(() =>
      forge(
        `forge(nonce, 'figure', {'index': 0, 'format': 'svg'}, b'<svg xmlns="http://www.w3.org/2000/svg">' + b'<g/>' * (${tenMiB} // 4 - 20) + b'</svg>')`,
      ),
    );
    // The same bytes as plain output: what the machine costs without any figure check.
    const plain = await hostCost(() =>
      sandbox.executePython(
        `import sys\nsys.stdout.write('x' * ${Math.ceil((tenMiB * 4) / 3)} + '\\n')`,
      ),
    );
    const ok =
      dense.value.figures.length === 1 &&
      tiny.value.figures.length === 0 &&
      /more than 1,000,000 elements/.test(tiny.value.problems[0]?.reason ?? '');
    recordCase({
      group: 'hostile',
      name: 'forged 10 MiB SVGs: the densest markup the allow-list accepts, and 2.6 million <g/>',
      tried: 2,
      survived: ok ? 2 : 0,
      lost: ok ? 0 : 1,
      outcome: `dense: accepted, ${dense.seconds.toFixed(1)} s, longest event-loop block ${dense.maxDelayMs} ms; <g/>: refused at 1,000,000 elements, ${tiny.seconds.toFixed(1)} s, block ${tiny.maxDelayMs} ms; the same 13 MB as plain output: ${plain.seconds.toFixed(1)} s, block ${plain.maxDelayMs} ms`,
    });
    expect(ok).toBe(true);
    expect(dense.maxDelayMs).toBeLessThan(1000 + plain.maxDelayMs);
    expect(tiny.maxDelayMs).toBeLessThan(1000 + plain.maxDelayMs);
  }, 120_000);

  test('SVG content a pattern check misread: refused by the allow-list, each reason naming what was found', async () => {
    const svgs: [string, string][] = [
      // A non-ASCII prefix bound to the SVG namespace: still the SVG script element.
      [
        '\'<svg xmlns="http://www.w3.org/2000/svg" xmlns:é="http://www.w3.org/2000/svg"><é:script>alert(1)</é:script></svg>\'.encode()',
        '<é:script>',
      ],
      // A ">" inside an earlier attribute value ends no tag.
      [
        'b\'<svg xmlns="http://www.w3.org/2000/svg"><rect id=">" onload="alert(1)"/></svg>\'',
        'onload=',
      ],
      [
        'b\'<svg xmlns="http://www.w3.org/2000/svg"><set attributeName="href" to="javascript:alert(1)"/></svg>\'',
        '<set>',
      ],
      [
        'b\'<svg xmlns="http://www.w3.org/2000/svg"><a href="java&#9;script:alert(1)"><rect/></a></svg>\'',
        'script URL',
      ],
      [
        'b\'<?xml-stylesheet type="text/xsl" href="x.xsl"?><svg xmlns="http://www.w3.org/2000/svg"/>\'',
        'processing instruction',
      ],
      [
        'b\'<!DOCTYPE svg [<!ENTITY x "<script>alert(1)</script>">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>\'',
        'internal subset',
      ],
      [
        'b\'<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://example.com/x.css)</style></svg>\'',
        'at-rule',
      ],
      [
        'b\'<svg xmlns="http://www.w3.org/2000/svg"><image href="data:image/svg+xml;base64,PHN2Zy8+"/></svg>\'',
        'not a PNG or JPEG',
      ],
      [
        'b\'<svg xmlns="http://www.w3.org/2000/svg"><g xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></g></svg>\'',
        'namespace',
      ],
      [
        'b\'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><iframe src="javascript:alert(1)"/></foreignObject></svg>\'',
        '<foreignObject>',
      ],
    ];
    const result = await forge(
      svgs
        .map(
          ([bytes], index) =>
            `forge(nonce, 'figure', {'index': ${index}, 'format': 'svg'}, ${bytes})`,
        )
        .join('\n'),
    );
    const found = svgs.filter(([, named], index) =>
      result.problems.some((problem) => problem.index === index && problem.reason.includes(named)),
    );
    recordCase({
      group: 'hostile',
      name: 'forged SVGs with active content a pattern check misses (non-ASCII namespace prefix, onload after ">" in a value, SMIL, XSLT, entities, ...)',
      tried: svgs.length,
      survived: found.length,
      lost: result.figures.length,
      outcome: `${result.figures.length} stored; ${found.length}/${svgs.length} refused by the allow-list with a reason naming what was found, e.g. "${result.problems[0]?.reason.replace(/^figure \d+: /, '')}"`,
    });
    expect(result.figures).toEqual([]);
    expect(found.map(([, named]) => named)).toEqual(svgs.map(([, named]) => named));
    for (const reason of reasons(result.problems)) expect(reason.length).toBeLessThan(250);
  }, 60_000);

  test('images whose pixel size a browser reads differently from a naive check: refused', async () => {
    const result = await forge(`import struct
def segment(marker, body):
    return bytes([0xff, marker]) + struct.pack('>H', len(body) + 2) + body
app0 = segment(0xe0, b'JFIF\\0\\1\\1\\0\\0\\1\\0\\1\\0\\0')
frame = segment(0xc0, bytes([8]) + struct.pack('>HH', 20000, 20000) + bytes([1, 1, 0x11, 0]))
scan = segment(0xda, bytes([1, 1, 0, 0, 0x3f, 0])) + bytes(64) + b'\\xff\\xd9'
# a junk byte after APP0: decoders skip it and find the 20000 x 20000 frame
forge(nonce, 'figure', {'index': 0, 'format': 'jpeg', 'width': 100, 'height': 100}, b'\\xff\\xd8' + app0 + b'\\x00' + frame + scan)
# two frame headers that disagree
forge(nonce, 'figure', {'index': 1, 'format': 'jpeg'}, b'\\xff\\xd8' + segment(0xc0, bytes([8]) + struct.pack('>HH', 10, 10) + bytes([1, 1, 0x11, 0])) + frame + scan)
# a chunk before IHDR
forge(nonce, 'figure', {'index': 2, 'format': 'png', 'width': 1, 'height': 1}, png[:8] + struct.pack('>I', 3) + b'tEXt' + b'a\\0b' + bytes(4) + png[8:])
`);
    const refused = result.problems.filter((problem) =>
      /pixel size cannot be read reliably/.test(problem.reason),
    );
    recordCase({
      group: 'hostile',
      name: 'forged images whose size decoders read elsewhere: JPEG junk byte before a 20000×20000 frame, two disagreeing frames, PNG chunk before IHDR',
      tried: 3,
      survived: refused.length,
      lost: result.figures.length,
      outcome: `${result.figures.length} stored; ${refused.length} refused as "its pixel size cannot be read reliably" (markers followed as libjpeg does, IHDR first with its CRC)`,
    });
    expect(result.figures).toEqual([]);
    expect(refused.map((problem) => problem.index)).toEqual([0, 1, 2]);
  }, 60_000);

  test('a chart header nested 100,000 levels deep costs the chart only, through the tool', async () => {
    const tool = createExecutePythonTool(sandbox);
    const run = await hostCost(() =>
      tool.invoke({
        code: `${attackerHelpers}
nonce = steal_nonce('modules')
png = ${tinyPngPython}
def marker(header):
    print('@@sandplot:%s:figure:%s:%s' % (nonce, base64.b64encode(header.encode()).decode(), base64.b64encode(png).decode()), flush=True)
marker('{"index": 0, "format": "png", "title": "deep chart", "chart": ' + '{"a":' * 100000 + '1' + '}' * 100000 + '}')
marker('{"index": 1, "format": "png", "other": ' + '[' * 100000 + ']' * 100000 + '}')
marker('{"index": 2, "format": "png", "title": "after"}')
print('done')`,
      }),
    );
    const text = run.value.text;
    const ok =
      text.includes('"deep chart"') &&
      text.includes('chart data refused: nested deeper than 64 levels') &&
      text.includes('"after"') &&
      text.includes('the header nests deeper than 64 levels');
    recordCase({
      group: 'hostile',
      name: 'forged figure headers nested 100,000 levels deep (in the chart, elsewhere), through tool.invoke',
      tried: 2,
      survived: ok ? 2 : 0,
      lost: ok ? 0 : 1,
      outcome: `no stack overflow: the deep chart is dropped with a chartProblem and its figure kept, the other header costs its marker only; ${run.seconds.toFixed(2)} s, longest event-loop block ${run.maxDelayMs} ms`,
    });
    expect(ok).toBe(true);
    expect(run.maxDelayMs).toBeLessThan(2000);
  }, 60_000);

  test('150 forged 8 MiB figures: refused over maxFigures as their headers arrive, before their data is held', async () => {
    const figures = 150;
    const run = await hostCost(() =>
      forge(`data = png[:33] + bytes(8 * 1024 * 1024 - 33)
encoded = base64.b64encode(data).decode()
for index in range(${figures}):
    header = base64.b64encode(json.dumps({'index': index, 'format': 'png', 'width': 1, 'height': 1}).encode()).decode()
    print('@@sandplot:%s:figure:%s:%s' % (nonce, header, encoded), flush=True)`),
    );
    const { value } = run;
    const overLimit = value.problems.filter((problem) => /\(maxFigures: 20\)/.test(problem.reason));
    recordCase({
      group: 'hostile',
      name: `${figures} forged 8 MiB figures in one execution (1.6 GB of stdout, maxFigures 20)`,
      tried: figures,
      survived: value.figures.length + overLimit.length,
      lost: figures - value.figures.length - overLimit.length,
      outcome: `${value.figures.length} stored, ${overLimit.length} refused over maxFigures as their headers arrived; host peak RSS +${run.rssMb} MB, heap + buffers +${run.heapMb} MB (the 20 admitted figures are 168 MB); ${run.seconds.toFixed(1)} s, longest event-loop block ${run.maxDelayMs} ms`,
    });
    expect(value.figures).toHaveLength(20);
    expect(overLimit).toHaveLength(figures - 20);
    expect(run.rssMb).toBeLessThan(600);
  }, 180_000);
});
