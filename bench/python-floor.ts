import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

/**
 * The floor for a warm sandbox: one plain Python process (no bubblewrap, no control protocol)
 * that execs whatever it is sent in `__main__` and answers with a done line.
 */
const driver = `
import sys, __main__
out = sys.stdout
while True:
    header = sys.stdin.buffer.readline()
    if not header:
        break
    code = sys.stdin.buffer.read(int(header)).decode()
    exec(compile(code, "<cell>", "exec"), __main__.__dict__)
    out.write("\\n\\x00done\\n")
    out.flush()
`;

export interface PlainPython {
  run(code: string): Promise<void>;
  close(): void;
}

export function startPlainPython(pythonPath = '/usr/bin/python3'): PlainPython {
  const child: ChildProcessWithoutNullStreams = spawn(pythonPath, ['-u', '-c', driver], {
    env: { PATH: '/usr/bin:/bin', MPLBACKEND: 'agg', LANG: 'C.UTF-8' },
  });
  let pending: (() => void) | undefined;
  let buffer = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    if (buffer.endsWith('\n\x00done\n')) {
      buffer = '';
      pending?.();
    } else if (buffer.length > 1_000_000) {
      buffer = buffer.slice(-16);
    }
  });
  child.stderr.resume();
  return {
    run(code) {
      return new Promise((resolve) => {
        pending = resolve;
        const bytes = Buffer.from(code, 'utf8');
        child.stdin.write(`${bytes.length}\n`);
        child.stdin.write(bytes);
      });
    },
    close() {
      child.kill();
    },
  };
}
