import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { localBackend } from '../../../src/backends/local.js';
import type { BackendSession, SandboxBackend } from '../../../src/backends/types.js';
import { CodeSandbox } from '../../../src/sandbox/code-sandbox.js';
import { type AgentCoreEmulator, startAgentCoreEmulator } from '../../../src/testing.js';
import type { CaptureOptions } from '../../../src/types/index.js';
import { emulatorBackend } from '../../support/agentcore-clients.js';
import { pngSize } from '../../support/png.js';

/** Everything an observed backend's sessions saw, for assertions on the raw traffic. */
interface Observations {
  /** Raw stdout of each run, markers included, in run order. */
  runs: string[];
  reads: string[];
  removals: string[];
}

/**
 * A real backend with an observer: its sessions are the real ones, forwarding every call, while
 * the raw stdout chunks (before any marker parsing), file reads and removals are recorded.
 */
function observed(backend: SandboxBackend): SandboxBackend & Observations {
  const observations: Observations = { runs: [], reads: [], removals: [] };
  return {
    ...observations,
    name: backend.name,
    async createSession(createOptions) {
      const session = await backend.createSession(createOptions);
      const forwarding: BackendSession = {
        get id() {
          return session.id;
        },
        get isAlive() {
          return session.isAlive;
        },
        runCode(code, runOptions) {
          const run = observations.runs.push('') - 1;
          return session.runCode(code, {
            ...runOptions,
            onStdout: (text) => {
              observations.runs[run] += text;
              runOptions.onStdout(text);
            },
          });
        },
        writeFiles: (files, fileOptions) => session.writeFiles(files, fileOptions),
        readFile(path, fileOptions) {
          observations.reads.push(path);
          return session.readFile(path, fileOptions);
        },
        close: () => session.close(),
      };
      const { clearContext, removeFiles } = session;
      if (clearContext) forwarding.clearContext = clearContext.bind(session);
      if (removeFiles) {
        forwarding.removeFiles = (paths, fileOptions) => {
          observations.removals.push(...paths);
          return removeFiles.call(session, paths, fileOptions);
        };
      }
      return forwarding;
    },
  };
}

const open: CodeSandbox[] = [];
function sandbox(backend: SandboxBackend, capture: CaptureOptions = {}): CodeSandbox {
  const created = new CodeSandbox({
    backend,
    capture: { transport: 'files', tightBoundingBox: false, ...capture },
  });
  open.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((each) => each.close()));
});

// Random pixels do not compress: the PNG is about 170 kB, its base64 about 230 kB.
const NOISY_FIGURE = `import matplotlib.pyplot as plt, numpy as np
plt.figure(figsize=(4, 3))
plt.imshow(np.random.default_rng(7).random((200, 200)))
plt.title("noise")
`;
const LEFTOVERS = "import os\nprint(sorted(os.listdir('.sandplot/figures')))";

