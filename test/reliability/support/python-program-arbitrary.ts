import fc from 'fast-check';

/** A generated Python program and what running it must show. */
export interface PythonProgram {
  code: string;
  /** Exactly what the program prints to stdout. */
  stdout: string;
  /** Titles of the figures it makes, in order (undefined: no title). */
  figureTitles: (string | undefined)[];
  /** The exception it ends with: a SyntaxError names its line. */
  error?: { name: 'SyntaxError'; line: number } | { name: 'ValueError'; value: string };
}

interface Statement {
  lines: string[];
  stdout: string;
  figureTitles: (string | undefined)[];
}

// JSON string syntax is Python string syntax, for text without lone surrogates.
const pythonString = (text: string): string => JSON.stringify(text);

// Printed text: any unicode, quotes, backslashes, things that look like markers.
const printable = fc.oneof(
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 4 },
  {
    arbitrary: fc.constantFrom(
      '"""',
      "'''",
      '\\',
      '\\n is not a newline',
      '\r\n',
      '\r',
      '\t',
      '\0',
      'Ünïcödé 📈 ✓',
      '@@sandplot:',
      '@@sandplot:fedcba9876543210fedcba9876543210:figure:e30=:\n',
      '@@sandplot:0123456789abcdef0123456789abcdef:error:e30=:',
    ),
    weight: 2,
  },
  {
    arbitrary: fc
      .tuple(fc.stringMatching(/^[0-9a-f]{32}$/), fc.constantFrom('figure', 'error', 'problem'))
      .map(([nonce, kind]) => `@@sandplot:${nonce}:${kind}:e30=:`),
    weight: 1,
  },
);

// Source text where Python reads it as is: a comment or a triple-quoted string's body.
// Control characters, backslashes and line separators become spaces: Python reads '\r' as a line
// break, and a NUL is refused in source.
const sourceText = fc
  .string({ unit: 'grapheme', maxLength: 40 })
  .map((text) =>
    Array.from(text, (char) =>
      char.charCodeAt(0) < 0x20 || '\\\u0085\u2028\u2029'.includes(char) ? ' ' : char,
    ).join(''),
  );

// Titles without '$': matplotlib reads text between dollars as mathtext.
const figureTitle = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((text) => text.replaceAll('$', 'S')),
  fc.constantFrom('', 'Ünïcödé 📈', 'a\nb', 'quotes " \' \\'),
);

const print = printable.map(
  (text): Statement => ({
    lines: [`print(${pythonString(text)})`],
    stdout: `${text}\n`,
    figureTitles: [],
  }),
);
const printNoNewline = printable.map(
  (text): Statement => ({
    lines: [`print(${pythonString(text)}, end='')`],
    stdout: text,
    figureTitles: [],
  }),
);
const write = printable.map(
  (text): Statement => ({
    lines: [`__import__('sys').stdout.write(${pythonString(text)})`],
    stdout: text,
    figureTitles: [],
  }),
);
const loop = fc.tuple(printable, fc.integer({ min: 0, max: 3 })).map(
  ([text, count]): Statement => ({
    lines: [`for _ in range(${count}):`, `    print(${pythonString(text)})`],
    stdout: `${text}\n`.repeat(count),
    figureTitles: [],
  }),
);
const assignAndPrint = printable.map(
  (text): Statement => ({
    lines: [`café_valeur = ${pythonString(text)}`, 'print(café_valeur)'],
    stdout: `${text}\n`,
    figureTitles: [],
  }),
);
const comment = sourceText.map(
  (text): Statement => ({ lines: [`# ${text}`], stdout: '', figureTitles: [] }),
);
const tripleQuoted = fc
  .array(sourceText, { minLength: 1, maxLength: 3 })
  .map((lines): Statement => {
    const body = lines.map((line) => line.replaceAll('"', "'"));
    body[0] = `"""${body[0]}`;
    body[body.length - 1] = `${body[body.length - 1]} """`;
    return { lines: body, stdout: '', figureTitles: [] };
  });
