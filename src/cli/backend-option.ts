import { localBackend } from '../backends/local.js';
import type { SandboxBackend } from '../backends/types.js';
import { ConfigError } from '../errors/index.js';
import { EMULATOR_CREDENTIALS } from '../testing/agentcore-emulator/emulator-options.js';
import { noteAwsSdkNodeVersion } from './aws-sdk-note.js';

/** The command-line options that choose a backend, shared by `run`, `demo` (and `mcp`). */
export const backendArgumentOptions = {
  backend: { type: 'string', default: 'local' },
  isolation: { type: 'string', default: 'auto' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  quiet: { type: 'boolean', default: false },
} as const;

export const backendUsage = `  --backend local|agentcore  where the code runs (default: local)
  --isolation auto|bwrap|none  sandboxing of the local backend (default: auto)
  --endpoint URL             AgentCore endpoint, e.g. a \`sandplot emulator\` (default: AWS);
                             with a loopback URL and no AWS credentials in the environment,
                             the emulator's credentials are used
  --region REGION            AgentCore region (default: AWS_REGION, else us-west-2)
  --quiet                    no notes on standard error (the AWS SDK's Node version note)`;

/**
 * Builds the backend from `--backend`, `--isolation`, `--endpoint` and `--region`. The AWS SDK
 * is loaded only for `--backend agentcore`.
 */
export async function backendFromOptions(values: {
  backend?: string | undefined;
  isolation?: string | undefined;
  endpoint?: string | undefined;
  region?: string | undefined;
  quiet?: boolean | undefined;
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
    const endpoint = values.endpoint === undefined ? undefined : checkEndpoint(values.endpoint);
    noteAwsSdkNodeVersion(values.quiet);
    const { agentCoreBackend } = await import('../backends/agentcore.js');
    const credentials = endpoint === undefined ? undefined : emulatorCredentialsFor(endpoint);
    return agentCoreBackend({
      region,
      ...(endpoint === undefined
        ? {}
        : { clientConfig: { region, endpoint, ...(credentials ? { credentials } : {}) } }),
    });
  }
  throw new ConfigError(`--backend must be local or agentcore, not ${JSON.stringify(backend)}.`);
}

/** `--endpoint` as given, once it is known to be a URL. */
export function checkEndpoint(endpoint: string): string {
  if (!URL.canParse(endpoint)) {
    throw new ConfigError(
      `--endpoint must be a URL such as http://127.0.0.1:8787, not ${JSON.stringify(endpoint)}.`,
    );
  }
  return endpoint;
}

/**
 * The credentials of `sandplot emulator` for an endpoint on this machine, when the environment
 * names none (no AWS_ACCESS_KEY_ID, no AWS_PROFILE): the emulator then works without copying
 * its key pair. Never for another host, and never over credentials the person chose.
 */
export function emulatorCredentialsFor(
  endpoint: string,
  env: NodeJS.ProcessEnv = process.env,
): { accessKeyId: string; secretAccessKey: string } | undefined {
  if (env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE) return undefined;
  const host = new URL(endpoint).hostname;
  const loopback =
    host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  return loopback ? { ...EMULATOR_CREDENTIALS } : undefined;
}
