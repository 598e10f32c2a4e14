import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentCoreRunResult,
  type AgentCoreSession,
  agentCoreBackend,
} from '../../../src/agentcore.js';
import type { BackendRunOptions } from '../../../src/backends/types.js';
import { salesAnalysisCode, salesSeries } from '../../../src/cli/sales-analysis.js';
import { CodeSandbox } from '../../../src/sandbox/code-sandbox.js';
import {
  type AgentCoreEmulator,
  EMULATOR_CREDENTIALS,
  startAgentCoreEmulator,
} from '../../../src/testing.js';
import { emulatorBackend } from '../../support/agentcore-clients.js';
import { isSalesFigureSize, pngSize, tinyPng } from '../../support/png.js';
import { sandplotRejection as caught } from '../../support/rejection.js';

const execFileAsync = promisify(execFile);
let emulator: AgentCoreEmulator;

beforeAll(async () => {
  emulator = await startAgentCoreEmulator({ verifySignatures: true });
});

afterAll(async () => {
  await emulator?.close();
});

/** Collects what a raw runCode delivers through its callbacks. */
function runOptions(extra: Partial<BackendRunOptions> = {}) {
  const output = { stdout: '', stderr: '' };
  const options: BackendRunOptions = {
    timeoutMs: 30_000,
    onStdout: (text) => {
      output.stdout += text;
    },
    onStderr: (text) => {
      output.stderr += text;
    },
    ...extra,
  };
  return { output, options };
}

describe('agentCoreBackend through CodeSandbox', () => {
  it('runs the sales analysis and returns its figures and output', async () => {
    await using sandbox = new CodeSandbox({ backend: emulatorBackend(emulator) });
    await sandbox.writeFiles([{ path: 'sales.json', content: JSON.stringify(salesSeries) }]);
    const result = await sandbox.executePython(salesAnalysisCode);
    expect(result.isError).toBe(false);
    expect(result.stdout).toContain('Product A: 100.0%');
    expect(result.stdout).not.toContain('@@');
    expect(result.figures).toHaveLength(2);
    const first = result.figures[0];
    expect(first?.mediaType).toBe('image/png');
    expect(isSalesFigureSize(pngSize(first?.data as Uint8Array))).toBe(true);
    expect(sandbox.backendName).toBe('agentcore');

    const state = await sandbox.executePython('print(len(sales.columns))');
    expect(state.stdout).toBe('3\n');
    const failure = await sandbox.executePython('1 / 0');
    expect(failure.isError).toBe(true);
    expect(failure.error?.name).toBe('ZeroDivisionError');
  });

  it('starts exactly one session for 20 concurrent first calls and stops it on close', async () => {
    const before = { started: emulator.stats.started, stopped: emulator.stats.stopped };
    const sandbox = new CodeSandbox({ backend: emulatorBackend(emulator) });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        index % 4 === 0
          ? sandbox.writeFiles([{ path: `f${index}.txt`, content: String(index) }])
          : sandbox.executePython(`print(${index})`),
      ),
    );
    expect(results.filter((result) => result !== undefined)).toHaveLength(15);
    expect(emulator.stats.started).toBe(before.started + 1);
    expect(emulator.stats.active).toBe(1);
    await sandbox.close();
    await sandbox.close();
    expect(emulator.stats.stopped).toBe(before.stopped + 1);
    expect(emulator.stats.active).toBe(0);
  });

  it('round-trips text and PNG bytes through writeFiles and readFile', async () => {
    await using sandbox = new CodeSandbox({ backend: emulatorBackend(emulator) });
    await sandbox.writeFiles([
      { path: 'in/plot.png', content: tinyPng },
      { path: 'in/readme.txt', content: 'naïve café\n' },
    ]);
    expect(Buffer.from(await sandbox.readFile('in/plot.png')).equals(Buffer.from(tinyPng))).toBe(
      true,
    );
    expect(new TextDecoder().decode(await sandbox.readFile('in/readme.txt'))).toBe('naïve café\n');
    const written = await sandbox.executePython('open("out.bin", "wb").write(bytes(range(256)))');
    expect(written.isError).toBe(false);
    expect([...(await sandbox.readFile('out.bin'))]).toEqual([...Array(256).keys()]);
    const missing = await caught(sandbox.readFile('missing.csv'));
    expect(missing.code).toBe('FILE_NOT_FOUND');
    const absolute = await caught(sandbox.writeFiles([{ path: '/etc/x', content: 'x' }]));
    expect(absolute.code).toBe('INVALID_INPUT');
  });

  it('reports a timeout as data and continues in a new session', async () => {
    await using sandbox = new CodeSandbox({ backend: emulatorBackend(emulator) });
    await sandbox.executePython('x = 1');
    const stopped = emulator.stats.stopped;
    emulator.faults.delayFirstFrame(1_000);
    const timedOut = await sandbox.executePython('print(2)', { timeoutMs: 200 });
    expect(timedOut.isError).toBe(true);
    expect(timedOut.error?.name).toBe('TimeoutError');
    const next = await sandbox.executePython('print(globals().get("x"))');
    expect(next.sessionRestarted).toBe(true);
    expect(next.stdout).toBe('None\n');
    // The session the timeout left in an unknown state was stopped, not leaked.
    expect(emulator.stats.stopped).toBe(stopped + 1);
  });

  it('rejects with AbortError when the abortSignal fires', async () => {
    await using sandbox = new CodeSandbox({ backend: emulatorBackend(emulator) });
    await sandbox.executePython('pass');
    emulator.faults.delayFirstFrame(1_000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await caught(
      sandbox.executePython('print(1)', { abortSignal: controller.signal }),
    );
    expect(error.code).toBe('ABORTED');
  });
});

