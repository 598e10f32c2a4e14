/** A byte count in binary units, as the capture limits are written: 512 bytes, 1.5 KB, 10 MB. */
export function formatBytes(byteCount: number): string {
  if (byteCount < 1024) return `${byteCount} bytes`;
  if (byteCount < 1024 * 1024) return `${oneDecimal(byteCount / 1024)} KB`;
  return `${oneDecimal(byteCount / (1024 * 1024))} MB`;
}

function oneDecimal(value: number): string {
  const text = value.toFixed(1);
  return text.endsWith('.0') ? text.slice(0, -2) : text;
}
