import { randomBytes } from 'node:crypto';

/**
 * What a session store keeps about one conversation: its session (`active`), or that it has
 * none because the pool stopped it on its own (`lost`: the next result says `sessionRestarted`)
 * or because it was ended (`ended`). `version` is new with every write, so a process can tell
 * whether anyone else used the conversation since it last looked.
 */
export type ConversationRecord =
  | { state: 'active'; sessionId: string; startedAt: number | undefined; version: string }
  | { state: 'lost' | 'ended'; version: string };

/** The slot group that counts the sessions of every pool sharing a store. */
export const SESSION_SLOTS = 'sessions';
/** Slot members: `c:` + conversation id, `w:` + a warm session's name. */
export const CONVERSATION_MEMBER = 'c:';
export const WARM_MEMBER = 'w:';

export const recordKey = (conversationId: string) => `conversation:${conversationId}`;
export const lockKey = (conversationId: string) => `conversation:${conversationId}`;
export const filesKey = (conversationId: string) => `files:${conversationId}`;
export const warmKey = (member: string) => `warm:${member}`;

/** A record to store, with a new version. */
export function newRecord(
  record:
    | { state: 'active'; sessionId: string; startedAt: number | undefined }
    | { state: 'lost' | 'ended' },
): ConversationRecord {
  return { ...record, version: randomBytes(8).toString('hex') };
}

export function parseRecord(text: string | undefined): ConversationRecord | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<Record<string, unknown>>;
    const version = typeof value.version === 'string' ? value.version : '';
    if (value.state === 'active' && typeof value.sessionId === 'string') {
      const startedAt = typeof value.startedAt === 'number' ? value.startedAt : undefined;
      return { state: 'active', sessionId: value.sessionId, startedAt, version };
    }
    if (value.state === 'lost' || value.state === 'ended') return { state: value.state, version };
  } catch {
    // Not ours or damaged: as if there were none.
  }
  return undefined;
}

/** What a process must do with its own sandbox of a conversation, given the stored record. */
export type Reconciled =
  /** Its sandbox is right (or the store knows nothing newer). */
  | { kind: 'keep'; startedAt?: number }
  /** Another process moved the conversation to this session: go on with it. */
  | { kind: 'attach'; sessionId: string; startedAt: number | undefined }
  /** The conversation has no session (ended, or lost: `restart`): start a new one. */
  | { kind: 'fresh'; restart: boolean };

export function reconcile(
  record: ConversationRecord | undefined,
  local: { sessionId: string | undefined; recordVersion: string | undefined },
): Reconciled {
  // Nothing stored (a new conversation, or a store that lost its data), or nothing new since
  // this process wrote: what this process holds stands.
  if (record === undefined || record.version === local.recordVersion) return { kind: 'keep' };
  if (record.state !== 'active') return { kind: 'fresh', restart: record.state === 'lost' };
  if (record.sessionId === local.sessionId) {
    return record.startedAt === undefined
      ? { kind: 'keep' }
      : { kind: 'keep', startedAt: record.startedAt };
  }
  return { kind: 'attach', sessionId: record.sessionId, startedAt: record.startedAt };
}
