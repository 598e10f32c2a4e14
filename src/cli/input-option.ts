import { basename } from 'node:path';
import type { SandboxFile } from '../backends/types.js';
import { InvalidInputError } from '../errors/index.js';
import { readUserFile } from './read-user-file.js';

export const inputUsage =
  '  --input PATH               put a file into the sandbox under its base name (repeatable)';

export const inputArgumentOptions = {
  input: { type: 'string', multiple: true },
} as const;

/** The `--input` files, read from disk: each goes into the working directory by its base name. */
export async function inputFilesFromOptions(values: {
  input?: string[] | undefined;
}): Promise<SandboxFile[]> {
  const files: SandboxFile[] = [];
  const names = new Set<string>();
  for (const path of values.input ?? []) {
    const name = basename(path);
    if (names.has(name)) {
      throw new InvalidInputError(
        `--input ${JSON.stringify(path)}: another input file is also named ${JSON.stringify(name)}; rename one.`,
      );
    }
    names.add(name);
    const content = new Uint8Array(await readUserFile(path, `--input ${JSON.stringify(path)}`));
    files.push({ path: name, content });
  }
  return files;
}
