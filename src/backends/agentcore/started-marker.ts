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

/**
 * Binds `d`, the marker folder, in the throwaway namespace of the statements below, and `fresh`:
 * whether this interpreter had not run one of them before.
 */
const FOLDER_SOURCE = `import os, sys, types
m = sys.modules.get('${MODULE}')
fresh = m is None
if fresh:
    m = types.ModuleType('${MODULE}')
    m.base = os.getcwd()
    sys.modules['${MODULE}'] = m
d = os.path.join(m.base, ${JSON.stringify(STARTED_FOLDER)})
`;

// A new interpreter says so first thing on stdout (MARK, stripped by the host): the service
// replaces an interpreter that died inside a session without telling the client.
const RECORD_SOURCE = `${FOLDER_SOURCE}if fresh and MARK:
    sys.stdout.write(MARK + '\\n')
    sys.stdout.flush()
os.makedirs(d, exist_ok=True)
old = sorted(os.scandir(d), key=lambda e: e.stat(follow_symlinks=False).st_mtime_ns)
for e in old[:max(0, len(old) - ${KEPT_MARKERS - 1})]:
    try:
        os.remove(e.path)
    except OSError:
        pass
open(os.path.join(d, TOKEN), 'w').close()
`;

// The probe only looks: it leaves a new interpreter new, so the call repeated after it still
// reports the replacement.
const PROBE_SOURCE = `import os, sys
m = sys.modules.get('${MODULE}')
d = os.path.join(m.base if m is not None else os.getcwd(), ${JSON.stringify(STARTED_FOLDER)})
print(MARK + ('started' if os.path.exists(os.path.join(d, TOKEN)) else 'absent'))
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
 * the statement raises, and the user's code does not run: never run without a record. With
 * `freshMark`, an interpreter running its first such statement prints that mark on a line of its
 * own before anything else (see {@link takeFreshMark}).
 */
export function withStartRecord(code: string, token: string, freshMark = ''): string {
  return `${throwaway(RECORD_SOURCE, token, freshMark)}${code}`;
}

/** A mark for {@link withStartRecord}, new for each call so earlier output cannot carry it. */
export function createFreshMark(): string {
  return `@@sandplot-fresh-${randomBytes(8).toString('hex')}@@`;
}

/**
 * Whether stdout starts with the fresh-interpreter mark, and stdout without it. The mark is
 * printed before the user's code runs, so it can only be at the start.
 */
export function takeFreshMark(stdout: string, mark: string): { fresh: boolean; stdout: string } {
  const line = `${mark}\n`;
  return stdout.startsWith(line)
    ? { fresh: true, stdout: stdout.slice(line.length) }
    : { fresh: false, stdout };
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
