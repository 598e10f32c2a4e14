import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '../errors/index.js';

// What each common error code means, in words a person at a terminal reads without looking it up.
const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of the path is not a folder',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

/**
 * Reads a file named on the command line. A file that cannot be read is a usage error
 * (`InvalidInputError`, exit 2) whose one line names the file, as `what` calls it
 * (`"analysis.py"`, `--input "sales.csv"`), and why.
 */
export async function readUserFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === undefined ? 'unreadable' : REASONS[code] ? `${code}: ${REASONS[code]}` : code;
    throw new InvalidInputError(`${what} cannot be read (${reason}).`, { cause: error });
  }
}