describe('agentCoreBackend sessions', () => {
  async function session(options: Parameters<typeof emulatorBackend>[1] = {}) {
    return (await emulatorBackend(emulator, options).createSession()) as AgentCoreSession;
  }

  it('replaces an expired session, retries the call once and says so', async () => {
    const backend = await session();
    try {
      const { options } = runOptions();
      await backend.runCode('x = 5', options);
      const firstId = backend.id;
      emulator.faults.expireSession(firstId);
      const { output, options: again } = runOptions();
      const result: AgentCoreRunResult = await backend.runCode('print(globals().get("x"))', again);
      expect(result.sessionRestarted).toBe(true);
      expect(output.stdout).toBe('None\n');
      expect(backend.id).not.toBe(firstId);
      expect(backend.isAlive).toBe(true);
      // A lost session reported inside the stream is recovered the same way.
      emulator.faults.streamException('resourceNotFoundException');
      const inStream = await backend.runCode('print(1)', runOptions().options);
      expect(inStream.sessionRestarted).toBe(true);
      const after = await backend.runCode('print(1)', runOptions().options);
      expect(after.sessionRestarted).toBeUndefined();
    } finally {
      await backend.close();
    }
  });

  it('says so when the interpreter died and the service replaced it inside the same session', async () => {
    const backend = await session();
    try {
      const first = runOptions();
      const started = await backend.runCode('x = 5\nprint("first")', first.options);
      // The first interpreter of a session is new, not a replacement; the host's mark never shows.
      expect(started.sessionRestarted).toBeUndefined();
      expect(first.output.stdout).toBe('first\n');
      const sessionId = backend.id;
      const crashed = await backend.runCode('import os\nos._exit(3)', runOptions().options);
      expect(crashed.exitCode).not.toBe(0);
      const { output, options } = runOptions();
      const next = await backend.runCode('print(globals().get("x"))', options);
      expect(backend.id).toBe(sessionId);
      expect(output.stdout).toBe('None\n');
      expect(next.sessionRestarted).toBe(true);
      const after = runOptions();
      const settled = await backend.runCode('print("again")', after.options);
      expect(settled.sessionRestarted).toBeUndefined();
      expect(after.output.stdout).toBe('again\n');
    } finally {
      await backend.close();
    }
  });

  it('retries throttling and server errors, in HTTP answers and in the stream', async () => {
    const backend = await session({ maxRetries: 2 });
    try {
      emulator.faults.throttle(2);
      const { output, options } = runOptions();
      await backend.runCode('print("after throttling")', options);
      expect(output.stdout).toBe('after throttling\n');

      emulator.faults.streamException('throttlingException');
      emulator.faults.serverError(1);
      const { output: second, options: secondOptions } = runOptions();
      await backend.runCode('print("ok")', secondOptions);
      expect(second.stdout).toBe('ok\n');

      emulator.faults.throttle(3);
      const exhausted = await caught(backend.runCode('print(1)', runOptions().options));
      expect(exhausted.code).toBe('BACKEND_FAILED');
      expect(exhausted.isRetryable).toBe(true);
      expect(exhausted.message).toContain('ThrottlingException');
    } finally {
      emulator.faults.reset();
      await backend.close();
    }
  });

  it('retries a start and a stop whose answer was lost, without leaking a session', async () => {
    const before = { started: emulator.stats.started, stopped: emulator.stats.stopped };
    const active = emulator.stats.active;
    emulator.faults.dropAnswer('StartCodeInterpreterSession');
    const backend = await session();
    try {
      await backend.runCode('print(1)', runOptions().options);
      // The retry carried the same clientToken: the service started one session, not two.
      expect(emulator.stats.started - before.started).toBe(1);
      expect(emulator.stats.active).toBe(active + 1);
      emulator.faults.dropAnswer('StopCodeInterpreterSession');
    } finally {
      await backend.close();
      emulator.faults.reset();
    }
    // The first stop acted and its answer was lost; the retry found the session stopped.
    expect(emulator.stats.stopped - before.stopped).toBe(1);
    expect(emulator.stats.active).toBe(active);
  });

  it('never turns a stream that failed after its result into a success', async () => {
    const backend = await session();
    try {
      const invocations = emulator.stats.invocations;
      emulator.faults.streamException('internalServerException', { afterResult: true });
      const { output, options } = runOptions();
      const error = await caught(backend.runCode('print("ran once")', options));
      expect(error.code).toBe('BACKEND_FAILED');
      expect(error.isRetryable).toBe(true);
      expect(output.stdout).toBe('');
      // The code ran: it is not run a second time behind the caller's back.
      expect(emulator.stats.invocations).toBe(invocations + 1);

      // A cut stream leaves open whether the code ran: its start record says it did.
      emulator.faults.cutStream();
      const cutOutput = runOptions();
      const cut = await backend.runCode('print(1)', cutOutput.options);
      expect(cut.exitCode).toBeNull();
      expect(cut.outputLost?.reason).toContain('it ran, and its output is lost');
      expect(cut.crashed).toBeUndefined();
      expect(cutOutput.output.stdout).toBe('');
    } finally {
      await backend.close();
    }
  });

  it('reads every result event of a stream', async () => {
    const backend = await session();
    try {
      emulator.faults.splitResult(4);
      const { output, options } = runOptions();
      const result = await backend.runCode('print("x" * 40)', options);
      expect(output.stdout).toBe(`${'x'.repeat(40)}\n`);
      expect(result.exitCode).toBe(0);
    } finally {
      await backend.close();
    }
  });

  it('runs shell commands and clears the context but keeps files', async () => {
    const backend = await session();
    try {
      await backend.writeFiles([{ path: 'kept.txt', content: 'k' }]);
      await backend.runCode('y = 2', runOptions().options);
      const command = await backend.executeCommand('cat kept.txt; echo oops >&2; exit 4');
      expect(command).toEqual({ stdout: 'k', stderr: 'oops\n', exitCode: 4 });
      await backend.writeFiles([
        { path: 'dir/a.txt', content: 'A' },
        { path: 'dir/b.bin', content: tinyPng },
      ]);
      const entries = await backend.listFiles('dir');
      expect(entries).toEqual([
        { path: 'dir/a.txt', name: 'a.txt', isDirectory: false, sizeBytes: 1 },
        { path: 'dir/b.bin', name: 'b.bin', isDirectory: false, sizeBytes: tinyPng.length },
      ]);
      const files = await backend.readFiles(['dir/b.bin', 'dir/a.txt']);
      expect(files.map((file) => file.path)).toEqual(['dir/b.bin', 'dir/a.txt']);
      expect(files[0]?.data).toEqual(tinyPng);
      await backend.removeFiles(['dir/a.txt']);
      expect((await backend.listFiles('dir')).map((entry) => entry.name)).toEqual(['b.bin']);
      await backend.clearContext();
      const { output, options } = runOptions();
      await backend.runCode(
        'import os; print(globals().get("y"), os.path.exists("kept.txt"))',
        options,
      );
      expect(output.stdout).toBe('None True\n');
    } finally {
      await backend.close();
    }
    expect(backend.isAlive).toBe(false);
    const closed = await caught(backend.runCode('1', runOptions().options));
    expect(closed.code).toBe('SESSION_CLOSED');
  });

  it('fails clearly on a wrong secret and an unknown code interpreter', async () => {
    const active = emulator.stats.active;
    const forged = await caught(session({ secretAccessKey: 'wrong' }));
    expect(forged.code).toBe('SESSION_FAILED');
    expect(forged.isRetryable).toBe(false);
    expect(forged.message).toContain('InvalidSignatureException');
    const starts = emulator.stats.started;
    const unknown = await caught(session({ identifier: 'my-interpreter-123' }));
    // A configuration error, at once: not retried, and naming the identifier.
    expect(unknown.name).toBe('ConfigError');
    expect(unknown.code).toBe('CONFIG_INVALID');
    expect(unknown.isRetryable).toBe(false);
    expect(unknown.message).toContain('"my-interpreter-123"');
    expect(emulator.stats.started).toBe(starts);
    expect(emulator.stats.active).toBe(active);
  });
});

