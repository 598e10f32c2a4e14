import { readdir, readFile, readlink } from 'node:fs/promises';

const MAX_DEPTH = 4;

/**
 * The host pid of the first process below `rootPid` that runs `executable`. bubblewrap runs
 * the Python as a grandchild in its own pid namespace and session, so signals must go to that
 * pid directly.
 */
export async function findDescendant(
  rootPid: number,
  executable: string,
): Promise<number | undefined> {
  let level = [rootPid];
  for (let depth = 0; depth <= MAX_DEPTH && level.length > 0; depth++) {
    const next: number[] = [];
    for (const pid of level) {
      if (depth > 0 && (await executableOf(pid)) === executable) return pid;
      next.push(...(await childrenOf(pid)));
    }
    level = next;
  }
  return undefined;
}

async function executableOf(pid: number): Promise<string | undefined> {
  try {
    return await readlink(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

async function childrenOf(pid: number): Promise<number[]> {
  try {
    const children: number[] = [];
    for (const task of await readdir(`/proc/${pid}/task`)) {
      const text = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8');
      for (const word of text.split(' ')) if (word !== '') children.push(Number(word));
    }
    return children;
  } catch {
    return [];
  }
}
