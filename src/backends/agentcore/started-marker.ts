import { randomBytes } from 'node:crypto';

/**
 * At-most-once execution. A server fault or a dropped connection does not prove that the code did
 * not run, so executeCode is never simply repeated. Every code sent starts with one statement
 * that records its start as an empty file `.sandplot/started/<token>` under the session's working
 * directory; after an ambiguous failure a probe looks for that file: missing, the code never
 * started and the call is repeated; present, the code ran and its output was lost.
 *
 * The folder is resolved once per interpreter, from the working directory at the first call, so
 * a later `os.chdir` in the user's code does not move it. Only the newest markers are kept: each
 * statement removes all but the newest {@link KEPT_MARKERS} before adding its own.
 */

/** Markers kept in the folder (the newest ones); a probe only ever looks for the last. */
const KEPT_MARKERS = 8;

/** Where the markers live, relative to the session's working directory. */
export const STARTED_FOLDER = '.sandplot/started';

const MODULE = '_sandplot_agentcore';

/** Binds `d`, the marker folder, in the throwaway namespace of the statements below. */
const FOLDER_SOURCE = `import os, sys, types
m = sys.modules.get('${MODULE}')
if m is None:
    m = types.ModuleType('${MODULE}')
    m.base = os.getcwd()
    sys.modules['${MODULE}'] = m
d = os.path.join(m.base, ${JSON.stringify(STARTED_FOLDER)})
`;

const RECORD_SOURCE = `${FOLDER_SOURCE}os.makedirs(d, exist_ok=True)
old = sorted(os.scandir(d), key=lambda e: e.stat(follow_symlinks=False).st_mtime_ns)
for e in old[:max(0, len(old) - ${KEPT_MARKERS - 1})]:
    try:
        os.remove(e.path)
    except OSError:
        pass
open(os.path.join(d, TOKEN), 'w').close()
`;

const PROBE_SOURCE = `${FOLDER_SOURCE}print(MARK + ('started' if os.path.exists(os.path.join(d, TOKEN)) else 'absent'))
`;

/** A fresh marker token: 32 lowercase hex characters. */
export function createStartToken(): string {
  return randomBytes(16).toString('hex');
}

/** One expression statement that runs `source` with TOKEN (and MARK) bound, binding no user name. */
function throwaway(source: string, token: string, mark = ''): string {
  const script = `TOKEN = ${JSON.stringify(token)}\nMARK = ${JSON.stringify(mark)}\n${source}`;
  return `__import__('builtins').exec(${JSON.stringify(script)}, {'__name__': '${MODULE}_call'})\n`;
}

/**
 * `code` preceded by the statement that records its start. When the record cannot be written
 * the statement raises, and the user's code does not run: never run without a record.
 */
export function withStartRecord(code: string, token: string): string {
  return `${throwaway(RECORD_SOURCE, token)}${code}`;
}

/** Code that prints whether the code of `token` started (read back by `readProbe`). */
export function probeCode(token: string): { code: string; mark: string } {
  const mark = `@@sandplot-started-${randomBytes(8).toString('hex')}@@`;
  return { code: throwaway(PROBE_SOURCE, token, mark), mark };
}

/** What the probe printed: true (started), false (never started), undefined (no answer). */
export function readProbe(stdout: string, mark: string): boolean | undefined {
  const at = stdout.lastIndexOf(mark);
  if (at === -1) return undefined;
  const answer = stdout.slice(at + mark.length).trim();
  if (answer.startsWith('started')) return true;
  if (answer.startsWith('absent')) return false;
  return undefined;
}
