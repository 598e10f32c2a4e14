import { rmSync } from 'node:fs';
import { chmod, lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

const removeAtExit = new Set<string>();
let exitHookInstalled = false;

/**
 * Makes sure `path` is removed when Node exits, for sessions never closed: an idle session
 * does not keep Node running, and its server ends when the control channel closes.
 */
export function removeFolderAtExit(path: string): void {
  removeAtExit.add(path);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const folder of removeAtExit) {
      try {
        rmSync(folder, { recursive: true, force: true });
      } catch {
        // Best effort: the process is going away.
      }
    }
  });
}

/**
 * Removes a session folder. The sandboxed code may have left folders without write or search
 * permission, which `rm` cannot enter: those are opened up (never following symlinks) and the
 * removal is retried.
 */
export async function removeFolder(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
  } catch {
    await openUp(path);
    await rm(path, { recursive: true, force: true });
  }
  removeAtExit.delete(path);
}

async function openUp(path: string): Promise<void> {
  const info = await lstat(path).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) return;
  await chmod(path, 0o700).catch(() => undefined);
  const names = await readdir(path).catch(() => [] as string[]);
  for (const name of names) await openUp(join(path, name));
}
