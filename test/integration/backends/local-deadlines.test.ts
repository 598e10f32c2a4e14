import { describe, expect, test } from 'vitest';
import { localBackend } from '../../../src/backends/local.js';
import type { BackendSession } from '../../../src/backends/types.js';
import { SandplotError } from '../../../src/errors/index.js';
import { runCell } from '../../support/local-run.js';
import { replaceServerHandler } from '../../support/server-attack.js';

// Every request to the session server has a deadline: code in the session that replaces the
// server's handlers gets the session killed, and the call ends with a clear error.

const FILE_TIMEOUT_MS = 1000;

async function attackedSession(op: string, replacement: 'hang' | 'silent-run') {
  const session = await localBackend({ fileTimeoutMs: FILE_TIMEOUT_MS }).createSession();
  const attack = await runCell(session, replaceServerHandler(op, replacement));
  expect(attack.stdout).toBe('replaced\n');
  return session;
}

async function rejection(promise: Promise<unknown>): Promise<SandplotError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(SandplotError.isInstance(error), `expected a SandplotError, got ${String(error)}`).toBe(
    true,
  );
  return error as SandplotError;
}

describe('localBackend request deadlines', () => {
  test.each([
    ['read', (session: BackendSession) => session.readFile('any.txt')],
    ['write', (session: BackendSession) => session.writeFiles([{ path: 'a.txt', content: 'a' }])],
    ['remove', (session: BackendSession) => session.removeFiles?.(['a.txt']) ?? Promise.resolve()],
  ] as const)(
    'a %s request the server never answers kills the session after fileTimeoutMs; the call rejects, retryable',
    async (op, call) => {
      const session = await attackedSession(op, 'hang');
      try {
        const started = performance.now();
        const error = await rejection(call(session));
        const elapsedMs = performance.now() - started;
        expect(error.name).toBe('BackendError');
        expect(error.code).toBe('BACKEND_FAILED');
        expect(error.isRetryable).toBe(true);
        expect(error.message).toContain(`did not answer a ${op} request`);
        expect(error.message).toContain('fileTimeoutMs');
        expect(elapsedMs).toBeGreaterThanOrEqual(FILE_TIMEOUT_MS - 50);
        // The kill, then at most a second for the pipes to close.
        expect(elapsedMs).toBeLessThan(FILE_TIMEOUT_MS + 5000);
        expect(session.isAlive).toBe(false);
      } finally {
        await session.close();
      }
    },
  );

  test('a large write and read get time for their bytes on top of fileTimeoutMs', async () => {
    const fileTimeoutMs = 5000;
    const session = await localBackend({ fileTimeoutMs }).createSession();
    try {
      // 48 MiB, 64 MiB as base64: 16 s on top of fileTimeoutMs each way. On a loaded machine the
      // write alone takes longer than fileTimeoutMs (8 s measured with 5 runnable processes per
      // core); the read's reply starts at once and its pieces keep extending the deadline.
      const content = new Uint8Array(48 * 1024 * 1024).fill(7);
      await session.writeFiles([{ path: 'large.bin', content }]);
      const back = await session.readFile('large.bin');
      expect(back.length).toBe(content.length);
      expect(session.isAlive).toBe(true);
    } finally {
      await session.close();
    }
  });

  test('a server that answers a run without its end tokens is killed: the run reports crashed', async () => {
    const session = await attackedSession('run', 'silent-run');
    try {
      const started = performance.now();
      const result = await runCell(session, 'print("still runs")');
      const elapsedMs = performance.now() - started;
      expect(result.stdout).toBe('still runs\n');
      expect(result.crashed?.reason).toContain('did not end its output within 2000 ms');
      expect(elapsedMs).toBeLessThan(2000 + 5000);
      expect(session.isAlive).toBe(false);
    } finally {
      await session.close();
    }
  });

  test('a run handler that hangs and ignores SIGINT is killed at timeoutMs + interruptGraceMs', async () => {
    const session = await localBackend({ interruptGraceMs: 500 }).createSession();
    try {
      await runCell(session, replaceServerHandler('run', 'hang'));
      const started = performance.now();
      const result = await runCell(session, 'print(1)', { timeoutMs: 500 });
      const elapsedMs = performance.now() - started;
      expect(result.interrupted).toBe('timeout');
      expect(result.crashed?.reason).toContain('interruptGraceMs');
      expect(elapsedMs).toBeLessThan(500 + 500 + 5000);
      expect(session.isAlive).toBe(false);
    } finally {
      await session.close();
    }
  });
});
