// A process with a sandbox pool on the AgentCore emulator, run as `node --import tsx --import
// raw-text-hooks.mjs pool-child.ts` by test/support/pool-process.ts. Settings come from
// POOL_CHILD_CONFIG (JSON: endpoint, redisUrl?, pool options). It answers JSON-line requests on
// stdin, several at once, with one JSON line each on stdout:
//   {id, op: 'execute', conversationId, code}       → {id, ok, result: {stdout, isError, errorName, sessionRestarted, sessionId}}
//   {id, op: 'writeFiles', conversationId, files}   → {id, ok}
//   {id, op: 'close', conversationId} | {id, op: 'closeAll'} | {id, op: 'stats'} → {id, ok, stats?}
// A failure answers {id, ok: false, error: {name, code, message, isRetryable}}.
import { createInterface } from 'node:readline';
import { agentCoreBackend } from '../../src/backends/agentcore.js';
import { createSandboxPool, type SandboxPoolOptions } from '../../src/sandbox/pool.js';
import { redisSessionStore } from '../../src/stores/redis.js';

interface ChildConfig {
  endpoint: string;
  redisUrl?: string;
  pool?: Omit<SandboxPoolOptions, 'backend' | 'sessionStore'>;
}

interface Request {
  id: number;
  op: 'execute' | 'writeFiles' | 'close' | 'closeAll' | 'stats';
  conversationId?: string;
  code?: string;
  files?: { path: string; content: string }[];
}

const config = JSON.parse(process.env.POOL_CHILD_CONFIG ?? '{}') as ChildConfig;
const backend = agentCoreBackend({
  retryBaseDelayMs: 5,
  stopOnExit: false,
  clientConfig: {
    region: 'us-west-2',
    endpoint: config.endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' },
  },
});
const store = config.redisUrl ? redisSessionStore({ url: config.redisUrl }) : undefined;
const pool = createSandboxPool({
  backend,
  ...(store ? { sessionStore: store } : {}),
  ...config.pool,
});

const send = (message: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify(message)}\n`);

async function handle(request: Request): Promise<Record<string, unknown>> {
  const conversationId = request.conversationId ?? '';
  switch (request.op) {
    case 'execute': {
      const result = await pool.executePython(conversationId, request.code ?? '');
      return {
        result: {
          stdout: result.stdout,
          isError: result.isError,
          errorName: result.error?.name,
          errorValue: result.error?.value,
          sessionRestarted: result.sessionRestarted ?? false,
          sessionId: (await pool.acquire(conversationId)).sessionId,
        },
      };
    }
    case 'writeFiles':
      await pool.writeFiles(conversationId, request.files ?? []);
      return {};
    case 'close':
      await pool.close(conversationId);
      return {};
    case 'closeAll':
      await pool.closeAll();
      await store?.close();
      return {};
    case 'stats':
      return { stats: pool.stats() };
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const request = JSON.parse(line) as Request;
  handle(request).then(
    (answer) => send({ id: request.id, ok: true, ...answer }),
    (error: unknown) => {
      const failure = error as {
        name?: string;
        code?: string;
        message?: string;
        isRetryable?: boolean;
      };
      send({
        id: request.id,
        ok: false,
        error: {
          name: failure.name,
          code: failure.code,
          message: failure.message,
          isRetryable: failure.isRetryable,
        },
      });
    },
  );
});
send({ event: 'ready' });
