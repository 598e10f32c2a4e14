import { BackendError, InvalidInputError } from '../../errors/index.js';
import type { SandboxFile } from '../types.js';
import type { SessionFileContent, SessionFileEntry } from './agentcore-session-types.js';
import type { InvokeTool } from './invoke-outcomes.js';
import type { StreamResource } from './stream-result.js';

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

/**
 * Reads several files in one call (tool `readFiles`), byte for byte, in the order asked. Each
 * file is found by its resource's `uri`, not by its position. An empty file comes back as zero
 * bytes: the service sends no content block for one. A missing file is `FILE_NOT_FOUND`, whether
 * the service says so with an error result, a text block, or ResourceNotFoundException.
 */
export async function readFiles(
  invoke: InvokeTool,
  paths: string[],
  abortSignal: AbortSignal | undefined,
): Promise<SessionFileContent[]> {
  const relative = paths.map(relativePath);
  const outcome = await invoke('readFiles', { paths: relative }, abortSignal);
  const missing = (detail: string) =>
    new BackendError(`agentCoreBackend: cannot read ${relative.join(', ')}: ${detail}`, {
      code: 'FILE_NOT_FOUND',
    });
  if (outcome.isError) throw missing(outcome.texts.join(' ') || outcome.stderr || 'no detail');
  const byPath = matchResources(relative, outcome.resources);
  return relative.map((path) => {
    const resource = byPath.get(path);
    if (resource === undefined) {
      // No block for the file: an empty file, unless the service said in prose it is missing.
      const said = outcome.texts.find((text) => text.includes(path) && NOT_FOUND.test(text));
      if (said !== undefined) throw missing(said);
      return { path, data: new Uint8Array(0) };
    }
    return { path, data: resource.blob ?? new TextEncoder().encode(resource.text ?? '') };
  });
}

const NOT_FOUND = /not found|no such file|does not exist|cannot find|failed to read/i;

/** The resource of each path, by `uri` (`file://` + the path, or an absolute path ending in it). */
function matchResources(paths: string[], resources: StreamResource[]): Map<string, StreamResource> {
  const byPath = new Map<string, StreamResource>();
  const unmatched: StreamResource[] = [];
  for (const resource of resources) {
    const uriPath = decodeUri(resource.uri);
    const path =
      uriPath === undefined
        ? undefined
        : paths.find(
            (candidate) =>
              !byPath.has(candidate) &&
              (uriPath === candidate ||
                uriPath === `./${candidate}` ||
                uriPath.endsWith(`/${candidate}`)),
          );
    if (path === undefined) unmatched.push(resource);
    else byPath.set(path, resource);
  }
  // Resources without a usable uri fill the remaining paths in order, when the counts agree.
  const remaining = paths.filter((path) => !byPath.has(path));
  if (unmatched.length > 0 && unmatched.length === remaining.length) {
    remaining.forEach((path, index) => {
      byPath.set(path, unmatched[index] as StreamResource);
    });
  }
  return byPath;
}

function decodeUri(uri: string | undefined): string | undefined {
  if (uri === undefined) return undefined;
  const path = uri.replace(/^file:\/\//, '');
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
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
