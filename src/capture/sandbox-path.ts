/** Longest file path accepted from the sandbox, in characters. */
export const MAX_SANDBOX_PATH_CHARS = 1024;

/**
 * Why a file path the sandbox reported cannot be used, or undefined when it can: it must be
 * relative to the working directory, without `.` or `..` segments, empty segments, NUL or other
 * control characters, and at most MAX_SANDBOX_PATH_CHARS long. The path is still hostile text:
 * every place that shows or stores it escapes or sanitises it.
 */
export function sandboxPathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string' || path === '') return 'the path must be a non-empty string';
  if (path.length > MAX_SANDBOX_PATH_CHARS) {
    return `the path is over ${MAX_SANDBOX_PATH_CHARS} characters`;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f-\u009f]/.test(path)) return 'the path contains control characters';
  if (path.startsWith('/')) return 'the path is absolute';
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      return 'the path has an empty, "." or ".." segment';
    }
  }
  return undefined;
}
