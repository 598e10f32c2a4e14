/**
 * The conversation id found under `key` of what a framework hands a tool call (a state object,
 * a context, a config): a non-empty string, or a finite number as a string; else undefined.
 */
export function conversationIdIn(holder: unknown, key = 'conversationId'): string | undefined {
  if (typeof holder !== 'object' || holder === null) return undefined;
  return asConversationId((holder as Record<string, unknown>)[key]);
}

/** A non-empty string, or a finite number as a string, is a conversation id; nothing else is. */
export function asConversationId(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}
