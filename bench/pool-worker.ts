// One process of the shared-limits benchmark (bench/pool-scaling.bench.ts), run with
// `node --import tsx bench/pool-worker.ts`. Settings in POOL_WORKER (JSON: endpoint, redisUrl?,
// conversations, calls, ratePerSecond, prefix). It builds its pool, starts a session per
// conversation, prints {"event":"ready"}, waits for a line on stdin, runs its load and prints
// {"event":"done", calls, failed, wallMs}.
import { createInterface } from 'node:readline';
import { createSandboxPool } from 'sandplot';
import { redisSessionStore } from 'sandplot/redis';
import { emulatorBackend } from './emulator-backend.js';

interface WorkerSettings {
  endpoint: string;
  redisUrl?: string;
  conversations: number;
  calls: number;
  ratePerSecond: number;
  prefix: string;
}

const settings = JSON.parse(process.env.POOL_WORKER ?? '{}') as WorkerSettings;
const store = settings.redisUrl ? redisSessionStore({ url: settings.redisUrl }) : undefined;
const pool = createSandboxPool({
  backend: emulatorBackend(settings.endpoint),
  ...(store ? { sessionStore: store } : {}),
  maxSessions: 50,
  rateLimits: {
    sessionStartsPerSecond: 25,
    invocationsPerSecond: settings.ratePerSecond,
    sessionStopsPerSecond: 25,
  },
});
const say = (message: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify(message)}\n`);

// Sessions started before the timed load: it measures the spacing of calls, not session starts.
await Promise.all(
  Array.from({ length: settings.conversations }, (_, index) =>
    pool.executePython(`${settings.prefix}-${index}`, 'n = 0'),
  ),
);
say({ event: 'ready' });
const lines = createInterface({ input: process.stdin });
await new Promise((resolve) => lines.once('line', resolve));
let failed = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: settings.conversations }, async (_, index) => {
    const id = `${settings.prefix}-${index}`;
    for (let call = 0; call < settings.calls; call++) {
      await pool.executePython(id, `n = ${call}`).catch(() => failed++);
    }
  }),
);
const wallMs = performance.now() - started;
for (let index = 0; index < settings.conversations; index++) {
  await pool.close(`${settings.prefix}-${index}`).catch(() => undefined);
}
await pool.closeAll();
await store?.close();
say({ event: 'done', calls: settings.conversations * settings.calls, failed, wallMs });
lines.close();