describe("capture.transport 'files' on the local backend", () => {
  it('delivers the same figure as stdout does, while stdout carries ~100 bytes instead of the image', async () => {
    const viaFiles = observed(localBackend());
    const viaStdout = observed(localBackend());
    const [files, stdout] = await Promise.all([
      sandbox(viaFiles).executePython(`${NOISY_FIGURE}print("done")`),
      sandbox(viaStdout, { transport: 'stdout' }).executePython(`${NOISY_FIGURE}print("done")`),
    ]);
    expect(files.problems).toEqual([]);
    expect(files.stdout).toBe('done\n');
    expect(files.figures).toHaveLength(1);
    const [figure] = files.figures;
    expect(figure).toMatchObject({
      index: 0,
      mediaType: 'image/png',
      width: 400,
      height: 300,
      title: 'noise',
    });
    expect(pngSize(figure?.data ?? new Uint8Array())).toEqual({ width: 400, height: 300 });
    expect(figure?.byteLength).toBeGreaterThan(20_000);
    expect(figure?.data).toEqual(stdout.figures[0]?.data);

    const raw = viaFiles.runs[0] ?? '';
    expect(raw).not.toContain('iVBORw0KGgo');
    expect(Buffer.byteLength(raw)).toBeLessThan(2048);
    expect(Buffer.byteLength(viaStdout.runs[0] ?? '')).toBeGreaterThan(figure?.byteLength ?? 0);
    expect(viaFiles.reads).toEqual([
      expect.stringMatching(/^\.sandplot\/figures\/[0-9a-f]{32}\/figure-1\.png$/),
    ]);

    const box = open[0] as CodeSandbox;
    expect((await box.executePython(LEFTOVERS)).stdout).toBe('[]\n');
  });

  it('delivers the figures of code that raises, in order, and leaves no files', async () => {
    const box = sandbox(localBackend());
    const result = await box.executePython(
      `${NOISY_FIGURE}plt.figure()\nplt.plot([1, 2])\nplt.title("line")\n1 / 0`,
    );
    expect(result.error?.name).toBe('ZeroDivisionError');
    expect(result.figures.map(({ index, title }) => [index, title])).toEqual([
      [0, 'noise'],
      [1, 'line'],
    ]);
    expect((await box.executePython(LEFTOVERS)).stdout).toBe('[]\n');
  });

  it("still works after the code moved to another directory with os.chdir('/tmp')", async () => {
    const box = sandbox(localBackend());
    await box.executePython("import os\nbase = os.getcwd()\nos.chdir('/tmp')");
    const result = await box.executePython(NOISY_FIGURE);
    expect(result.problems).toEqual([]);
    expect(result.figures.map((figure) => figure.title)).toEqual(['noise']);
    const listing = await box.executePython(
      "print(os.getcwd(), sorted(os.listdir(os.path.join(base, '.sandplot/figures'))), '.sandplot' in os.listdir('/tmp'))",
    );
    expect(listing.stdout).toBe('/tmp [] False\n');
  });

  it('reports figures over maxFigures and maxFigureBytes as problems and delivers the rest', async () => {
    const box = sandbox(localBackend(), { maxFigures: 2, maxFigureBytes: 100_000 });
    const result = await box.executePython(
      `${NOISY_FIGURE}plt.figure(figsize=(2, 2))\nplt.title("small")\nplt.figure()\nplt.title("third")`,
    );
    expect(result.figures.map(({ index, title }) => [index, title])).toEqual([[1, 'small']]);
    expect(result.problems).toEqual([
      { stage: 'capture', index: 0, reason: expect.stringMatching(/\(maxFigureBytes\)/) },
      { stage: 'capture', index: 2, reason: expect.stringMatching(/\(maxFigures: 2\)/) },
    ]);
  });

  it('reports a figure file the code deleted as a capture problem and delivers the others', async () => {
    const box = sandbox(localBackend());
    const result = await box.executePython(
      `${NOISY_FIGURE}plt.show()\nimport shutil\nshutil.rmtree('.sandplot/figures')\nplt.figure()\nplt.title("kept")`,
    );
    expect(result.figures.map(({ index, title }) => [index, title])).toEqual([[1, 'kept']]);
    expect(result.problems).toEqual([
      {
        stage: 'capture',
        index: 0,
        reason: expect.stringMatching(
          /^figure 1 could not be read from \.sandplot\/figures\/[0-9a-f]{32}\/figure-1\.png: .*No file/,
        ),
      },
    ]);
  });

  it('reports each announced figure as a problem when the session crashed before they were read', async () => {
    const box = sandbox(localBackend());
    const result = await box.executePython(
      `${NOISY_FIGURE}plt.show()\nimport os, sys\nsys.stdout.flush()\nos._exit(3)`,
    );
    expect(result.error?.name).toBe('SandboxCrashed');
    expect(result.figures).toEqual([]);
    expect(result.problems).toEqual([
      {
        stage: 'capture',
        index: 0,
        reason: 'figure 1 was saved in the sandbox, but the session ended before it could be read',
      },
    ]);
    const next = await box.executePython('print(1)');
    expect(next.sessionRestarted).toBe(true);
  });

  it('refuses an unknown transport when the sandbox is made', () => {
    expect(
      () =>
        new CodeSandbox({
          backend: localBackend(),
          capture: { transport: 'socket' as 'files' },
        }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe("capture.transport 'files' on the AgentCore emulator", () => {
  let emulator: AgentCoreEmulator;

  beforeAll(async () => {
    emulator = await startAgentCoreEmulator();
  });

  afterAll(async () => {
    await emulator?.close();
  });

  it('fetches the figures with readFiles, removes them with removeFiles, and keeps stdout small', async () => {
    const backend = observed(emulatorBackend(emulator));
    const box = sandbox(backend);
    const result = await box.executePython(
      `${NOISY_FIGURE}plt.figure(figsize=(2, 2))\nplt.plot([1, 3])\nplt.suptitle("line")\nprint("done")`,
    );
    expect(result.problems).toEqual([]);
    expect(result.stdout).toBe('done\n');
    expect(
      result.figures.map(({ index, title, width, height }) => [index, title, width, height]),
    ).toEqual([
      [0, 'noise', 400, 300],
      [1, 'line', 200, 200],
    ]);
    for (const figure of result.figures) {
      expect(pngSize(figure.data ?? new Uint8Array())).toEqual({
        width: figure.width,
        height: figure.height,
      });
    }
    expect(result.figures[0]?.byteLength).toBeGreaterThan(20_000);
    const raw = backend.runs[0] ?? '';
    expect(raw).not.toContain('iVBORw0KGgo');
    expect(Buffer.byteLength(raw)).toBeLessThan(2048);
    expect(backend.reads).toHaveLength(2);
    expect(backend.removals).toEqual([
      expect.stringMatching(/^\.sandplot\/figures\/[0-9a-f]{32}$/),
    ]);
    expect((await box.executePython(LEFTOVERS)).stdout).toBe('[]\n');
  });
});
