import type { BackendSession } from '../../backends/types.js';
import type { CommandOutput } from './emulator-options.js';
import { collect, runHelper } from './python-helper.js';

/** A tool result as JSON on the wire (blobs already base64), the `result` event payload. */
export interface ResultPayload {
  content: Record<string, unknown>[];
  structuredContent?: Record<string, unknown>;
  isError: boolean;
}

/** The arguments of InvokeCodeInterpreter as JSON on the wire. */
export interface ToolArgumentsJson {
  code?: string;
  language?: string;
  clearContext?: boolean;
  command?: string;
  path?: string;
  paths?: string[];
  directoryPath?: string;
  content?: { path?: string; text?: string; blob?: string }[];
  taskId?: string;
}

/**
 * The service's working directory is a deep path and takes paths relative to it; an absolute
 * path is joined onto it ("doubled"), which is what stripping the leading slash reproduces.
 */
export function emulatedPath(path: string): string {
  return path.replace(/^\/+/, '');
}

/** A result of one text block. */
export function textResult(text: string, isError = false): ResultPayload {
  return { content: [{ type: 'text', text }], isError };
}

const COMMAND_SOURCE = `import subprocess
if ARGS['terminal']:
    r = subprocess.run(ARGS['command'], shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors='replace', cwd=BASE)
    print(MARK + json.dumps({'stdout': r.stdout.replace('\\n', '\\r\\n'), 'stderr': '', 'exitCode': 0}))
else:
    r = subprocess.run(ARGS['command'], shell=True, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors='replace', cwd=BASE)
    print(MARK + json.dumps({'stdout': r.stdout, 'stderr': r.stderr, 'exitCode': r.returncode}))
`;

const LIST_SOURCE = `import os
d = ARGS['path']
try:
    entries = []
    for e in sorted(os.scandir(os.path.join(BASE, d)), key=lambda e: e.name):
        st = e.stat(follow_symlinks=False)
        entries.append({'name': e.name, 'path': e.name if d == '.' else os.path.join(d, e.name), 'isDir': e.is_dir(follow_symlinks=False), 'size': st.st_size})
    print(MARK + json.dumps({'entries': entries}))
except OSError as error:
    print(MARK + json.dumps({'error': f'{type(error).__name__}: {error.strerror}: {d}'}))
`;

const REMOVE_SOURCE = `import os, shutil
removed, failed = [], []
for p in ARGS['paths']:
    target = os.path.join(BASE, p)
    try:
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)
        else:
            os.remove(target)
        removed.append(p)
    except OSError as error:
        failed.append(f'{p}: {error.strerror}')
print(MARK + json.dumps({'removed': removed, 'failed': failed}))
`;

export async function executeCode(session: BackendSession, code: string): Promise<ResultPayload> {
  const started = performance.now();
  const run = await collect(session, code);
  const stderr = run.crashed ? `${run.stderr}${run.crashed}\n` : run.stderr;
  const exitCode = run.exitCode ?? 1;
  const isError = exitCode !== 0 || run.crashed !== undefined;
  return {
    content: [{ type: 'text', text: isError ? `${run.stdout}${stderr}` : run.stdout }],
    structuredContent: {
      stdout: run.stdout,
      stderr,
      exitCode,
      // Milliseconds, as the service model documents executionTime.
      executionTime: performance.now() - started,
    },
    isError,
  };
}

export async function executeCommand(
  session: BackendSession,
  command: string,
  commandOutput: CommandOutput = 'separate',
): Promise<ResultPayload> {
  const started = performance.now();
  const run = (await runHelper(session, COMMAND_SOURCE, {
    command,
    terminal: commandOutput === 'terminal',
  })) as {
    stdout: string;
    stderr: string;
    exitCode: number;
  };
  return {
    content: [{ type: 'text', text: `${run.stdout}${run.stderr}` }],
    structuredContent: {
      stdout: run.stdout,
      stderr: run.stderr,
      exitCode: run.exitCode,
      executionTime: performance.now() - started,
    },
    isError: run.exitCode !== 0,
  };
}

function isText(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const MIME_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  svg: 'image/svg+xml',
  csv: 'text/csv',
  json: 'application/json',
  txt: 'text/plain',
  py: 'text/x-python',
};

function mimeTypeOf(path: string): string | undefined {
  return MIME_TYPES[path.split('.').pop()?.toLowerCase() ?? ''];
}

export async function readFiles(session: BackendSession, paths: string[]): Promise<ResultPayload> {
  const content: Record<string, unknown>[] = [];
  for (const path of paths) {
    let bytes: Uint8Array;
    try {
      bytes = await session.readFile(emulatedPath(path));
    } catch (error) {
      return textResult(`Failed to read ${path}: ${(error as Error).message}`, true);
    }
    // The service sends no content block for an empty file (AWS's TypeScript SDK reads a missing
    // block as zero bytes).
    if (bytes.length === 0) continue;
    const mimeType = mimeTypeOf(path);
    const text = isText(bytes);
    content.push({
      type: 'resource',
      resource: {
        type: text ? 'text' : 'blob',
        uri: `file://${path}`,
        ...(mimeType === undefined ? {} : { mimeType }),
        ...(text
          ? { text: new TextDecoder().decode(bytes) }
          : { blob: Buffer.from(bytes).toString('base64') }),
      },
    });
  }
  return { content, isError: false };
}

export async function writeFiles(
  session: BackendSession,
  files: NonNullable<ToolArgumentsJson['content']>,
): Promise<ResultPayload> {
  try {
    await session.writeFiles(
      files.map((file) => ({
        path: emulatedPath(file.path ?? ''),
        content:
          file.blob !== undefined
            ? new Uint8Array(Buffer.from(file.blob, 'base64'))
            : (file.text ?? ''),
      })),
    );
  } catch (error) {
    return textResult(`Failed to write files: ${(error as Error).message}`, true);
  }
  return textResult(`Successfully wrote ${files.length} file${files.length === 1 ? '' : 's'}`);
}

export async function listFiles(
  session: BackendSession,
  directory: string,
): Promise<ResultPayload> {
  const listing = (await runHelper(session, LIST_SOURCE, {
    path: emulatedPath(directory) || '.',
  })) as {
    entries?: { name: string; path: string; isDir: boolean; size: number }[];
    error?: string;
  };
  if (listing.error !== undefined) return textResult(listing.error, true);
  return {
    content: (listing.entries ?? []).map((entry) => ({
      type: 'resource_link',
      uri: `file://${entry.path}`,
      name: entry.name,
      description: entry.isDir ? 'Directory' : 'File',
      ...(entry.isDir ? {} : { size: entry.size }),
      ...(mimeTypeOf(entry.name) === undefined ? {} : { mimeType: mimeTypeOf(entry.name) }),
    })),
    isError: false,
  };
}

export async function removeFiles(
  session: BackendSession,
  paths: string[],
): Promise<ResultPayload> {
  const outcome = (await runHelper(session, REMOVE_SOURCE, {
    paths: paths.map(emulatedPath),
  })) as { removed: string[]; failed: string[] };
  if (outcome.failed.length > 0) {
    return textResult(`Failed to remove: ${outcome.failed.join('; ')}`, true);
  }
  return textResult(`Successfully removed ${outcome.removed.length} file(s)`);
}
