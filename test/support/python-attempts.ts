// Python that tries what a sandbox must refuse and prints how each try ended, for the isolation
// tests and the hostile reliability cases.

/** Python that prints one line per attempt: the attempt, then "ok" or the exception's name. */
export function attempts(lines: Record<string, string>): string {
  return Object.entries(lines)
    .map(
      ([name, statement]) =>
        `try:\n    ${statement}\n    print(${JSON.stringify(name)}, "ok")\nexcept Exception as error:\n    print(${JSON.stringify(name)}, type(error).__name__)`,
    )
    .join('\n');
}

/** The lines `attempts()` printed, as attempt → "ok" or the exception's name. */
export function outcomes(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string]),
  );
}

/**
 * Python that forks up to `forks` children (each sleeps 5 s) and stops at the first OSError,
 * prints `report` (a Python expression list that may use `children`, the pids, and `failure`,
 * the error's name or None), then kills and reaps the children.
 */
export function forkUntilRefused(forks: number, report: string): string {
  return `import os, time
children, failure = [], None
for _ in range(${forks}):
    try:
        pid = os.fork()
    except OSError as error:
        failure = type(error).__name__
        break
    if pid == 0:
        time.sleep(5)
        os._exit(0)
    children.append(pid)
print(${report})
for pid in children:
    os.kill(pid, 9)
    os.waitpid(pid, 0)`;
}
