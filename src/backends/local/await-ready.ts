import { randomBytes } from 'node:crypto';
import { AbortError, SessionError } from '../../errors/index.js';
import type { ServerMessage } from './control-channel.js';
import { writeFontCache } from './font-cache.js';
import type { LocalSessionConfig } from './local-session-config.js';
import { findDescendant } from './process-tree.js';
import type { SandboxProcess } from './sandbox-process.js';
import { SessionEnded } from './session-ended.js';

/** How much of the server's output a failed start quotes. */
const STARTUP_OUTPUT_CHARS = 4000;

/**
 * Sends the server its work dir, limits and font cache, and waits (at most `startTimeoutMs`)
 * until it has imported matplotlib; then finds the Python that interrupts go to and keeps the
 * font list it made. On failure the process is killed and the error says why, quoting the end of
 * its output (an AbortError when `abortSignal` fired).
 */
export async function awaitReady(
  server: SandboxProcess,
  config: LocalSessionConfig,
  startup: { workDir: string; fontCache: Record<string, string> },
  abortSignal: AbortSignal | undefined,
): Promise<void> {
  let output = '';
  const collect = (text: string) => {
    output = (output + text).slice(-STARTUP_OUTPUT_CHARS);
  };
  const startToken = randomBytes(16).toString('hex');
  server.stdout.begin(startToken, collect);
  server.stderr.begin(startToken, collect);

  const ready = server.channel.init({
    workDir: startup.workDir,
    limits: {
      memoryBytes: config.memoryLimitBytes,
      cpuSeconds: config.cpuTimeLimitSeconds,
      fileBytes: config.maxFileBytes,
      // Outside bubblewrap RLIMIT_NPROC would count every process of the host user.
      ...(config.isolation === 'bwrap' ? { processes: config.maxProcesses } : {}),
    },
    fontCache: startup.fontCache,
  });

  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    const message = await Promise.race([
      ready,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new SessionEnded(
                `it did not get ready within ${config.startTimeoutMs} ms (startTimeoutMs)`,
              ),
            ),
          config.startTimeoutMs,
        );
        onAbort = () =>
          reject(
            new AbortError('localBackend: createSession was aborted', {
              cause: abortSignal?.reason,
            }),
          );
        // The signal may have fired while the folders were made and the process spawned.
        if (abortSignal?.aborted) onAbort();
        else abortSignal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
    await onReady(server, config, message);
  } catch (error) {
    server.kill('The session failed to start');
    await server.ended;
    server.stdout.end();
    server.stderr.end();
    if (error instanceof AbortError) throw error;
    throw startFailure(error, output, config);
  } finally {
    clearTimeout(timer);
    if (onAbort) abortSignal?.removeEventListener('abort', onAbort);
  }
}

async function onReady(
  server: SandboxProcess,
  config: LocalSessionConfig,
  message: ServerMessage,
): Promise<void> {
  if (typeof message.error === 'string') throw new SessionEnded(message.error);
  server.pythonPid =
    config.isolation === 'none'
      ? server.pid
      : await findDescendant(server.pid ?? -1, config.python.realPath);
  if (message.fontCache !== undefined && typeof message.fontCache === 'object') {
    await writeFontCache(
      config.cacheDir,
      config.python.realPath,
      message.fontCache as Record<string, string>,
    );
  }
  server.stdout.end();
  server.stderr.end();
  if (server.endReason !== undefined) throw new SessionEnded(server.endReason);
}

function startFailure(error: unknown, output: string, config: LocalSessionConfig): SessionError {
  const reason = error instanceof SessionEnded ? error.message : String(error);
  const excerpt = output.trim();
  // Under a tight RLIMIT_AS, imports fail with MemoryError or, for OpenBLAS, with threads
  // that cannot get a stack.
  const hint = /MemoryError|Cannot allocate memory|pthread_create failed/.test(
    `${reason}\n${excerpt}`,
  )
    ? ` It probably ran out of memory: memoryLimitBytes is ${config.memoryLimitBytes}; raise it.`
    : '';
  return new SessionError(
    `localBackend: the Python session did not start: ${reason}.${hint}` +
      (excerpt ? ` Its output ended with:\n${excerpt}` : ''),
    { cause: error },
  );
}
