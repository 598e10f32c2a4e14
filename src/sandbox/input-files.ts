import type { SandboxFile } from '../backends/types.js';

/** A file given to the sandbox, as the tool description and `inputFiles` list it. */
export interface InputFileInfo {
  path: string;
  byteLength: number;
}

/**
 * The files given with `writeFiles` (unless `keep: false`), kept in memory so that a session that
 * replaces a lost one gets them again before the next call runs. The latest content of each path
 * wins; memory is the sum of the kept contents.
 */
export class InputFiles {
  readonly #files = new Map<string, SandboxFile>();

  remember(files: readonly SandboxFile[]): void {
    for (const file of files)
      this.#files.set(file.path, { path: file.path, content: file.content });
  }

  /** Stops keeping these paths (a later write without `keep` of the same path). */
  forget(paths: readonly string[]): void {
    for (const path of paths) this.#files.delete(path);
  }

  get size(): number {
    return this.#files.size;
  }

  /** The kept files, to write into a new session. */
  files(): SandboxFile[] {
    return [...this.#files.values()];
  }

  /** Names and sizes, in path order. */
  list(): InputFileInfo[] {
    return [...this.#files.values()]
      .map((file) => ({
        path: file.path,
        byteLength:
          typeof file.content === 'string'
            ? Buffer.byteLength(file.content, 'utf8')
            : file.content.byteLength,
      }))
      .sort((first, second) => (first.path < second.path ? -1 : 1));
  }
}