const figure = figureTitle.map(
  (title): Statement => ({
    lines: [
      'import matplotlib.pyplot as plt',
      'plt.figure(figsize=(1.2, 0.8))',
      'plt.plot([0, 1, 0])',
      `plt.title(${pythonString(title)})`,
    ],
    stdout: '',
    figureTitles: [title === '' ? undefined : title],
  }),
);
const show = fc.constant<Statement>({
  lines: ['import matplotlib.pyplot as plt', 'plt.show()'],
  stdout: '',
  figureTitles: [],
});

const statement = fc.oneof(
  { arbitrary: print, weight: 3 },
  { arbitrary: printNoNewline, weight: 2 },
  { arbitrary: write, weight: 1 },
  { arbitrary: loop, weight: 1 },
  { arbitrary: assignAndPrint, weight: 1 },
  { arbitrary: comment, weight: 2 },
  { arbitrary: tripleQuoted, weight: 1 },
  { arbitrary: figure, weight: 3 },
  { arbitrary: show, weight: 1 },
);

// Each is a parse error on its own line, whatever comes before or after it.
const syntaxErrorLine = fc.constantFrom(
  'x = = 1',
  'def broken(:',
  'for in range(3): pass',
  'class:',
  '1 + * 2',
  'print("unbalanced"))',
);

/** `arbitrary`'s value in one program of eight, else undefined. */
function sometimes<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: 7 }, { arbitrary, weight: 1 });
}

/**
 * Programs from a small grammar: prints, comments, docstrings, loops, figures, `plt.show()`, a
 * `from __future__` import at the top (valid) or further down (a SyntaxError), a line that does
 * not parse, a final `raise`.
 */
export function pythonProgram(): fc.Arbitrary<PythonProgram> {
  return fc
    .record({
      futureAtTop: fc.boolean(),
      leadingComment: fc.boolean(),
      statements: fc.array(statement, { minLength: 1, maxLength: 7 }),
      misplacedFuture: sometimes(fc.nat()),
      syntaxError: sometimes(fc.tuple(fc.nat(), syntaxErrorLine)),
      raise: sometimes(printable),
    })
    .map((shape) => {
      const lines: string[] = [];
      let stdout = '';
      const figureTitles: (string | undefined)[] = [];
      let syntaxErrorAt: number | undefined;
      let futureErrorAt: number | undefined;
      if (shape.leadingComment) lines.push('# -*- the first line is a comment -*-');
      if (shape.futureAtTop) lines.push('from __future__ import annotations');
      const count = shape.statements.length;
      shape.statements.forEach((each, position) => {
        if (shape.syntaxError !== undefined && shape.syntaxError[0] % count === position) {
          lines.push(shape.syntaxError[1]);
          syntaxErrorAt = lines.length;
        }
        lines.push(...each.lines);
        stdout += each.stdout;
        figureTitles.push(...each.figureTitles);
        if (shape.misplacedFuture !== undefined && shape.misplacedFuture % count === position) {
          // After an assignment: right after a docstring, a __future__ import is valid.
          lines.push('placed_before_future = 1', 'from __future__ import division');
          futureErrorAt = lines.length;
        }
      });
      if (shape.raise !== undefined) lines.push(`raise ValueError(${pythonString(shape.raise)})`);
      const code = `${lines.join('\n')}\n`;
      // A parse error wins over a misplaced __future__ import, which the compiler finds later.
      const errorLine = syntaxErrorAt ?? futureErrorAt;
      if (errorLine !== undefined) {
        return {
          code,
          stdout: '',
          figureTitles: [],
          error: { name: 'SyntaxError', line: errorLine },
        };
      }
      const program: PythonProgram = { code, stdout, figureTitles };
      if (shape.raise !== undefined) program.error = { name: 'ValueError', value: shape.raise };
      return program;
    });
}
