import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { errorMessage } from '../../errors/index.js';
import { type FigureBytesTarget, readFigureBytes } from '../../tool/figure-bytes.js';
import type { LedgerFile } from '../../tool/figure-ledger.js';
import { toBase64 } from '../shared/image-base64.js';

const FILE_TEMPLATE = 'sandplot://files/{path}';
const FETCH_TIMEOUT_MS = 30_000;
const MAX_NAME_CHARS = 200;

/** The URI of a written file's resource: its path, percent-encoded as one segment. */
export function fileResourceUri(path: string): string {
  return `sandplot://files/${encodeURIComponent(path)}`;
}

/** A file's path as a resource name: no control characters, clipped. */
export function fileResourceName(path: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are dropped
  return path.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').slice(0, MAX_NAME_CHARS);
}

type RequestExtra = Parameters<
  ConstructorParameters<typeof ResourceTemplate>[1]['list'] & object
>[0];

/**
 * Serves the files execute_python wrote as `sandplot://files/{path}` resources of the session (or
 * of the conversation, on a pool): listed with their type and size, read back from where the sink
 * stored them.
 */
export function registerFileResources(
  server: McpServer,
  filesOf: (extra: RequestExtra) => readonly LedgerFile[],
): void {
  server.registerResource(
    'files',
    new ResourceTemplate(FILE_TEMPLATE, {
      list: (extra) => ({
        resources: filesOf(extra).map((file) => ({
          uri: fileResourceUri(file.path),
          name: fileResourceName(file.path),
          title: fileResourceName(file.path),
          mimeType: file.mediaType,
          size: file.byteLength,
        })),
      }),
    }),
    {
      title: 'Files',
      description: 'The files the Python code wrote in this session, by path.',
    },
    async (uri, variables, extra) => {
      const path = decodeURIComponent(String(variables.path));
      const file = filesOf(extra).find((entry) => entry.path === path);
      if (!file) throw new McpError(ErrorCode.InvalidParams, `Resource ${uri.href} not found.`);
      const target = {
        url: file.url,
        mediaType: file.mediaType,
        ...(file.localPath === undefined ? {} : { path: file.localPath }),
      } as FigureBytesTarget;
      let read: Awaited<ReturnType<typeof readFigureBytes>>;
      try {
        read = await readFigureBytes(target, {
          maxBytes: file.byteLength,
          fetchRemote: true,
          abortSignal: extra.signal,
          timeoutMs: FETCH_TIMEOUT_MS,
        });
      } catch (error) {
        if (extra.signal.aborted) throw error;
        throw new McpError(
          ErrorCode.InvalidParams,
          `The bytes of ${uri.href} could not be read: ${errorMessage(error)}`,
        );
      }
      if (!read) {
        throw new McpError(ErrorCode.InvalidParams, `The bytes of ${uri.href} are gone.`);
      }
      return {
        contents: [
          { uri: fileResourceUri(file.path), mimeType: file.mediaType, blob: toBase64(read.data) },
        ],
      };
    },
  );
}
