// A host process for the signal tests, run as `node --import tsx signal-child.ts`: it opens a
// CodeSandbox, runs a quick call, then a long one, and reports on stdout (one JSON line each):
// {"event":"ready"} once the session exists, {"event":"calling"} as the long call is made, and
// {"event":"running"} once the long code prints (the local backend streams output; AgentCore
// sends it only with the result).
// The test then signals it. Settings come from the environment:
//   SIGNAL_CHILD_BACKEND        'agentcore' (needs SIGNAL_CHILD_ENDPOINT) or 'local'
//   SIGNAL_CHILD_ENDPOINT       the AgentCore emulator's endpoint (in the test's process)
//   SIGNAL_CHILD_CACHE_DIR      the local backend's font cache, to keep starts fast
//   SIGNAL_CHILD_OWN_LISTENER   when set, the application listens to SIGTERM and SIGINT itself and
//                               exits with code 7 after this many milliseconds
import type { SandboxBackend } from '../../src/backends/types.js';
import { CodeSandbox } from '../../src/sandbox/code-sandbox.js';

const report = (event: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify(event)}\n`);

async function backendFromEnvironment(): Promise<SandboxBackend> {
  if (process.env.SIGNAL_CHILD_BACKEND === 'local') {
    const { localBackend } = await import('../../src/backends/local.js');
    const cacheDir = process.env.SIGNAL_CHILD_CACHE_DIR;
    return localBackend(cacheDir ? { cacheDir } : {});
  }
  const { agentCoreBackend } = await import('../../src/backends/agentcore.js');
  const endpoint = process.env.SIGNAL_CHILD_ENDPOINT;
  if (!endpoint) throw new Error('SIGNAL_CHILD_ENDPOINT is not set');
  return agentCoreBackend({
    retryBaseDelayMs: 5,
    clientConfig: {
      region: 'us-west-2',
      endpoint,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' },
    },
  });
}

const ownListener = process.env.SIGNAL_CHILD_OWN_LISTENER;
if (ownListener) {
  const onSignal = (signal: string) => {
    report({ event: 'application-listener', signal });
    setTimeout(() => process.exit(7), Number(ownListener));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

const sandbox = new CodeSandbox({ backend: await backendFromEnvironment() });
const first = await sandbox.executePython('print("hello")');
report({ event: 'ready', sessionId: sandbox.sessionId, stdout: first.stdout });
// Never closed on purpose: the signal arrives while this runs.
report({ event: 'calling' });
const result = await sandbox.executePython(
  'import time\nprint("running", flush=True)\ntime.sleep(60)\nprint("finished")',
  {
    timeoutMs: 120_000,
    onStdout: (text) => {
      if (text.includes('running')) report({ event: 'running' });
    },
  },
);
report({ event: 'finished', isError: result.isError, error: result.error?.name });
