import { InvalidInputError } from '../../errors/index.js';
import type { SandboxFile } from '../types.js';

/** Largest file `readFile` returns: it travels base64-encoded in one control message. */
export const MAX_READ_FILE_BYTES = 256 * 1024 * 1024;

/** The `write` requests for `files`, checked before any is sent. */
export function writeRequests(files: SandboxFile[]): Record<string, unknown>[] {
  return files.map((file) => {
    checkRelativePath(file.path);
    if (typeof file.content !== 'string' && !(file.content instanceof Uint8Array)) {
      throw new InvalidInputError(
        `writeFiles: the content of "${file.path}" must be a string or Uint8Array`,
      );
    }
    const bytes =
      typeof file.content === 'string'
        ? Buffer.from(file.content, 'utf8')
        : Buffer.from(file.content.buffer, file.content.byteOffset, file.content.byteLength);
    return { op: 'write', path: file.path, content: bytes.toString('base64') };
  });
}

/** The `remove` request for `paths`: files and folders (recursively) of the work dir. */
export function removeRequest(paths: unknown): Record<string, unknown> {
  if (!Array.isArray(paths)) {
    throw new InvalidInputError('localBackend: removeFiles expects an array of paths');
  }
  for (const path of paths) checkRelativePath(path);
  return { op: 'remove', paths };
}

/** Refuses a path that is empty, absolute, or could leave the work dir. */
export function checkRelativePath(path: unknown): void {
  if (typeof path !== 'string' || path === '' || path.includes('\0')) {
    throw new InvalidInputError('localBackend: a file path must be a non-empty string');
  }
  if (path.startsWith('/')) {
    throw new InvalidInputError(
      `localBackend: the path "${path}" is absolute; use a path relative to the sandbox's work dir`,
    );
  }
  if (path.split('/').includes('..')) {
    throw new InvalidInputError(
      `localBackend: the path "${path}" contains "..", which could leave the work dir`,
    );
  }
}
