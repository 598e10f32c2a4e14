import type { SandboxFile } from '../../backends/types.js';
import { InvalidInputError } from '../../errors/index.js';
import type { SessionStore } from '../../stores/types.js';
import { InputFiles } from '../input-files.js';
import { filesKey } from './conversation-record.js';

/** Most bytes of kept input files a shared store holds for one conversation. */
export const MAX_STORED_INPUT_BYTES = 10 * 1024 * 1024;
/** Kept input files stay in the store this long after the conversation's last writeFiles. */
export const STORED_INPUT_TTL_MS = 24 * 60 * 60 * 1000;

interface StoredFile {
  path: string;
  text?: string;
  base64?: string;
}

/** The input files kept for the conversation in the store (none when there are none). */
export async function readStoredFiles(
  store: SessionStore,
  conversationId: string,
): Promise<SandboxFile[]> {
  const text = await store.get(filesKey(conversationId));
  if (text === undefined) return [];
  try {
    const stored = JSON.parse(text) as StoredFile[];
    return stored.map((file) => ({
      path: file.path,
      content:
        file.base64 !== undefined
          ? new Uint8Array(Buffer.from(file.base64, 'base64'))
          : (file.text ?? ''),
    }));
  } catch {
    return [];
  }
}

/**
 * The kept files after a `writeFiles(files, { keep })`; throws an `InvalidInputError` (before
 * anything is written) when they would pass `MAX_STORED_INPUT_BYTES`.
 */
export function mergeStoredFiles(
  conversationId: string,
  kept: SandboxFile[],
  files: SandboxFile[],
  keep: boolean,
): SandboxFile[] {
  const merged = new InputFiles();
  merged.remember(kept);
  if (keep) merged.remember(files);
  else merged.forget(files.map((file) => file.path));
  const bytes = merged.list().reduce((sum, file) => sum + file.byteLength, 0);
  if (bytes > MAX_STORED_INPUT_BYTES) {
    throw new InvalidInputError(
      `writeFiles: the files kept for conversation ${conversationId} would hold ${bytes} bytes; a shared session store keeps at most ${MAX_STORED_INPUT_BYTES} per conversation. Write large files with \`keep: false\` (they are then not rewritten into a replacement session), or put them in S3 and read them from there.`,
    );
  }
  return merged.files();
}

export async function writeStoredFiles(
  store: SessionStore,
  conversationId: string,
  files: SandboxFile[],
): Promise<void> {
  if (files.length === 0) {
    await store.delete(filesKey(conversationId));
    return;
  }
  const stored: StoredFile[] = files.map((file) =>
    typeof file.content === 'string'
      ? { path: file.path, text: file.content }
      : { path: file.path, base64: Buffer.from(file.content).toString('base64') },
  );
  await store.set(filesKey(conversationId), JSON.stringify(stored), {
    ttlMs: STORED_INPUT_TTL_MS,
  });
}
