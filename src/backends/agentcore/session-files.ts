import { BackendError, InvalidInputError } from '../../errors/index.js';
import type { SandboxFile } from '../types.js';
import type { SessionFileContent, SessionFileEntry } from './agentcore-session-types.js';
import type { InvokeTool } from './remote-session.js';

/** Writes files into the session's working directory (tool `writeFiles`). */
export async function writeFiles(
  invoke: InvokeTool,
  files: SandboxFile[],
  abortSignal: AbortSignal | undefined,
): Promise<void> {
  const content = files.map((file) => {
    const path = relativePath(file.path);
    return typeof file.content === 'string'
      ? { path, text: file.content }
      : { path, blob: file.content };
  });
  const outcome = await invoke('writeFiles', { content }, abortSignal);
  if (outcome.isError) {
    throw new BackendError(
      `agentCoreBackend: writeFiles failed: ${outcome.texts.join(' ') || outcome.stderr}`,
    );
  }
}

/** Reads several files in one call (tool `readFiles`), in the order asked, byte for byte. */
export async function readFiles(
  invoke: InvokeTool,
  paths: string[],
  abortSignal: AbortSignal | undefined,
): Promise<SessionFileContent[]> {
  const relative = paths.map(relativePath);
  const outcome = await invoke('readFiles', { paths: relative }, abortSignal);
  if (outcome.isError || outcome.resources.length !== relative.length) {
    const detail = outcome.texts.join(' ') || outcome.stderr || 'no content came back';
    throw new BackendError(`agentCoreBackend: cannot read ${relative.join(', ')}: ${detail}`, {
      code: 'FILE_NOT_FOUND',
    });
  }
  return outcome.resources.map((resource, index) => ({
    path: relative[index] as string,
    data: resource.blob ?? new TextEncoder().encode(resource.text ?? ''),
  }));
}

/** The entries of a folder of the working directory (tool `listFiles`). */
export async function listFiles(
  invoke: InvokeTool,
  directoryPath: string,
  abortSignal: AbortSignal | undefined,
): Promise<SessionFileEntry[]> {
  const outcome = await invoke(
    'listFiles',
    { directoryPath: directoryPath === '' ? '' : relativePath(directoryPath) },
    abortSignal,
  );
  if (outcome.isError) {
    throw new BackendError(
      `agentCoreBackend: cannot list "${directoryPath}": ${outcome.texts.join(' ')}`,
      { code: 'FILE_NOT_FOUND' },
    );
  }
  return outcome.links.map((link) => ({
    path: (link.uri ?? '').replace(/^file:\/\//, ''),
    name: link.name ?? '',
    isDirectory: link.description === 'Directory',
    ...(link.size === undefined ? {} : { sizeBytes: link.size }),
  }));
}

/** Deletes files (tool `removeFiles`). */
export async function removeFiles(
  invoke: InvokeTool,
  paths: string[],
  abortSignal: AbortSignal | undefined,
): Promise<void> {
  const outcome = await invoke('removeFiles', { paths: paths.map(relativePath) }, abortSignal);
  if (outcome.isError) {
    throw new BackendError(`agentCoreBackend: removeFiles failed: ${outcome.texts.join(' ')}`);
  }
}

function relativePath(path: string): string {
  if (path.startsWith('/')) {
    throw new InvalidInputError(
      `AgentCore file paths are relative to the session's working directory; got the absolute path "${path}" (the service would look for it under the working directory).`,
    );
  }
  return path;
}
