import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { version } from '../../package.json';
import { ConfigError, SandplotError } from '../errors.js';
import {
  createExecutePythonTool,
  type ExecutePythonSandbox,
  type ExecutePythonToolOptions,
} from '../tool/execute-python.js';
import { createFigureStore } from './mcp/figure-store.js';
import { figureResourceUri, toMcpToolResult } from './mcp/tool-result.js';

/** The sandbox the MCP server runs code in; a CodeSandbox fits. */
export interface McpSandbox extends ExecutePythonSandbox {
  /** Called when the connection closes, unless `closeSandboxOnClose` is false. */
  close?(): Promise<void>;
}

export interface CreateMcpServerOptions extends ExecutePythonToolOptions {
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
   * client, and a sandbox nobody can reach only costs money.
   * @default true
   */
  closeSandboxOnClose?: boolean;
}

const DEFAULT_MAX_CACHED_FIGURE_BYTES = 64 * 1024 * 1024;
const FIGURE_TEMPLATE = 'sandplot://figures/{ref}';

const serverOptionsSchema = z.object({
  serverInfo: z.object({ name: z.string().min(1), version: z.string().min(1) }).optional(),
  instructions: z.string().optional(),
  figureResources: z.boolean().optional(),
  maxCachedFigureBytes: z.number().int().nonnegative().optional(),
  resourceLinks: z.boolean().optional(),
  closeSandboxOnClose: z.boolean().optional(),
});

/**
 * An MCP server (`McpServer` of @modelcontextprotocol/sdk) with the execute_python tool, and the
 * session's figures as resources. Connect it to any transport: `await server.connect(new
 * StdioServerTransport())`. Tool results are the text, the figures as `image` content (base64)
 * and `resource_link`s to http(s) figure URLs; `isError` when the Python raised, the input was
 * invalid or the sandbox failed. When the connection closes the sandbox is closed (see
 * `closeSandboxOnClose`). See docs/mcp.md.
 */
export function createMcpServer(
  sandbox: McpSandbox,
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
  const parsed = serverOptionsSchema.safeParse({
    serverInfo,
    instructions,
    figureResources,
    maxCachedFigureBytes,
    resourceLinks,
    closeSandboxOnClose,
  });
  if (!parsed.success) {
    throw new ConfigError(
      `Invalid createMcpServer options: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}.`,
      { cause: parsed.error },
    );
  }
  const tool = createExecutePythonTool(sandbox, toolOptions);
  const serveFigures = figureResources ?? true;
  const store = createFigureStore(
    tool.ledger,
    maxCachedFigureBytes ?? DEFAULT_MAX_CACHED_FIGURE_BYTES,
  );

  const server = new McpServer(serverInfo ?? { name: 'sandplot', version }, {
    ...(instructions === undefined ? {} : { instructions }),
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
      const output = await tool.invoke(input, { abortSignal: extra.signal });
      if (serveFigures) {
        store.remember(output);
        if (output.figures.length > 0) server.sendResourceListChanged();
      }
      return toMcpToolResult(output, {
        resourceLinks: resourceLinks ?? true,
        figureResources: serveFigures,
      });
    },
  );

  if (serveFigures) {
    server.registerResource(
      'figures',
      new ResourceTemplate(FIGURE_TEMPLATE, {
        list: () => ({
          resources: tool.ledger.figures.map((figure) => ({
            uri: figureResourceUri(figure.ref),
            name: figure.label,
            ...(figure.title ? { title: figure.title } : {}),
            mimeType: figure.mediaType,
            size: figure.byteLength,
            ...(figure.description ? { description: figure.description } : {}),
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
        try {
          const { figure, data } = await store.read(ref, extra.signal);
          return {
            contents: [
              {
                uri: figureResourceUri(ref),
                mimeType: figure.mediaType,
                blob: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
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

  if (closeSandboxOnClose ?? true) {
    const previous = server.server.onclose;
    server.server.onclose = () => {
      previous?.();
      // Failures to stop are the sandbox's to report; a closed connection has nobody to tell.
      sandbox.close?.().catch(() => undefined);
    };
  }
  return server;
}
