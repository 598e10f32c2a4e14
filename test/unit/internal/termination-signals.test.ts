import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  closeOnTerminationSignal,
  SIGNAL_CLOSE_DEADLINE_MS,
} from '../../../src/internal/termination-signals.js';

// The signals are emitted, not sent, and process.kill is replaced: nothing here ends the worker.
describe('closeOnTerminationSignal', () => {
  const stashed = new Map<NodeJS.Signals, NodeJS.SignalsListener[]>();
  let kill: ReturnType<typeof vi.spyOn>;

  beforeEach(() => {
    // Whatever the test runner listens to would count as the application's listeners.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      stashed.set(signal, process.listeners(signal) as NodeJS.SignalsListener[]);
      process.removeAllListeners(signal);
    }
    kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
  });
  afterEach(() => {
    kill.mockRestore();
    vi.useRealTimers();
    for (const [signal, listeners] of stashed) {
      process.removeAllListeners(signal);
      for (const listener of listeners) process.on(signal, listener);
    }
  });

  function closable(close: () => Promise<void>) {
    return { close: vi.fn(close) };
  }

  it('listens only while something is registered', () => {
    const unregister = closeOnTerminationSignal(closable(async () => {}));
    const second = closeOnTerminationSignal(closable(async () => {}));
    expect(process.listenerCount('SIGTERM')).toBe(1);
    expect(process.listenerCount('SIGINT')).toBe(1);
    unregister();
    expect(process.listenerCount('SIGTERM')).toBe(1);
    second();
    expect(process.listenerCount('SIGTERM')).toBe(0);
    expect(process.listenerCount('SIGINT')).toBe(0);
  });

  it('alone: closes everything, removes its listeners and raises the signal again', async () => {
    const quick = closable(async () => {});
    const failing = closable(async () => {
      throw new Error('stop failed');
    });
    closeOnTerminationSignal(quick);
    closeOnTerminationSignal(failing);
    process.emit('SIGTERM', 'SIGTERM');
    await vi.waitFor(() => expect(kill).toHaveBeenCalledWith(process.pid, 'SIGTERM'));
    expect(quick.close).toHaveBeenCalledOnce();
    expect(failing.close).toHaveBeenCalledOnce();
    expect(process.listenerCount('SIGTERM')).toBe(0);
    expect(process.listenerCount('SIGINT')).toBe(0);
  });

  it(`alone: raises the signal after ${SIGNAL_CLOSE_DEADLINE_MS} ms even if a close hangs`, async () => {
    vi.useFakeTimers();
    const hanging = closable(() => new Promise<void>(() => {}));
    closeOnTerminationSignal(hanging);
    process.emit('SIGINT', 'SIGINT');
    await vi.advanceTimersByTimeAsync(SIGNAL_CLOSE_DEADLINE_MS - 10);
    expect(kill).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(20);
    expect(kill).toHaveBeenCalledWith(process.pid, 'SIGINT');
    expect(hanging.close).toHaveBeenCalledOnce();
  });

  it('alone: a second signal ends the process at once', async () => {
    closeOnTerminationSignal(closable(() => new Promise<void>(() => {})));
    process.emit('SIGTERM', 'SIGTERM');
    await Promise.resolve();
    expect(kill).not.toHaveBeenCalled();
    process.emit('SIGTERM', 'SIGTERM');
    expect(kill).toHaveBeenCalledWith(process.pid, 'SIGTERM');
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });

  it("counts the application's once() listener registered before it", async () => {
    const own = vi.fn();
    process.once('SIGINT', own);
    const target = closable(async () => {});
    closeOnTerminationSignal(target);
    process.emit('SIGINT', 'SIGINT');
    expect(own).toHaveBeenCalledOnce();
    expect(target.close).toHaveBeenCalledOnce();
    await vi.waitFor(() => expect(process.listenerCount('SIGINT')).toBe(0));
    expect(kill).not.toHaveBeenCalled();
  });

  it("with the application's own listener: closes everything and leaves exiting to it", async () => {
    const own = vi.fn();
    process.on('SIGTERM', own);
    const target = closable(async () => {});
    closeOnTerminationSignal(target);
    process.emit('SIGTERM', 'SIGTERM');
    expect(own).toHaveBeenCalledOnce();
    expect(target.close).toHaveBeenCalledOnce();
    await vi.waitFor(() => expect(process.listenerCount('SIGTERM')).toBe(1));
    expect(kill).not.toHaveBeenCalled();
    process.off('SIGTERM', own);
  });
});
