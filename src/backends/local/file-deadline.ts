import { performance } from 'node:perf_hooks';
import type { ServerMessage } from './control-channel.js';
import type { SandboxProcess } from './sandbox-process.js';

/** A file request gets one more second for every this many bytes it sends or receives. */
export const FILE_BYTES_PER_SECOND = 4 * 1024 * 1024;
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Sends a file request (`write`, `read`, `remove`) and resolves with its reply. The server has
 * `fileTimeoutMs` to answer, plus a second for every `FILE_BYTES_PER_SECOND` bytes of the
 * request and of the reply received so far (a large reply arrives in chunks, a hang sends
 * nothing); a server that misses it is killed, and the request rejects with `SessionEnded`.
 */
export function requestWithinDeadline(
  server: SandboxProcess,
  message: Record<string, unknown>,
  fileTimeoutMs: number,
): Promise<ServerMessage> {
  const started = performance.now();
  const sentBytes = typeof message.content === 'string' ? message.content.length : 0;
  const receivedAtStart = server.channel.receivedBytes;
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    if (settled) return;
    const movedBytes = sentBytes + server.channel.receivedBytes - receivedAtStart;
    const allowedMs = fileTimeoutMs + (movedBytes / FILE_BYTES_PER_SECOND) * 1000;
    const elapsedMs = performance.now() - started;
    if (elapsedMs < allowedMs) {
      timer = setTimeout(afterIo, Math.min(allowedMs - elapsedMs, MAX_TIMER_MS));
      return;
    }
    server.kill(
      `The Python server did not answer a ${String(message.op)} request within ${Math.round(elapsedMs)} ms (fileTimeoutMs ${fileTimeoutMs}, plus 1 s per ${FILE_BYTES_PER_SECOND / 1024 / 1024} MiB moved) and was killed`,
    );
  };
  // When the event loop was blocked, a reply may be waiting in the pipe: read it first.
  const afterIo = () => setImmediate(check);
  timer = setTimeout(afterIo, fileTimeoutMs);
  return server.channel.request(message).finally(() => {
    settled = true;
    clearTimeout(timer);
  });
}
