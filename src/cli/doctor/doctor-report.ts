/**
 * One line of `sandplot doctor`: what was checked, what it found, and how to fix a failure.
 * - `pass`: works as the library needs;
 * - `warn`: works, but something optional is missing, or the service behaves differently from
 *   what the emulator assumes (the library copes with both; the emulator may need correcting);
 * - `fail`: something the library needs does not work (the exit code is 1);
 * - `skip`: not checked, because an earlier check it needs failed.
 */
export interface DoctorCheck {
  name: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  found: string;
  fix?: string;
}

/** Keeps checks in order and skips the rest once a check they depend on failed. */
export class DoctorChecks {
  readonly list: DoctorCheck[] = [];

  add(check: DoctorCheck): DoctorCheck {
    const clean: DoctorCheck = { ...check, found: printable(check.found) };
    if (check.fix !== undefined) clean.fix = printable(check.fix);
    this.list.push(clean);
    return clean;
  }

  /**
   * Runs `check`; a throw becomes a `fail` with the error's message and `fix`. Returns whether
   * it passed (or warned).
   */
  async run(
    name: string,
    fix: string,
    check: () => Promise<Omit<DoctorCheck, 'name'>>,
  ): Promise<boolean> {
    try {
      const outcome = await check();
      return this.add({ name, ...outcome }).status !== 'fail';
    } catch (error) {
      this.add({ name, status: 'fail', found: errorText(error), fix });
      return false;
    }
  }

  skip(names: string[], because: string): void {
    for (const name of names) this.add({ name, status: 'skip', found: `not checked: ${because}` });
  }

  get ok(): boolean {
    return this.list.every((check) => check.status !== 'fail');
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

const MAX_FOUND = 300;

/**
 * What a check found may come from the sandbox or the service: control characters are shown
 * escaped, never sent to the terminal, and the text is bounded.
 */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it escapes.
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (character) =>
    character === '\n'
      ? '\\n'
      : character === '\r'
        ? '\\r'
        : character === '\t'
          ? '\\t'
          : `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return escaped.length > MAX_FOUND ? `${escaped.slice(0, MAX_FOUND)}…` : escaped;
}

const MARKS: Record<DoctorCheck['status'], string> = {
  pass: 'ok',
  warn: 'warn',
  fail: 'FAIL',
  skip: 'skip',
};

/** The checks as a table (check | result | found), with each fix on a line of its own. */
export function formatTable(title: string, checks: DoctorCheck[]): string {
  const nameWidth = Math.max(5, ...checks.map((check) => check.name.length));
  const lines = [title, '', `${'check'.padEnd(nameWidth)}  result  found`];
  lines.push(`${'-'.repeat(nameWidth)}  ------  ${'-'.repeat(40)}`);
  for (const check of checks) {
    lines.push(`${check.name.padEnd(nameWidth)}  ${MARKS[check.status].padEnd(6)}  ${check.found}`);
    if (check.fix !== undefined && check.status !== 'pass') {
      lines.push(`${' '.repeat(nameWidth)}          fix: ${check.fix}`);
    }
  }
  const count = (status: DoctorCheck['status']) =>
    checks.filter((check) => check.status === status).length;
  lines.push(
    '',
    `${count('pass')} ok, ${count('warn')} warnings, ${count('fail')} failed, ${count('skip')} skipped`,
  );
  return `${lines.join('\n')}\n`;
}
