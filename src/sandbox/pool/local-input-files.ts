import type { SandboxFile } from '../../backends/types.js';
import { withoutUndefined } from '../../internal/without-undefined.js';
import type { WriteFilesOptions } from '../code-sandbox-options.js';
import { InputFiles } from '../input-files.js';
import type { PoolEntry } from './pool-entry.js';

/**
 * The files given for each conversation with `pool.writeFiles` (unless `keep: false`), kept in
 * this process for every sandbox the conversation gets. With a shared store, the store keeps
 * them instead (`SharedPoolSupport`).
 */
export class LocalInputFiles {
  readonly #inputs = new Map<string, InputFiles>();

  async write(entry: PoolEntry, files: SandboxFile[], options: WriteFilesOptions): Promise<void> {
    await entry.sandbox.writeFiles(files, options);
    let kept = this.#inputs.get(entry.conversationId);
    if (options.keep === false) kept?.forget(files.map((file) => file.path));
    else {
      kept ??= new InputFiles();
      kept.remember(files);
      this.#inputs.set(entry.conversationId, kept);
    }
  }

  /** Gives a sandbox new to the conversation the files kept for it. */
  async supply(entry: PoolEntry, abortSignal: AbortSignal | undefined): Promise<void> {
    const kept = this.#inputs.get(entry.conversationId);
    if (kept === undefined || kept.size === 0) return;
    await entry.sandbox.writeFiles(kept.files(), withoutUndefined({ abortSignal }));
  }

  forget(conversationId: string): void {
    this.#inputs.delete(conversationId);
  }
}
