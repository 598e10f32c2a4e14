import type { SandboxFile } from '../../backends/types.js';
import { withoutUndefined } from '../../internal/without-undefined.js';
import { keepInputFiles } from '../code-sandbox.js';
import type { WriteFilesOptions } from '../code-sandbox-options.js';
import {
  CONVERSATION_MEMBER,
  type ConversationRecord,
  reconcile,
  SESSION_SLOTS,
  warmKey,
} from './conversation-record.js';
import type { PoolEntry } from './pool-entry.js';
import type { ResolvedPoolOptions } from './pool-options.js';
import type { PoolSandbox } from './pool-sandbox.js';
import type { SharedConversations } from './shared-conversations.js';
import { mergeStoredFiles, readStoredFiles, writeStoredFiles } from './stored-input-files.js';
import type { WarmSessions } from './warm-sessions.js';

/** What the shared part of a pool needs from the pool itself. */
export interface SharedPoolHost {
  /** A new sandbox: one that starts its own session, or goes on with `attachTo`. */
  newSandbox(attachTo?: string): PoolSandbox;
  warm: WarmSessions | undefined;
}

/**
 * The pool's side of a shared session store: before a conversation's calls it brings the local
 * sandbox in line with the store (attach to the session another process moved it to, start
 * fresh after an end or a loss, hand over a warm session), keeps input files in the store, and
 * decides between stopping a session and letting another process go on with it.
 */
export class SharedPoolSupport {
  readonly #shared: SharedConversations;
  readonly #options: ResolvedPoolOptions;
  readonly #host: SharedPoolHost;
  readonly #sweepTimer: NodeJS.Timeout;

  constructor(shared: SharedConversations, options: ResolvedPoolOptions, host: SharedPoolHost) {
    this.#shared = shared;
    this.#options = options;
    this.#host = host;
    // Sessions whose process died are stopped a little after their idle time ran out.
    const sweepEveryMs = Math.min(60_000, Math.max(1000, options.idleTimeoutMs / 2));
    this.#sweepTimer = setInterval(() => void shared.sweep(), sweepEveryMs);
    this.#sweepTimer.unref();
  }

  enter(entry: PoolEntry, abortSignal: AbortSignal | undefined): Promise<void> {
    return this.#shared.enter(entry, abortSignal, (record) => this.#reconcile(entry, record));
  }

  leave(entry: PoolEntry): Promise<void> {
    return this.#shared.leave(entry);
  }

  async #reconcile(entry: PoolEntry, record: ConversationRecord | undefined): Promise<void> {
    const current = entry.current;
    const decision = reconcile(record, {
      sessionId: current.knownSessionId,
      recordVersion: entry.recordVersion,
    });
    if (record) entry.recordVersion = record.version;
    if (decision.kind === 'attach') {
      const next = this.#host.newSandbox(decision.sessionId);
      next.startedAt = decision.startedAt ?? Date.now();
      this.#letGoOf(entry.use(next));
      return;
    }
    if (decision.kind === 'fresh') {
      if (decision.restart) entry.restartPending = true;
      // Its session was stopped by whoever ended or lost the conversation: start another.
      if (!current.isFresh && current.warmMember === undefined) {
        this.#letGoOf(entry.use(this.#host.warm?.take() ?? this.#host.newSandbox()));
      }
    } else if (decision.startedAt !== undefined && entry.sessionStartedAt === undefined) {
      entry.sessionStarted(decision.startedAt);
    }
    await this.#handOverWarm(entry);
  }

  /** A warm session given to a conversation takes its place in the count as the conversation's. */
  async #handOverWarm(entry: PoolEntry): Promise<void> {
    const owner = entry.current;
    const member = owner.warmMember;
    if (member === undefined) return;
    owner.warmMember = undefined;
    const { claimed } = await this.#shared.store.claimSlot(
      SESSION_SLOTS,
      CONVERSATION_MEMBER + entry.conversationId,
      { limit: this.#options.maxSessions, ttlMs: this.#shared.slotTtlMs, replaces: member },
    );
    await this.#shared.store.delete(warmKey(member)).catch(() => undefined);
    // Its place went to another process's conversation meanwhile: it is one session too many.
    if (!claimed) void entry.use(this.#host.newSandbox()).sandbox.close();
  }

  /** A sandbox this process no longer uses for its conversation; its session goes on. */
  #letGoOf(old: PoolSandbox): void {
    if (old.warmMember !== undefined && this.#host.warm) this.#host.warm.giveBack(old);
    else void old.sandbox.detach().catch(() => undefined);
  }

  /** Gives a sandbox new to the conversation the input files kept in the store. */
  async supply(entry: PoolEntry, abortSignal: AbortSignal | undefined): Promise<void> {
    const files = await readStoredFiles(this.#shared.store, entry.conversationId);
    if (files.length === 0) return;
    const current = entry.current;
    // It goes on with the conversation's session, where the files are already.
    if (current.attachTo !== undefined) keepInputFiles(current.sandbox, files);
    else await current.sandbox.writeFiles(files, withoutUndefined({ abortSignal }));
  }

  async write(entry: PoolEntry, files: SandboxFile[], options: WriteFilesOptions): Promise<void> {
    const { store } = this.#shared;
    const kept = await readStoredFiles(store, entry.conversationId);
    const next = mergeStoredFiles(entry.conversationId, kept, files, options.keep !== false);
    await entry.sandbox.writeFiles(files, options);
    await writeStoredFiles(store, entry.conversationId, next);
  }

  /** Ends the conversation from any process; `stopLocal` stops this process's sandbox of it. */
  end(conversationId: string, stopLocal: () => Promise<string | undefined>): Promise<void> {
    return this.#shared.end(conversationId, stopLocal);
  }

  /** The pool stops the entry on its own: stop it, or let go when another process used it since. */
  async retire(entry: PoolEntry): Promise<void> {
    const outcome = await this.#shared.retire(entry, () => entry.sandbox.close());
    if (outcome === 'detached') await entry.sandbox.detach();
  }

  /** The pool closes: sessions the store still gives to their conversations are let go. */
  async letGo(entry: PoolEntry): Promise<void> {
    const held = await this.#shared.holdsSession(
      entry.conversationId,
      entry.current.knownSessionId,
    );
    if (held) await entry.sandbox.detach();
    else await entry.sandbox.close();
  }

  stopTimers(): void {
    clearInterval(this.#sweepTimer);
  }
}
