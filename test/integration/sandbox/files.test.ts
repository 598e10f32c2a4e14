import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localBackend } from '../../../src/backends/local.js';
import { CodeSandbox } from '../../../src/sandbox/code-sandbox.js';
import { base64Sink } from '../../../src/sinks/base64.js';
import { fallbackSink } from '../../../src/sinks/fallback.js';
import { localDirSink } from '../../../src/sinks/local-dir.js';
import type { ImageSink } from '../../../src/sinks/types.js';
import { type AgentCoreEmulator, startAgentCoreEmulator } from '../../../src/testing.js';
import { createExecutePythonTool } from '../../../src/tool/execute-python.js';
import { renderFileLinks } from '../../../src/tool/file-links.js';
import type { StoredFile } from '../../../src/types/index.js';
import { emulatorBackend } from '../../support/agentcore-clients.js';

const INPUT_CSV = 'region,units\nnorth,120\nsouth,95\neast,130\n';

/** Reads the stored bytes back from where the sink put them. */
async function storedBytes(file: StoredFile): Promise<Buffer> {
  if (file.data) return Buffer.from(file.data);
  if (file.localPath) return readFile(file.localPath);
  const match = /^data:[^;,]*;base64,(.*)$/s.exec(file.url);
  if (match) return Buffer.from(match[1] ?? '', 'base64');
  return Buffer.from(await (await fetch(file.url)).arrayBuffer());
}

// What the cell writes: a CSV, an Excel workbook and a text file in a subfolder.
const ANALYSIS = `import os
import pandas as pd
sales = pd.read_csv("sales.csv")
sales["share"] = sales.units / sales.units.sum()
os.makedirs("out/notes", exist_ok=True)
sales.to_csv("out/clean.csv", index=False)
sales.to_excel("out/sales.xlsx", index=False)
with open("out/notes/summary.txt", "w") as f:
    for row in sales.itertuples():
        f.write(f"{row.region}: {row.units}\\n")
print("written")
`;

let emulator: AgentCoreEmulator;
beforeAll(async () => {
  emulator = await startAgentCoreEmulator();
});
afterAll(async () => {
  await emulator?.close();
});

const backends = [
  { name: 'local backend', backend: () => localBackend() },
  { name: 'AgentCore emulator', backend: () => emulatorBackend(emulator) },
];

describe.each(backends)('files in and out on the $name', ({ backend }) => {
  it('returns exactly the files the code wrote, byte for byte, and not the unchanged input', async () => {
    await using sandbox = new CodeSandbox({ backend: backend(), imageSink: base64Sink() });
    await sandbox.writeFiles([{ path: 'sales.csv', content: INPUT_CSV }]);
    const result = await sandbox.executePython(ANALYSIS);
    expect(result.isError).toBe(false);
    expect(result.problems).toEqual([]);
    expect(result.files.map((file) => file.path)).toEqual([
      'out/clean.csv',
      'out/notes/summary.txt',
      'out/sales.xlsx',
    ]);
    expect(result.files.map((file) => file.mediaType)).toEqual([
      'text/csv',
      'text/plain',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ]);
    for (const file of result.files) {
      const inSandbox = Buffer.from(await sandbox.readFile(file.path));
      expect(await storedBytes(file)).toEqual(inSandbox);
      expect(file.byteLength).toBe(inSandbox.byteLength);
    }
    const summary = result.files.find((file) => file.path === 'out/notes/summary.txt');
    expect((await storedBytes(summary as StoredFile)).toString()).toBe(
      'north: 120\nsouth: 95\neast: 130\n',
    );
  });

  it('lists a changed input, and a file written in many parts once, at its final content', async () => {
    await using sandbox = new CodeSandbox({ backend: backend() });
    await sandbox.writeFiles([{ path: 'sales.csv', content: INPUT_CSV }]);
    const unchanged = await sandbox.executePython(
      'import pandas as pd\nprint(len(pd.read_csv("sales.csv")))',
    );
    expect(unchanged.files).toEqual([]);
    const changed = await sandbox.executePython(
      'with open("sales.csv", "a") as f:\n    f.write("west,80\\n")\nwith open("log.txt", "w") as f:\n    for i in range(50):\n        f.write(f"step {i}\\n")\n        f.flush()',
    );
    expect(changed.files.map((file) => file.path)).toEqual(['log.txt', 'sales.csv']);
    const log = changed.files[0] as StoredFile;
    expect((await storedBytes(log)).toString().split('\n')).toHaveLength(51);
    expect((await storedBytes(changed.files[1] as StoredFile)).toString()).toBe(
      `${INPUT_CSV}west,80\n`,
    );
  });

  it('stores 20 of 60 files and lists the rest as problems with their paths', async () => {
    await using sandbox = new CodeSandbox({ backend: backend() });
    const result = await sandbox.executePython(
      'for i in range(60):\n    open(f"part-{i:02d}.txt", "w").write(str(i))',
    );
    expect(result.files).toHaveLength(20);
    expect(result.files[0]?.path).toBe('part-00.txt');
    const named = result.problems.filter((problem) => problem.path !== undefined);
    expect(named).toHaveLength(20);
    expect(named[0]?.reason).toMatch(/part-20\.txt.*over maxFiles \(20\)/);
    expect(
      result.problems.some((problem) => /20 more files .* over maxFiles/.test(problem.reason)),
    ).toBe(true);
  });

  it('lists a file over maxFileBytes as a problem and keeps the others', async () => {
    await using sandbox = new CodeSandbox({ backend: backend() });
    const result = await sandbox.executePython(
      'open("big.bin", "wb").write(b"x" * (30 * 1024 * 1024))\nopen("small.txt", "w").write("ok")',
    );
    expect(result.files.map((file) => file.path)).toEqual(['small.txt']);
    expect(result.problems).toEqual([
      expect.objectContaining({
        path: 'big.bin',
        reason: expect.stringMatching(/30 MB, over maxFileBytes \(25 MB\)/),
      }),
    ]);
  });

  it('writes the input files again into a session that replaces a crashed one', async () => {
    await using sandbox = new CodeSandbox({ backend: backend() });
    await sandbox.writeFiles([{ path: 'sales.csv', content: INPUT_CSV }]);
    expect(sandbox.inputFiles).toEqual([{ path: 'sales.csv', byteLength: INPUT_CSV.length }]);
    await sandbox.executePython('x = 1');
    const crashed = await sandbox.executePython('import os\nos._exit(3)');
    expect(crashed.isError).toBe(true);
    // The call after the crash learns of the new session (on AgentCore only once it ran in it).
    const restarted = await sandbox.executePython('y = 2');
    expect(restarted).toMatchObject({ sessionRestarted: true, inputFilesRestored: true });
    const after = await sandbox.executePython(
      'import pandas as pd\nprint(pd.read_csv("sales.csv").units.sum())',
    );
    expect(after).toMatchObject({ isError: false, stdout: '345\n', files: [] });
  });

  it('tells the model which input files it has, and lists written files with their sizes', async () => {
    await using sandbox = new CodeSandbox({ backend: backend() });
    await sandbox.writeFiles([{ path: 'sales.csv', content: INPUT_CSV }]);
    const tool = createExecutePythonTool(sandbox);
    expect(tool.description).toContain('input files: "sales.csv" (41 bytes)');
    const output = await tool.invoke({ code: ANALYSIS });
    expect(output.text).toContain('Files written');
    expect(output.text).toMatch(/- "out\/clean\.csv", \d+ bytes, text\/csv/);
    // data: URLs never reach the model; the ledger keeps the files for the final answer.
    expect(output.text).not.toContain('data:');
    expect(tool.ledger.files.map((file) => file.path)).toEqual([
      'out/clean.csv',
      'out/notes/summary.txt',
      'out/sales.xlsx',
    ]);
  });
});

