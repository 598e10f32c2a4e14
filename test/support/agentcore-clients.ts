import { BedrockAgentCoreClient } from '@aws-sdk/client-bedrock-agentcore';
import type { AgentCoreBackendOptions } from '../../src/backends/agentcore.js';
import { agentCoreBackend } from '../../src/backends/agentcore.js';
import {
  type AgentCoreEmulator,
  EMULATOR_CREDENTIALS,
} from '../../src/testing/agentcore-emulator.js';

/** The environment a child process needs to reach the emulator through the SDK's default chain. */
export const emulatorEnvironment = {
  AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
  AWS_REGION: 'us-west-2',
  // The SDK warns on Node 20 that its 2027 releases need Node 22; true, and not these tests' subject.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** The real SDK client, pointed at the emulator, without the SDK's own retries. */
export function emulatorClient(
  emulator: AgentCoreEmulator,
  overrides: { secretAccessKey?: string; maxAttempts?: number } = {},
): BedrockAgentCoreClient {
  return new BedrockAgentCoreClient({
    region: 'us-west-2',
    endpoint: emulator.endpoint,
    maxAttempts: overrides.maxAttempts ?? 1,
    credentials: {
      accessKeyId: EMULATOR_CREDENTIALS.accessKeyId,
      secretAccessKey: overrides.secretAccessKey ?? EMULATOR_CREDENTIALS.secretAccessKey,
    },
  });
}

/** agentCoreBackend() talking to the emulator, with short retry pauses for tests. */
export function emulatorBackend(
  emulator: AgentCoreEmulator,
  options: AgentCoreBackendOptions & { secretAccessKey?: string } = {},
) {
  const { secretAccessKey, ...rest } = options;
  return agentCoreBackend({
    retryBaseDelayMs: 5,
    clientConfig: {
      region: 'us-west-2',
      endpoint: emulator.endpoint,
      maxAttempts: 1,
      credentials: {
        accessKeyId: EMULATOR_CREDENTIALS.accessKeyId,
        secretAccessKey: secretAccessKey ?? EMULATOR_CREDENTIALS.secretAccessKey,
      },
    },
    ...rest,
  });
}

/** Every event of one InvokeCodeInterpreter stream. */
export async function drain<T>(stream: AsyncIterable<T> | undefined): Promise<T[]> {
  const events: T[] = [];
  for await (const event of stream ?? []) events.push(event);
  return events;
}
