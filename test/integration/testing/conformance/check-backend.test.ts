import { describe, expect, it } from 'vitest';
import { localBackend } from '../../../../src/backends/local.js';
import type {
  BackendRunOptions,
  BackendRunResult,
  BackendSession,
  SandboxBackend,
} from '../../../../src/backends/types.js';
import { ConfigError } from '../../../../src/errors/index.js';
import { plainPythonBackend } from '../../../../src/testing/agentcore-emulator/plain-python.js';
import { BACKEND_CHECKS, backendCheckNames, checkBackend } from '../../../../src/testing.js';

/** `inner` with its sessions' runCode replaced. */
function withRunCode(
  name: string,
  inner: SandboxBackend,
  runCode: (
    session: BackendSession,
    code: string,
    options: BackendRunOptions,
  ) => Promise<BackendRunResult>,
): SandboxBackend {
  return {
    name,
    async createSession() {
      const session = await inner.createSession();
      return {
        id: session.id,
        get isAlive() {
          return session.isAlive;
        },
        runCode: (code, options) => runCode(session, code, options),
        writeFiles: (files) => session.writeFiles(files),
        readFile: (path) => session.readFile(path),
        close: () => session.close(),
      };
    },
  };
}

/** Runs every cell in a fresh Python process: nothing survives from one call to the next. */
function forgetfulBackend(): SandboxBackend {
  const inner = plainPythonBackend();
  return withRunCode('forgetful', inner, async (_session, code, options) => {
    const fresh = await inner.createSession();
    try {
      return await fresh.runCode(code, options);
    } finally {
      await fresh.close();
    }
  });
}

/** The local backend with the abort signal dropped on the way to runCode. */
function abortIgnoringBackend(): SandboxBackend {
  return withRunCode('abort-ignoring', localBackend(), (session, code, options) => {
    const { abortSignal: _ignored, ...rest } = options;
    return session.runCode(code, rest);
  });
}

describe('checkBackend', () => {
  it('names the state check for a backend that loses variables between calls', async () => {
    const report = await checkBackend(forgetfulBackend(), { only: ['state', 'output'] });
    expect(report.ok).toBe(false);
    expect(report.checks).toEqual([
      {
        name: 'state',
        ok: false,
        detail: expect.stringMatching(/did not see the first call's variables: NameError/),
      },
      { name: 'output', ok: true },
    ]);
  });

  it('names the abort-running check for a backend that ignores aborts, and only that one', async () => {
    const report = await checkBackend(abortIgnoringBackend(), {
      only: ['abort-running', 'timeout'],
      interruptWithinMs: 2_000,
    });
    expect(report.checks).toEqual([
      {
        name: 'abort-running',
        ok: false,
        detail: expect.stringMatching(/^the run was still going \d+ ms after the abort$/),
      },
      { name: 'timeout', ok: true },
    ]);
  });

  it('reports a backend that cannot start sessions as failed checks, without rejecting', async () => {
    const broken: SandboxBackend = {
      name: 'broken',
      createSession: async () => {
        throw new Error('no sandbox here');
      },
    };
    const report = await checkBackend(broken);
    expect(report.ok).toBe(false);
    expect(report.checks).toEqual(
      backendCheckNames().map((name) => ({
        name,
        ok: false,
        detail: 'threw Error: no sandbox here',
      })),
    );
    expect(backendCheckNames()).toEqual(Object.keys(BACKEND_CHECKS));
  });

  it('rejects unknown options with a ConfigError naming them', async () => {
    await expect(checkBackend(forgetfulBackend(), { timeout: 1 } as never)).rejects.toThrow(
      ConfigError,
    );
  });
});
