import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { localBackend } from '../../../src/backends/local.js';
import { SandplotError } from '../../../src/errors/index.js';

async function failure(run: () => Promise<unknown> | unknown): Promise<SandplotError> {
  try {
    await run();
  } catch (error) {
    expect(SandplotError.isInstance(error), `expected a SandplotError, got ${String(error)}`).toBe(
      true,
    );
    return error as SandplotError;
  }
  throw new Error('expected a failure');
}

/** A python3 that starts fine but sees no site-packages, so it cannot import matplotlib. */
async function pythonWithoutMatplotlib(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sandplot-test-python-'));
  const path = join(dir, 'python3');
  await writeFile(path, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n');
  await chmod(path, 0o755);
  return path;
}

describe('localBackend options', () => {
  const savedPython = process.env.SANDPLOT_PYTHON;
  let pythonWithoutMatplotlibPath = '';
  beforeAll(async () => {
    pythonWithoutMatplotlibPath = await pythonWithoutMatplotlib();
  });
  afterAll(async () => {
    await rm(join(pythonWithoutMatplotlibPath, '..'), { recursive: true, force: true });
  });
  afterEach(() => {
    if (savedPython === undefined) delete process.env.SANDPLOT_PYTHON;
    else process.env.SANDPLOT_PYTHON = savedPython;
  });

  test('rejects invalid options with a ConfigError that names the option', async () => {
    const cases: [object, string][] = [
      [{ memoryLimitBytes: -1 }, 'memoryLimitBytes'],
      [{ isolation: 'docker' }, 'isolation'],
      [{ timeoutMs: 5 }, 'timeoutMs'],
      [{ cpuTimeLimitSeconds: 1.5 }, 'cpuTimeLimitSeconds'],
      [{ bwrapPath: '' }, 'bwrapPath'],
    ];
    for (const [options, name] of cases) {
      const error = await failure(() => localBackend(options as never));
      expect(error.name).toBe('ConfigError');
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain(name);
    }
  });

  test.each(['bwrap', 'auto'] as const)(
    'isolation %s with a bwrap that does not exist fails with a clear ConfigError',
    async (isolation) => {
      const backend = localBackend({ isolation, bwrapPath: '/nonexistent/bwrap' });
      const error = await failure(() => backend.createSession());
      expect(error.name).toBe('ConfigError');
      expect(error.code).toBe('BACKEND_UNAVAILABLE');
      expect(error.message).toContain('apt-get install bubblewrap');
      expect(error.message).toContain('isolation: "none"');
    },
  );

  test('a pythonPath without matplotlib fails with a ConfigError that says how to install it', async () => {
    const error = await failure(() =>
      localBackend({ pythonPath: pythonWithoutMatplotlibPath }).createSession(),
    );
    expect(error.code).toBe('BACKEND_UNAVAILABLE');
    expect(error.message).toContain(pythonWithoutMatplotlibPath);
    expect(error.message).toContain('pythonPath');
    expect(error.message).toContain(
      'apt-get install python3-matplotlib python3-numpy python3-pandas',
    );
    expect(error.message).toContain('matplotlib');

    const missing = await failure(() =>
      localBackend({ pythonPath: '/nonexistent/python3' }).createSession(),
    );
    expect(missing.code).toBe('BACKEND_UNAVAILABLE');
  });

  test('SANDPLOT_PYTHON is used when pythonPath is not set', async () => {
    process.env.SANDPLOT_PYTHON = pythonWithoutMatplotlibPath;
    const error = await failure(() => localBackend().createSession());
    expect(error.code).toBe('BACKEND_UNAVAILABLE');
    expect(error.message).toContain('SANDPLOT_PYTHON');
  });

  test("isolation 'none' warns once per process", async () => {
    const warnings: Error[] = [];
    const listener = (warning: Error) => warnings.push(warning);
    process.on('warning', listener);
    try {
      localBackend({ isolation: 'none' });
      localBackend({ isolation: 'none' });
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('warning', listener);
    }
    expect(warnings.map((warning) => (warning as Error & { code?: string }).code)).toEqual([
      'SANDPLOT_UNSANDBOXED',
    ]);
  });

  test('createSession honours an aborted signal', async () => {
    const error = await failure(() =>
      localBackend().createSession({ abortSignal: AbortSignal.abort() }),
    );
    expect(error.code).toBe('ABORTED');
    const controller = new AbortController();
    const pending = localBackend().createSession({ abortSignal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect((await failure(() => pending)).code).toBe('ABORTED');
    // An abort while the work folder is made and the process spawned counts too.
    const early = new AbortController();
    const starting = localBackend().createSession({ abortSignal: early.signal });
    early.abort();
    expect((await failure(() => starting)).code).toBe('ABORTED');
  });

  test('a session that cannot start fails with a SessionError that shows why', async () => {
    const error = await failure(() =>
      localBackend({ memoryLimitBytes: 64 * 1024 * 1024 }).createSession(),
    );
    expect(error.name).toBe('SessionError');
    expect(error.code).toBe('SESSION_FAILED');
    expect(error.message).toContain('ran out of memory');
    expect(error.message).toContain('memoryLimitBytes');

    const slow = await failure(() => localBackend({ startTimeoutMs: 20 }).createSession());
    expect(slow.code).toBe('SESSION_FAILED');
    expect(slow.message).toContain('startTimeoutMs');
  });
});
