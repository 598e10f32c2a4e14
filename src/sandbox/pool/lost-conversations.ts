/** Conversations remembered as having lost their sandbox, so their next result says so. */
const MAX_REMEMBERED_LOST = 10_000;

/**
 * The conversations whose sandbox the pool stopped on its own (idle, evicted, too old): the
 * next result of each says `sessionRestarted`. Bounded: the oldest are forgotten first.
 */
export class LostConversations {
  readonly #lost = new Set<string>();

  remember(conversationId: string): void {
    this.#lost.add(conversationId);
    if (this.#lost.size > MAX_REMEMBERED_LOST) {
      const oldest = this.#lost.values().next().value;
      if (oldest !== undefined) this.#lost.delete(oldest);
    }
  }

  /** Forgets the conversation; true when it was remembered. */
  forget(conversationId: string): boolean {
    return this.#lost.delete(conversationId);
  }
}
