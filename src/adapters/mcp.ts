import { randomUUID } from 'node:crypto';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  ErrorCode,
  McpError,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { version } from '../../package.json';
import { SandplotError } from '../errors/index.js';
import { parseOptions } from '../internal/parse-options.js';
import { createExecutePythonTool } from '../tool/execute-python.js';
import type { LedgerFigure } from '../tool/figure-ledger.js';
import {
  type ConversationIdOption,
  type ExecutePythonPool,
  isExecutePythonPool,
  lookUpConversationId,
} from '../tool/pool-target.js';
import type { ExecutePythonSandbox, ExecutePythonToolOptions } from '../tool/tool-types.js';
import { createFigureStore } from './mcp/figure-store.js';
import { registerFileResources } from './mcp/file-resources.js';
import { figureResourceFields, figureResourceUri, toMcpToolResult } from './mcp/tool-result.js';
import { conversationIdIn } from './shared/conversation-id.js';
import { toBase64 } from './shared/image-base64.js';

/** The sandbox the MCP server runs code in; a CodeSandbox fits. */
export interface McpSandbox extends ExecutePythonSandbox {
  /** Called when the connection closes, unless `closeSandboxOnClose` is false. */
  close?(): Promise<void>;
}

/**
 * The sandbox pool an MCP server runs code in, a sandbox per conversation; `createSandboxPool()`
 * fits.
 */
export interface McpPool extends ExecutePythonPool {
  /** Called for each conversation of this server when the connection closes, unless `closeSandboxOnClose` is false. */
  close?(conversationId: string): Promise<void>;
}

/** What `createMcpServer` runs code on: one sandbox, or a pool (a sandbox per conversation). */
export type McpTarget = McpSandbox | McpPool;