describe('written files through each sink', () => {
  const sinks: [string, () => Promise<ImageSink>][] = [
    ['base64', async () => base64Sink()],
    [
      'local-dir',
      async () => localDirSink({ dir: await mkdtemp(join(tmpdir(), 'sandplot-files-')) }),
    ],
    [
      'fallback (a figures-only sink, then local-dir)',
      async () =>
        fallbackSink(
          { name: 'figures-only', put: () => Promise.reject(new Error('unused')) },
          localDirSink({ dir: await mkdtemp(join(tmpdir(), 'sandplot-files-')) }),
        ),
    ],
  ];
  let sandbox: CodeSandbox;

  it.each(sinks)('%s stores the bytes the code wrote', async (_name, make) => {
    sandbox = new CodeSandbox({ backend: localBackend(), imageSink: await make() });
    try {
      await sandbox.writeFiles([{ path: 'sales.csv', content: INPUT_CSV }]);
      const result = await sandbox.executePython(ANALYSIS);
      expect(result.problems).toEqual([]);
      expect(result.files).toHaveLength(3);
      for (const file of result.files) {
        expect(await storedBytes(file)).toEqual(Buffer.from(await sandbox.readFile(file.path)));
      }
    } finally {
      await sandbox.close();
    }
  });

  it('a sink that stores figures only gives each file back as a problem, not silently', async () => {
    await using box = new CodeSandbox({
      backend: localBackend(),
      imageSink: { name: 'figures-only', put: base64Sink().put },
    });
    const result = await box.executePython('open("a.txt", "w").write("a")');
    expect(result.files).toEqual([]);
    expect(result.problems).toEqual([
      expect.objectContaining({
        stage: 'store',
        path: 'a.txt',
        sink: 'figures-only',
        reason: expect.stringContaining('stores figures only'),
      }),
    ]);
  });

  it('keeps odd names from the code inside the execution folder of local-dir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandplot-files-'));
    await using box = new CodeSandbox({
      backend: localBackend(),
      imageSink: localDirSink({ dir }),
    });
    const result = await box.executePython(
      [
        'import os',
        'os.makedirs("%2e%2e", exist_ok=True)',
        'open("%2e%2e/escape.txt", "w").write("1")',
        'open("back\\\\slash.txt", "w").write("2")',
        'open("spa ce&[x](y).csv", "w").write("3")',
        'open("é" * 100 + ".txt", "w").write("4")',
      ].join('\n'),
    );
    expect(result.problems).toEqual([]);
    expect(result.files).toHaveLength(4);
    for (const file of result.files) {
      expect(file.localPath?.startsWith(join(dir, result.executionId) + sep)).toBe(true);
      expect(await storedBytes(file)).toEqual(Buffer.from(await box.readFile(file.path)));
    }
    // Everything landed in the execution's folder and nowhere else.
    expect(await readdir(dir)).toEqual([result.executionId]);
    // The final answer's links escape the names: no live Markdown from a file name.
    const links = renderFileLinks(result.files);
    expect(links).not.toMatch(/\[x\]\(y\)/);
  });
});
