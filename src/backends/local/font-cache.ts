import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// matplotlib's font list: building it costs ~0.5 s on every fresh MPLCONFIGDIR. Sessions get a
// COPY of the cached file; the cache is only ever filled from a session that ran no user code.
const FONT_LIST_NAME = /^fontlist-v\d+\.json$/;
const MAX_FONT_LIST_BYTES = 16 * 1024 * 1024;

/** Font lists keyed by file name, e.g. `fontlist-v330.json`. */
export type FontCacheFiles = Record<string, string>;

/** `<os.tmpdir()>/sandplot-cache/<uid>`. */
export function defaultCacheDir(): string {
  return join(tmpdir(), 'sandplot-cache', String(process.getuid?.() ?? 'user'));
}

function pythonCacheDir(cacheDir: string, pythonRealPath: string): string {
  const key = createHash('sha256').update(pythonRealPath).digest('hex').slice(0, 16);
  return join(cacheDir, key);
}

/** Reads the cached font lists; an unusable or foreign cache dir reads as empty. */
export async function readFontCache(
  cacheDir: string,
  pythonRealPath: string,
): Promise<FontCacheFiles> {
  const dir = pythonCacheDir(cacheDir, pythonRealPath);
  const files: FontCacheFiles = {};
  try {
    if (!(await isPrivateDir(dir))) return files;
    for (const name of await readdir(dir)) {
      if (!FONT_LIST_NAME.test(name)) continue;
      const text = await readRegularFile(join(dir, name));
      if (text !== undefined) files[name] = text;
    }
  } catch {
    // No cache: the session builds the font list itself.
  }
  return files;
}

/** Stores font lists a fresh session built; invalid ones are ignored. Never throws. */
export async function writeFontCache(
  cacheDir: string,
  pythonRealPath: string,
  files: FontCacheFiles,
): Promise<void> {
  const dir = pythonCacheDir(cacheDir, pythonRealPath);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (!(await isPrivateDir(dir))) return;
    for (const [name, text] of Object.entries(files)) {
      if (!FONT_LIST_NAME.test(name) || typeof text !== 'string') continue;
      if (Buffer.byteLength(text) > MAX_FONT_LIST_BYTES) continue;
      JSON.parse(text);
      const temporary = join(dir, `.${name}.${process.pid}.${Date.now()}`);
      await writeFile(temporary, text, { mode: 0o600, flag: 'wx' });
      await rename(temporary, join(dir, name));
    }
  } catch {
    // A cache that cannot be written only costs time.
  }
}

/** Ours, a real folder (no symlink), and writable by nobody else: nobody can plant a file. */
async function isPrivateDir(dir: string): Promise<boolean> {
  try {
    const info = await lstat(dir);
    const uid = process.getuid?.();
    return (
      info.isDirectory() && (uid === undefined || info.uid === uid) && (info.mode & 0o022) === 0
    );
  } catch {
    return false;
  }
}

async function readRegularFile(path: string): Promise<string | undefined> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > MAX_FONT_LIST_BYTES) return undefined;
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