/** What the MCP SDK tells a request handler: `sessionId`, `authInfo`, `requestInfo`, `signal`, ... */
export type McpRequestExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * Options of `createMcpServer`: the tool options (with `conversationId` a string or a function of
 * the request's `extra`), plus the server's.
 */
export interface CreateMcpServerOptions extends ExecutePythonToolOptions<McpRequestExtra> {
  /** The name and version the server reports to clients. @default { name: 'sandplot', version: <the sandplot version> } */
  serverInfo?: { name: string; version: string };
  /** Instructions the server gives clients at initialization (many clients show them to the model). @default none */
  instructions?: string;
  /**
   * List the figures made in this session as MCP resources (`sandplot://figures/{n}`, `n` as in
   * "figure n") and serve their bytes on `resources/read`.
   * @default true
   */
  figureResources?: boolean;
  /**
   * Figure bytes kept in memory for resource reads. Figures over it (oldest first) are read again
   * from their file (local-dir sink), `data:` URL (base64 sink) or http(s) URL (S3 sink).
   * @default 67108864 (64 MiB)
   */
  maxCachedFigureBytes?: number;
  /**
   * Add a `resource_link` content block per figure with an http(s) URL, and per figure that was
   * not attached as an image (pointing at its `sandplot://figures/{n}` resource).
   * @default true
   */
  resourceLinks?: boolean;
  /**
   * Close the sandbox (stop its session) when the MCP connection closes: a server serves one
   * client, and a sandbox nobody can reach only costs money. On a pool: close the sandboxes of the
   * conversations this server's requests used (`pool.close(id)`) and forget their figures; the
   * pool and its other conversations are left alone.
   * @default true
   */
  closeSandboxOnClose?: boolean;
}

/**
 * On a pool, the conversation a request belongs to: `extra.sessionId` when the transport has
 * sessions (Streamable HTTP), else `fallback` (one id per server: a stdio server serves one client).
 */
export function mcpConversationId(extra: McpRequestExtra, fallback: string): string {
  return conversationIdIn(extra, 'sessionId') ?? fallback;
}

const MCP_CONVERSATION_ID_HELP =
  'On a pool createMcpServer uses extra.sessionId (Streamable HTTP sessions), else one id per server; the conversationId option given to createMcpServer(pool, { conversationId }) must be a non-empty string or a function of the request extra that returns one.';

const FIGURE_TEMPLATE = 'sandplot://figures/{ref}';

/** The server's own options (the rest are the tool's), with their defaults. */
const serverOptionsSchema = z.object({
  serverInfo: z
    .object({ name: z.string().min(1), version: z.string().min(1) })
    .default({ name: 'sandplot', version }),
  instructions: z.string().optional(),
  figureResources: z.boolean().default(true),
  maxCachedFigureBytes: z
    .number()
    .int()
    .nonnegative()
    .default(64 * 1024 * 1024),
  resourceLinks: z.boolean().default(true),
  closeSandboxOnClose: z.boolean().default(true),
});

/**
 * An MCP server (`McpServer` of @modelcontextprotocol/sdk) with the execute_python tool, and the
 * session's figures as resources. Connect it to any transport: `await server.connect(new
 * StdioServerTransport())`. Tool results are the text, the figures as `image` content (base64)
 * and `resource_link`s to http(s) figure URLs; `isError` when the Python raised, the input was
 * invalid or the sandbox failed. When the connection closes the sandbox is closed (see
 * `closeSandboxOnClose`). With a sandbox pool, each request runs in the sandbox of its
 * conversation (`conversationId`: default `extra.sessionId`, else one id per server), and lists
 * and reads only that conversation's figures. See docs/mcp.md.
 */
export function createMcpServer(
  target: McpTarget,
  options: CreateMcpServerOptions = {},
): McpServer {
  const {
    serverInfo,
    instructions,
    figureResources,
    maxCachedFigureBytes,
    resourceLinks,
    closeSandboxOnClose,
    ...toolOptions
  } = options;
  // The schema keeps only the server's own options: the rest are the tool's, checked by the tool.
  const settings = parseOptions(serverOptionsSchema, options, 'createMcpServer options');
  const pool = isExecutePythonPool(target) ? (target as McpPool) : undefined;
  const fallbackConversationId = `mcp-${randomUUID()}`;
  const conversationOption: ConversationIdOption<McpRequestExtra> | undefined =
    toolOptions.conversationId ??
    (pool ? (extra) => mcpConversationId(extra, fallbackConversationId) : undefined);
  const tool = createExecutePythonTool<McpRequestExtra>(target, {
    ...(pool ? { conversationIdHelp: MCP_CONVERSATION_ID_HELP } : {}),
    ...toolOptions,
    ...(conversationOption === undefined ? {} : { conversationId: conversationOption }),
  });
  const serveFigures = settings.figureResources;
  const store = createFigureStore(
    (conversationId) =>
      conversationId === undefined ? tool.ledger : tool.ledgerFor(conversationId),
    settings.maxCachedFigureBytes,
  );
  // On a pool: the conversations this server's requests used, closed with the connection.
  const conversations = new Set<string>();
  /** The request's conversation on a pool (noted as this server's); undefined on a sandbox or when not found. */
  const conversationOf = (extra: McpRequestExtra): string | undefined => {
    if (!pool) return undefined;
    const found = lookUpConversationId(conversationOption, { context: extra }).conversationId;
    if (found !== undefined) conversations.add(found);
    return found;
  };
  /** The figures a request may see: the sandbox's, or its conversation's on a pool. */
  const figuresOf = (extra: McpRequestExtra): readonly LedgerFigure[] => {
    if (!pool) return tool.figures;
    const conversationId = conversationOf(extra);
    return conversationId === undefined ? [] : tool.figuresFor(conversationId);
  };

  const server = new McpServer(settings.serverInfo, {
    ...(settings.instructions === undefined ? {} : { instructions: settings.instructions }),
  });

  server.registerTool(
    tool.name,
    {
      title: 'Run Python',
      description: tool.description,
      inputSchema: tool.inputSchema,
      annotations: {
        title: 'Run Python',
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    async (input, extra) => {
      const conversationId = conversationOf(extra);
      const output = await tool.invoke(input, {
        abortSignal: extra.signal,
        context: extra,
        ...(conversationId === undefined ? {} : { conversationId }),
      });
      if (serveFigures) {
        store.remember(output, conversationId);
        if (output.figures.length > 0 || (output.result?.files.length ?? 0) > 0) {
          server.sendResourceListChanged();
        }
      }
      return toMcpToolResult(output, {
        resourceLinks: settings.resourceLinks,
        figureResources: serveFigures,
      });
    },
  );

  if (serveFigures) {
    registerFileResources(server, (extra) => {
      if (!pool) return tool.ledger.files;
      const conversationId = conversationOf(extra);
      return conversationId === undefined ? [] : tool.ledgerFor(conversationId).files;
    });
    server.registerResource(
      'figures',
      new ResourceTemplate(FIGURE_TEMPLATE, {
        list: (extra) => ({
          resources: figuresOf(extra).map((figure) => ({
            uri: figureResourceUri(figure.ref),
            ...figureResourceFields(figure),
          })),
        }),
      }),
      {
        title: 'Figures',
        description:
          'The figures execute_python made in this session; sandplot://figures/3 is "figure 3".',
      },
      async (uri, variables, extra) => {
        const ref = Number(variables.ref);
        if (!Number.isInteger(ref) || ref < 1) {
          throw new McpError(ErrorCode.InvalidParams, `Resource ${uri.href} not found.`);
        }
        const conversationId = conversationOf(extra);
        if (pool && conversationId === undefined) {
          throw new McpError(ErrorCode.InvalidParams, `Resource ${uri.href} not found.`);
        }
        try {
          const { figure, data } = await store.read(ref, extra.signal, conversationId);
          return {
            contents: [
              {
                uri: figureResourceUri(ref),
                mimeType: figure.mediaType,
                blob: toBase64(data),
              },
            ],
          };
        } catch (error) {
          if (SandplotError.isInstance(error) && error.code === 'FILE_NOT_FOUND') {
            throw new McpError(ErrorCode.InvalidParams, error.message);
          }
          throw error;
        }
      },
    );
  }

  if (settings.closeSandboxOnClose) {
    const previous = server.server.onclose;
    server.server.onclose = () => {
      previous?.();
      if (!pool) {
        // Failures to stop are the sandbox's to report; a closed connection has nobody to tell.
        (target as McpSandbox).close?.().catch(() => undefined);
        return;
      }
      // Only this server's conversations: the pool serves other clients too.
      for (const conversationId of conversations) {
        pool.close?.(conversationId).catch(() => undefined);
        tool.forgetConversation(conversationId);
        store.forget(conversationId);
      }
      conversations.clear();
    };
  }
  return server;
}
