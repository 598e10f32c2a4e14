import { parseArgs } from 'node:util';
import { ConfigError, errorMessage, InvalidInputError } from '../errors/index.js';
import { terminalLine } from '../internal/terminal-safe.js';
import { CodeSandbox } from '../sandbox/code-sandbox.js';
import { backendArgumentOptions, backendFromOptions, backendUsage } from './backend-option.js';
import { sinkArgumentOptions, sinkFromOptions, sinkUsage } from './sink-option.js';

export const mcpUsage = `Usage: sandplot mcp [options]

Serves the execute_python tool over MCP on standard input/output, for MCP clients (Claude
Desktop, IDEs, agent frameworks). One sandbox session per connection, closed when the client
disconnects. Standard output is the protocol; messages go to standard error.

Options:
${sinkUsage.replace('(default: dir:figures)', '(default: base64)')}
  --images auto|always|never figures as image content: auto attaches the bytes at hand,
                             always also downloads S3 figures (default: auto)
  --format png|svg|jpeg      figure format (default: png)
  --timeout SECONDS          interrupt code after this long (default: 120)
${backendUsage}
  -h, --help                 show this help`;

/** Time the sandbox gets to stop its session after the client left, before the process exits anyway. */
const CLOSE_GRACE_MS = 10_000;

/**
 * `sandplot mcp`: serves until the client disconnects (standard input ends) or a SIGINT/SIGTERM
 * arrives, then closes the sandbox session and returns the exit code.
 */
export async function mcpCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...sinkArgumentOptions,
      // The client chooses the working directory (often / for desktop apps): keep figures in memory
      // unless a folder is named.
      sink: { type: 'string', default: 'base64' },
      images: { type: 'string', default: 'auto' },
      format: { type: 'string', default: 'png' },
      timeout: { type: 'string' },
      ...backendArgumentOptions,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    // Asked for by a person at a terminal, not a client: stdout is not the protocol yet.
    process.stdout.write(`${mcpUsage}\n`);
    return 0;
  }
  if (positionals.length > 0) {
    throw new InvalidInputError(
      `sandplot mcp takes no arguments, got ${JSON.stringify(positionals[0])}.\n\n${mcpUsage}`,
    );
  }
  const images = values.images;
  if (images !== 'auto' && images !== 'always' && images !== 'never') {
    throw new ConfigError(`--images must be auto, always or never, not ${JSON.stringify(images)}.`);
  }
  const format = values.format;
  if (format !== 'png' && format !== 'svg' && format !== 'jpeg') {
    throw new ConfigError(`--format must be png, svg or jpeg, not ${JSON.stringify(format)}.`);
  }
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      throw new ConfigError(
        `--timeout takes a positive number of seconds, not ${JSON.stringify(values.timeout)}.`,
      );
    }
    timeoutMs = Math.round(seconds * 1000);
  }
  const { createMcpServer, StdioServerTransport } = await loadMcp();
  const backend = await backendFromOptions(values);
  const sandbox = new CodeSandbox({
    backend,
    imageSink: await sinkFromOptions(values),
    capture: { format },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  const server = createMcpServer(sandbox, { imagesForModel: images });
  const log = (message: string) => process.stderr.write(`sandplot mcp: ${terminalLine(message)}\n`);

  let stopped: (reason: string) => void = () => undefined;
  const stop = new Promise<string>((resolve) => {
    stopped = resolve;
  });
  const onEnd = () => stopped('the client disconnected');
  const onSigint = () => stopped('received SIGINT');
  const onSigterm = () => stopped('received SIGTERM');
  // StdioServerTransport does not watch for the end of standard input: a client that goes away
  // would otherwise leave this process, and its sandbox session, running.
  process.stdin.once('end', onEnd);
  process.stdin.once('close', onEnd);
  process.stdout.once('error', onEnd);
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
  server.server.onerror = (error) => log(`protocol error: ${errorMessage(error)}`);

  try {
    await server.connect(new StdioServerTransport());
    log(
      `serving execute_python over stdio (${sandbox.backendName} backend); the session starts at the first call`,
    );
    const reason = await stop;
    log(`${reason}; closing the sandbox session`);
  } finally {
    process.stdin.off('end', onEnd);
    process.stdin.off('close', onEnd);
    process.stdout.off('error', onEnd);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
  // A hung stop (network gone) must not keep a dead server around forever.
  const grace = setTimeout(() => {
    log(`the sandbox did not close within ${CLOSE_GRACE_MS / 1000} s; exiting`);
    process.exit(1);
  }, CLOSE_GRACE_MS);
  grace.unref();
  let code = 0;
  try {
    await server.close();
    await sandbox.close();
    log('sandbox session closed');
  } catch (error) {
    log(`closing the sandbox failed: ${errorMessage(error)}`);
    code = 1;
  } finally {
    clearTimeout(grace);
  }
  // Idle keep-alive sockets of the AWS SDK can hold the event loop open after the session stopped.
  setTimeout(() => process.exit(code), 1_000).unref();
  return code;
}

/** Loaded on demand so the other commands start without the MCP SDK (an optional peer). */
async function loadMcp() {
  try {
    const [{ createMcpServer }, { StdioServerTransport }] = await Promise.all([
      import('../adapters/mcp.js'),
      import('@modelcontextprotocol/sdk/server/stdio.js'),
    ]);
    return { createMcpServer, StdioServerTransport };
  } catch (error) {
    throw new ConfigError(
      `sandplot mcp needs the MCP SDK: npm install @modelcontextprotocol/sdk (${errorMessage(error)}).`,
      { code: 'BACKEND_UNAVAILABLE', cause: error },
    );
  }
}
