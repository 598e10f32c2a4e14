import {
  BedrockAgentCoreClient,
  type CodeInterpreterStreamOutput,
  StartCodeInterpreterSessionCommand,
  StopCodeInterpreterSessionCommand,
} from '@aws-sdk/client-bedrock-agentcore';
import { mockClient } from 'aws-sdk-client-mock';
import { agentCoreBackend } from '../../src/agentcore.js';

// For errors and answers the emulator cannot produce on demand: a real client whose `send` is
// mocked (aws-sdk-client-mock).

/** The client the backend under test uses. */
export const mockedClient = new BedrockAgentCoreClient({
  region: 'us-west-2',
  credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
});

/** Its mock: `mock.on(Command).resolves(...)`; reset it after each test. */
export const mock = mockClient(mockedClient);

/** The `$metadata` a modeled exception needs. */
export const metadata = { $metadata: {} };

/** agentCoreBackend() on the mocked client, with short retries and no exit hooks. */
export function mockBackend() {
  return agentCoreBackend({
    client: mockedClient,
    retryBaseDelayMs: 1,
    maxRetries: 2,
    stopOnExit: false,
  });
}

/** An InvokeCodeInterpreter stream of these events. */
export async function* events(...items: CodeInterpreterStreamOutput[]) {
  for (const item of items) yield item;
}

/** Starts answer with session S1; stops succeed. */
export function mockStarted(): void {
  mock.on(StartCodeInterpreterSessionCommand).resolves({
    codeInterpreterIdentifier: 'aws.codeinterpreter.v1',
    sessionId: 'S1',
    createdAt: new Date(),
  });
  mock.on(StopCodeInterpreterSessionCommand).resolves({});
}
