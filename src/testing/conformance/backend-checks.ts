import { randomBytes } from 'node:crypto';
import type { SandboxBackend } from '../../backends/types.js';
import { SandplotError } from '../../errors/index.js';
import {
  allBytes,
  type BackendCheckSettings,
  ensureInterrupted,
  ensureSameBytes,
  ensureStateKept,
  run,
  sha256,
  sleepingCell,
} from './backend-assertions.js';
import type { BackendCheckName } from './check-backend.js';
import { describeError, settle, settleWithin } from './outcome.js';
import { type CheckScope, ensure } from './report.js';
import { runWrapped, startSession } from './wrapped-run.js';

/** `timeoutMs` of the run the `timeout` check expects to be interrupted. */
const SHORT_TIMEOUT_MS = 1_000;
/** How long the `abort-running` check waits for the cell to start before it aborts anyway. */
const ABORT_AFTER_MS = 1_500;
const FOLDER = 'sandplot-conformance';

type BackendCheck = (
  backend: SandboxBackend,
  options: BackendCheckSettings,
  scope: CheckScope,
) => Promise<void>;

/** The checks of `checkBackend`, by name (see `BACKEND_CHECKS` for what each verifies). */
export const backendChecks: Record<BackendCheckName, BackendCheck> = {
  async 'session-start'(backend, options, scope) {
    const [first, second] = await Promise.all([
      startSession(backend, scope),
      startSession(backend, scope),
    ]);
    for (const session of [first, second]) {
      ensure(
        typeof session.id === 'string' && session.id !== '',
        `a new session has the id ${JSON.stringify(session.id)}`,
      );
      ensure(session.isAlive === true, `the new session ${session.id} is not alive`);
    }
    ensure(first.id !== second.id, `two createSession calls gave the same id ${first.id}`);
    await run(first, 'conformance_secret = 1', options);
    const seen = await run(second, "print('conformance_secret' in globals())", options);
    ensure(
      seen.stdout === 'False\n',
      `a variable set in one session is visible in another (printed ${JSON.stringify(seen.stdout)})`,
    );
  },

  async state(backend, options, scope) {
    const session = await startSession(backend, scope);
    await run(
      session,
      'import json as conformance_json\nconformance_value = 41\n' +
        'def conformance_double(value):\n    return 2 * value\n',
      options,
    );
    const next = await run(
      session,
      'print(conformance_double(conformance_value - 20), conformance_json.dumps([1]))',
      options,
    );
    ensure(
      next.stdout === '42 [1]\n' && next.error === undefined,
      () =>
        "the second call did not see the first call's variables: " +
        (next.error
          ? `${next.error.name}: ${next.error.value}`
          : `printed ${JSON.stringify(next.stdout)}`),
    );
  },

  async output(backend, options, scope) {
    const session = await startSession(backend, scope);
    const text = 'Umsätze – 売上 📈';
    const long = 'x'.repeat(100_000);
    const printed = await run(
      session,
      `import sys\nprint('conformance-stdout')\nprint('conformance-stderr', file=sys.stderr)\n` +
        `print(${JSON.stringify(text)})\nprint('x' * ${long.length})\n`,
      options,
    );
    const expected = `conformance-stdout\n${text}\n${long}\n`;
    ensure(
      printed.stdout === expected,
      () =>
        `stdout (markers removed) is ${printed.stdout.length} characters, not the ${expected.length} printed; ` +
        `it starts ${JSON.stringify(printed.stdout.slice(0, 80))}`,
    );
    ensure(
      printed.stderr.includes('conformance-stderr'),
      `stderr ${JSON.stringify(printed.stderr.slice(0, 200))} lacks what the code printed to it`,
    );
    ensure(printed.result.exitCode === 0, `the exit code is ${printed.result.exitCode}, not 0`);
    ensure(printed.error === undefined, () => `the code raised ${printed.error?.name}`);
    const raised = await run(session, "raise ValueError('conformance error')", options);
    ensure(
      raised.error?.name === 'ValueError' && raised.error.value.includes('conformance error'),
      `the ValueError the code raised came back as ${JSON.stringify(raised.error)}`,
    );
    ensure(
      raised.result.crashed === undefined && session.isAlive,
      'an exception in the code ended the session',
    );
  },

  async figure(backend, options, scope) {
    const session = await startSession(backend, scope);
    const made = await run(
      session,
      'import matplotlib.pyplot as plt\nfigure, axes = plt.subplots(figsize=(2, 1))\n' +
        "axes.plot([1, 3, 2])\naxes.set_title('conformance figure')\n",
      options,
    );
    ensure(
      made.error === undefined,
      () => `the code raised ${made.error?.name}: ${made.error?.value}`,
    );
    ensure(made.figures.length === 1, `${made.figures.length} figures came back, not 1`);
    const [figure] = made.figures;
    ensure(
      figure?.mediaType === 'image/png' && figure.data[0] === 0x89 && figure.data[1] === 0x50,
      `the figure is ${figure?.mediaType} and does not start like a PNG`,
    );
    ensure(
      figure.title === 'conformance figure',
      `the figure's title came back as ${JSON.stringify(figure.title)}`,
    );
  },

  async files(backend, _options, scope) {
    const session = await startSession(backend, scope);
    const text = 'Umsätze – 売上 📈\r\nzweite Zeile\n';
    const files = [
      { path: `${FOLDER}/all-bytes.bin`, content: allBytes(1) },
      { path: `${FOLDER}/empty.bin`, content: new Uint8Array(0) },
      { path: `${FOLDER}/text.txt`, content: text },
      {
        path: `${FOLDER}/nested/deeper/large.bin`,
        content: new Uint8Array(randomBytes(256 * 1024)),
      },
    ];
    await session.writeFiles(files, { abortSignal: scope.signal });
    for (const file of files) {
      const expected =
        typeof file.content === 'string' ? new TextEncoder().encode(file.content) : file.content;
      const read = await session.readFile(file.path, { abortSignal: scope.signal });
      ensureSameBytes(read, expected, `${file.path} read back after writeFiles`);
    }
    const missing = await settle(
      session.readFile(`${FOLDER}/missing.bin`, { abortSignal: scope.signal }),
    );
    ensure(missing.status === 'rejected', 'readFile of a missing file resolved');
    ensure(
      SandplotError.isInstance(missing.reason) && missing.reason.code === 'FILE_NOT_FOUND',
      () =>
        `readFile of a missing file rejected with ${describeError(missing.reason)}, not FILE_NOT_FOUND`,
    );
  },

  async 'files-code'(backend, options, scope) {
    const session = await startSession(backend, scope);
    const sent = allBytes(4);
    await session.writeFiles([{ path: `${FOLDER}/from-host.bin`, content: sent }], {
      abortSignal: scope.signal,
    });
    const seen = await run(
      session,
      `import hashlib, os\nwith open('${FOLDER}/from-host.bin', 'rb') as file:\n    data = file.read()\n` +
        `print(len(data), hashlib.sha256(data).hexdigest())\n` +
        `os.makedirs('${FOLDER}/out', exist_ok=True)\n` +
        `with open('${FOLDER}/out/from-code.bin', 'wb') as file:\n    file.write(bytes(range(256)) * 4)\n` +
        `open('${FOLDER}/out/empty.bin', 'wb').close()\n`,
      options,
    );
    const digest = sha256(sent);
    ensure(
      seen.error === undefined,
      () => `the code raised ${seen.error?.name}: ${seen.error?.value}`,
    );
    ensure(
      seen.stdout === `${sent.byteLength} ${digest}\n`,
      `the code saw ${JSON.stringify(seen.stdout.trim())}, not the ${sent.byteLength} bytes written (sha256 ${digest})`,
    );
    const written = await session.readFile(`${FOLDER}/out/from-code.bin`, {
      abortSignal: scope.signal,
    });
    ensureSameBytes(written, allBytes(4), 'the file the code wrote');
    const empty = await session.readFile(`${FOLDER}/out/empty.bin`, { abortSignal: scope.signal });
    ensureSameBytes(empty, new Uint8Array(0), 'the empty file the code wrote');
  },

  async 'abort-running'(backend, options, scope) {
    const session = await startSession(backend, scope);
    await run(session, 'conformance_before = 1', options);
    const controller = new AbortController();
    let abortedAt = 0;
    const abort = () => {
      if (abortedAt !== 0) return;
      abortedAt = performance.now();
      controller.abort(new Error('aborted by checkBackend'));
    };
    const timer = setTimeout(abort, ABORT_AFTER_MS);
    let endedAt = 0;
    const running = runWrapped(session, sleepingCell(), {
      timeoutMs: options.timeoutMs,
      abortSignal: controller.signal,
      onStdout: (text) => {
        if (text.includes('conformance-sleeping')) abort();
      },
    }).finally(() => {
      endedAt = performance.now();
    });
    const outcome = await settleWithin(running, ABORT_AFTER_MS + options.interruptWithinMs);
    clearTimeout(timer);
    ensure(
      outcome.status !== 'pending',
      () =>
        `the run was still going ${Math.round(performance.now() - abortedAt)} ms after the abort`,
    );
    ensureInterrupted(outcome, 'abort', 'the aborted run');
    ensure(
      endedAt - abortedAt <= options.interruptWithinMs,
      `the run ended ${Math.round(endedAt - abortedAt)} ms after the abort, over ${options.interruptWithinMs} ms`,
    );
    await ensureStateKept(session, outcome, options, 'an abort');
  },

  async 'abort-before-run'(backend, options, scope) {
    const session = await startSession(backend, scope);
    const controller = new AbortController();
    controller.abort(new Error('aborted by checkBackend'));
    const outcome = await settleWithin(
      runWrapped(session, 'conformance_ran = True', {
        timeoutMs: options.timeoutMs,
        abortSignal: controller.signal,
      }),
      options.interruptWithinMs,
    );
    ensure(
      outcome.status !== 'pending',
      `the run was still going ${options.interruptWithinMs} ms after it was called with an aborted signal`,
    );
    ensureInterrupted(outcome, 'abort', 'a run with an already-aborted signal');
    if (!session.isAlive) return;
    const seen = await run(session, "print('conformance_ran' in globals())", options);
    ensure(seen.stdout === 'False\n', 'the code ran although its signal was already aborted');
  },

  async timeout(backend, options, scope) {
    const session = await startSession(backend, scope);
    await run(session, 'conformance_before = 1', options);
    const limitMs = SHORT_TIMEOUT_MS + options.interruptWithinMs;
    const outcome = await settleWithin(
      runWrapped(session, sleepingCell(), { timeoutMs: SHORT_TIMEOUT_MS }),
      limitMs,
    );
    ensure(
      outcome.status !== 'pending',
      `a run with timeoutMs ${SHORT_TIMEOUT_MS} was still going after ${limitMs} ms`,
    );
    ensure(
      outcome.status === 'fulfilled',
      () =>
        `the run rejected with ${describeError(outcome.status === 'rejected' ? outcome.reason : undefined)}; ` +
        "a timeout is data: interrupted: 'timeout'",
    );
    ensureInterrupted(outcome, 'timeout', `a run with timeoutMs ${SHORT_TIMEOUT_MS}`);
    await ensureStateKept(session, outcome, options, 'a timeout');
  },

  async 'lost-session'(backend, options, scope) {
    const session = await startSession(backend, scope);
    await run(session, 'conformance_before = 1', options);
    const exited = await runWrapped(session, 'import os\nos._exit(1)', {
      timeoutMs: options.timeoutMs,
    });
    if (exited.result.crashed === undefined && session.isAlive) {
      const next = await runWrapped(session, "print('conformance_before' in globals())", {
        timeoutMs: options.timeoutMs,
      });
      ensure(
        next.result.sessionRestarted === true ||
          next.result.crashed !== undefined ||
          next.stdout === 'True\n',
        'after os._exit(1) the variables were gone, yet the run said nothing: no crashed, ' +
          'isAlive stayed true and the next run had no sessionRestarted',
      );
    }
    const replacement = await startSession(backend, scope);
    const works = await run(replacement, "print('conformance-alive')", options);
    ensure(
      works.stdout === 'conformance-alive\n',
      'a new session after the lost one does not run code',
    );
  },

  async close(backend, options, scope) {
    const session = await startSession(backend, scope);
    await run(session, "print('conformance-alive')", options);
    await session.close();
    ensure(session.isAlive === false, 'isAlive is still true after close()');
    await session.close();
    const after = await settle(
      runWrapped(session, "print('conformance-ran')", { timeoutMs: options.timeoutMs }),
    );
    if (after.status === 'rejected') {
      ensure(
        SandplotError.isInstance(after.reason),
        () =>
          `runCode after close rejected with ${describeError(after.reason)}, not a SandplotError`,
      );
      return;
    }
    ensure(
      after.value.result.crashed !== undefined && !after.value.stdout.includes('conformance-ran'),
      'runCode after close() ran the code',
    );
  },
};
