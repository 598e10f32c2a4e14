import { createHash } from 'node:crypto';

const MAX_SEGMENT_CHARS = 120;

/**
 * A storage path for a file the sandboxed code named: each segment keeps letters, digits, `.`,
 * `_` and `-` (anything else becomes `_`, a leading dot too), so no segment can be `..`, hidden,
 * a URL escape or a control character. When that changed the name, a short hash of the original
 * path is added before the extension, so two different names never land on one object or file.
 * The caller validated the path as relative, without `.`/`..` segments (sandboxPathProblem).
 */
export function safeFilePath(path: string): string {
  const segments = path.split('/').map((segment) => {
    // An empty segment (a doubled slash) becomes "_" too: keys and paths get no empty parts.
    const safe = segment.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.|^$/, '_');
    return safe.length > MAX_SEGMENT_CHARS ? safe.slice(0, MAX_SEGMENT_CHARS) : safe;
  });
  const joined = segments.join('/');
  if (joined === path) return joined;
  const hash = createHash('sha256').update(path).digest('hex').slice(0, 8);
  const name = segments.pop() as string;
  const dot = name.lastIndexOf('.');
  const marked = dot > 0 ? `${name.slice(0, dot)}~${hash}${name.slice(dot)}` : `${name}~${hash}`;
  return [...segments, marked].join('/');
}

/** The file's name (its last segment) for a Content-Disposition header: ASCII and UTF-8 forms. */
export function attachmentDisposition(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const ascii = name.replace(/[^A-Za-z0-9._ -]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
