import { localBackend } from '../backends/local.js';
import type { SandboxBackend } from '../backends/types.js';
import { ConfigError } from '../errors/index.js';

/** The command-line options that choose a backend, shared by `run`, `demo` (and `mcp`). */
export const backendArgumentOptions = {
  backend: { type: 'string', default: 'local' },
  isolation: { type: 'string', default: 'auto' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
} as const;

export const backendUsage = `  --backend local|agentcore  where the code runs (default: local)
  --isolation auto|bwrap|none  sandboxing of the local backend (default: auto)
  --endpoint URL             AgentCore endpoint, e.g. a \`sandplot emulator\` (default: AWS)
  --region REGION            AgentCore region (default: AWS_REGION, else us-west-2)`;

/**
 * Builds the backend from `--backend`, `--isolation`, `--endpoint` and `--region`. The AWS SDK
 * is loaded only for `--backend agentcore`.
 */
export async function backendFromOptions(values: {
  backend?: string | undefined;
  isolation?: string | undefined;
  endpoint?: string | undefined;
  region?: string | undefined;
}): Promise<SandboxBackend> {
  const backend = values.backend ?? 'local';
  if (backend === 'local') {
    if (values.endpoint !== undefined || values.region !== undefined) {
      throw new ConfigError('--endpoint and --region go with --backend agentcore.');
    }
    const isolation = values.isolation ?? 'auto';
    if (isolation !== 'auto' && isolation !== 'bwrap' && isolation !== 'none') {
      throw new ConfigError(
        `--isolation must be auto, bwrap or none, not ${JSON.stringify(isolation)}.`,
      );
    }
    return localBackend({ isolation });
  }
  if (backend === 'agentcore') {
    const region = values.region ?? process.env.AWS_REGION ?? 'us-west-2';
    if (values.endpoint !== undefined) {
      try {
        new URL(values.endpoint);
      } catch {
        throw new ConfigError(
          `--endpoint must be a URL such as http://127.0.0.1:8787, not ${JSON.stringify(values.endpoint)}.`,
        );
      }
    }
    const { agentCoreBackend } = await import('../backends/agentcore.js');
    return agentCoreBackend({
      region,
      ...(values.endpoint === undefined
        ? {}
        : { clientConfig: { region, endpoint: values.endpoint } }),
    });
  }
  throw new ConfigError(`--backend must be local or agentcore, not ${JSON.stringify(backend)}.`);
}
