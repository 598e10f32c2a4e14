import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { callDeadline } from '../../../src/internal/call-deadline.js';

describe('callDeadline', () => {
  it('fires when the time is up and says so', async () => {
    const deadline = callDeadline(20, undefined);
    await sleep(60);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.timedOut).toBe(true);
    expect((deadline.signal.reason as Error).message).toBe('timed out after 20 ms');
    deadline.dispose();
  });

  it("forwards the caller's abort and its reason, also when it fired before", () => {
    const caller = new AbortController();
    const deadline = callDeadline(10_000, caller.signal);
    caller.abort('stop');
    expect(deadline.signal.reason).toBe('stop');
    expect(deadline.timedOut).toBe(false);
    deadline.dispose();

    const early = callDeadline(undefined, AbortSignal.abort('already'));
    expect(early.signal.aborted).toBe(true);
    expect(early.signal.reason).toBe('already');
    early.dispose();
  });

  it('stops the timer and the forwarding once disposed', async () => {
    const caller = new AbortController();
    const deadline = callDeadline(20, caller.signal);
    deadline.dispose();
    caller.abort();
    await sleep(60);
    expect(deadline.signal.aborted).toBe(false);
  });
});