describe('agentCoreBackend at process exit', () => {
  it('stops a session left open when the process runs out of work', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'sandplot-agentcore-exit-'));
    const script = join(folder, 'leave-open.mts');
    const source = fileURLToPath(new URL('../../../src/agentcore.ts', import.meta.url));
    await writeFile(
      script,
      `import { agentCoreBackend } from ${JSON.stringify(source)};
const backend = agentCoreBackend({ clientConfig: ${JSON.stringify({
        region: 'us-west-2',
        endpoint: emulator.endpoint,
        credentials: EMULATOR_CREDENTIALS,
      })} });
const session = await backend.createSession();
process.stdout.write(session.id);
`,
    );
    const stopped = emulator.stats.stopped;
    try {
      const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', script], {
        cwd: fileURLToPath(new URL('../../..', import.meta.url)),
        timeout: 30_000,
      });
      expect(stdout).toMatch(/^[0-9A-Z]{26}$/);
      expect(emulator.stats.stopped).toBe(stopped + 1);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('agentCoreBackend options', () => {
  it('names the option that is wrong', () => {
    expect(() => agentCoreBackend({ sessionTimeoutSeconds: 28_801 })).toThrow(
      /sessionTimeoutSeconds/,
    );
    expect(() => agentCoreBackend({ sessionTimeoutSeconds: 0 })).toThrow(/sessionTimeoutSeconds/);
    expect(() => agentCoreBackend({ maxRetries: -1 })).toThrow(/maxRetries/);
    // @ts-expect-error an unknown option
    expect(() => agentCoreBackend({ sesionTimeoutSeconds: 5 })).toThrow(/sesionTimeoutSeconds/);
    expect(agentCoreBackend().name).toBe('agentcore');
  });
});
