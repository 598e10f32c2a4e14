import { afterAll, beforeAll } from 'vitest';
import { type AgentCoreEmulator, startAgentCoreEmulator } from '../../../src/testing.js';
import { emulatorBackend } from '../../support/agentcore-clients.js';
import { describeBackendContract } from '../../support/backend-contract.js';

let emulator: AgentCoreEmulator;

beforeAll(async () => {
  emulator = await startAgentCoreEmulator({ verifySignatures: true });
});

afterAll(async () => {
  await emulator?.close();
});

describeBackendContract('agentCoreBackend() on the emulator', () => emulatorBackend(emulator));
