/** Bytes as base64 (no `data:` prefix), as most framework image blocks carry them. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
