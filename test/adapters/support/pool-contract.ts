import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localBackend } from '../../../src/backends/local.js';
import { createSandboxPool, type SandboxPool } from '../../../src/sandbox/pool.js';
import type { LedgerFigure } from '../../../src/tool/figure-ledger.js';
import { drawCode, firstCode, isPng, secondCode } from '../../support/adapter-fixtures.js';

/** What the model received back from one execute_python call, as its framework delivered it. */
export interface ToolReply {
  /** The framework's error flag on the tool result; undefined when it has none (OpenAI Agents). */
  isError: boolean | undefined;
  /** The text parts, joined with newlines. */
  text: string;
  /** The bytes of each attached image. */
  images: Uint8Array[];
}

/** A figure as the adapter shows a conversation's figures to the application. */
export interface ListedFigure {
  label: string;
  title: string | undefined;
}

/** A ledger's figures as the contract compares them. */
export function listedFigures(figures: readonly LedgerFigure[]): ListedFigure[] {
  return figures.map((figure) => ({ label: figure.label, title: figure.title }));
}

/** How the contract drives one adapter: its tool on a pool, run through the real framework. */
export interface PoolAdapterHarness {
  /**
   * One run of the real agent loop in `conversationId`, passed the way the adapter's users pass
   * it (undefined: the run says no conversation): a scripted model calls execute_python with
   * each of `codes` in turn, then answers. Resolves what the model received for each call.
   */
  run(conversationId: string | undefined, codes: readonly string[]): Promise<ToolReply[]>;
  /** The figures recorded for a conversation, as the adapter lists them. */
  figures(conversationId: string): Promise<ListedFigure[]>;
  /** What the developer warning for a call without a conversation id says about this adapter. */
  conversationIdHelp: RegExp;
  /** Closes what the harness opened (clients, servers); the pool is closed by the contract. */
  close?(): Promise<void>;
}

/**
 * The behaviour every adapter's tool keeps on a sandbox pool, run against the adapter through its
 * real framework (in the style of unstorage's `testDriver`): each conversation has its own
 * variables and figure ledger, figures are numbered per conversation, images reach the model, and
 * a call without a conversation id is answered with an error result.
 */
export function describeAdapterPoolContract(
  name: string,
  makeHarness: (pool: SandboxPool) => PoolAdapterHarness | Promise<PoolAdapterHarness>,
): void {
  describe(`${name} on a sandbox pool (the adapter pool contract)`, () => {
    let pool: SandboxPool;
    let harness: PoolAdapterHarness | undefined;
    beforeEach(async () => {
      pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
      harness = await makeHarness(pool);
    });
    afterEach(async () => {
      await harness?.close?.();
      harness = undefined;
      await pool.closeAll();
    });
    const driver = () => harness as PoolAdapterHarness;

    it('runs two conversations concurrently, each with its own variables, kept between runs', async () => {
      const names = ['alpha', 'beta'] as const;
      const firsts = await Promise.all(
        names.map((who) => driver().run(`conv-${who}`, [firstCode(who)])),
      );
      const seconds = await Promise.all(
        names.map((who) => driver().run(`conv-${who}`, [secondCode])),
      );
      names.forEach((who, at) => {
        const [first] = firsts[at] ?? [];
        const [second] = seconds[at] ?? [];
        expect(first?.isError).not.toBe(true);
        expect(first?.text).toContain('no secret yet');
        expect(first?.text).not.toContain('seen before');
        expect(first?.text).toContain(`- figure 1, "${who} chart", `);
        expect(first?.images).toHaveLength(1);
        expect(isPng(first?.images[0] ?? new Uint8Array())).toBe(true);
        expect(second?.isError).not.toBe(true);
        expect(second?.text).toContain(`secret is ${who}`);
      });
      expect(pool.stats()).toMatchObject({ started: 2 });
    }, 60_000);

    it('numbers figures per conversation and records them in that conversation’s ledger', async () => {
      const alpha = await driver().run('conv-alpha', [
        drawCode('alpha one'),
        drawCode('alpha two'),
      ]);
      const beta = await driver().run('conv-beta', [drawCode('beta one')]);
      expect(alpha[1]?.text).toContain('- figure 2, "alpha two", ');
      expect(beta[0]?.text).toContain('- figure 1, "beta one", ');
      expect(alpha.map((reply) => reply.images.length)).toEqual([1, 1]);
      expect(await driver().figures('conv-alpha')).toEqual([
        { label: 'figure 1', title: 'alpha one' },
        { label: 'figure 2', title: 'alpha two' },
      ]);
      expect(await driver().figures('conv-beta')).toEqual([
        { label: 'figure 1', title: 'beta one' },
      ]);
    }, 60_000);

    it('answers a call without a conversation id with an error result and warns the developer', async () => {
      const warnings: Error[] = [];
      const listener = (warning: Error) => warnings.push(warning);
      process.on('warning', listener);
      try {
        const [reply] = await driver().run(undefined, ['print("it ran")']);
        expect(reply?.isError).not.toBe(false);
        expect(reply?.text).toMatch(/did not say which conversation/);
        expect(reply?.text).not.toContain('it ran');
        expect(reply?.images).toEqual([]);
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off('warning', listener);
      }
      const warning = warnings.find((entry) => /no conversation id/.test(entry.message));
      expect(warning?.message).toMatch(driver().conversationIdHelp);
      expect(pool.stats().started).toBe(0);
    }, 60_000);
  });
}
