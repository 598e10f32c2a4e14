// The built package's AgentCore backend pointed at an emulator, as the benchmarks use it.
import { agentCoreBackend } from 'sandplot/agentcore';
import { EMULATOR_CREDENTIALS } from 'sandplot/testing';

/** `agentCoreBackend()` on the emulator at `endpoint`: no retries, no stop on exit. */
export function emulatorBackend(endpoint: string) {
  return agentCoreBackend({
    stopOnExit: false,
    clientConfig: {
      region: 'us-west-2',
      endpoint,
      maxAttempts: 1,
      credentials: EMULATOR_CREDENTIALS,
    },
  });
}
