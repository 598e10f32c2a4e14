import { parseArgs } from 'node:util';
import { ConfigError } from '../errors/index.js';
import { EMULATOR_CREDENTIALS, startAgentCoreEmulator } from '../testing/agentcore-emulator.js';

export const emulatorUsage = `Usage: sandplot emulator [--port N] [--verify-signatures]

Serves the AgentCore Code Interpreter data plane on 127.0.0.1, backed by local sandboxes, for
offline tests of agents that use @aws-sdk/client-bedrock-agentcore (pass it as \`endpoint\`).
Stops on Ctrl-C (SIGINT) or SIGTERM, stopping every session.`;

/** `sandplot emulator`: runs until a signal arrives; returns the process exit code. */
export async function emulatorCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '0' },
      'verify-signatures': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${emulatorUsage}\n`);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(
      `--port must be a port number from 0 to 65535, not ${JSON.stringify(values.port)}.`,
    );
  }
  const emulator = await startAgentCoreEmulator({
    port,
    verifySignatures: values['verify-signatures'],
  });
  process.stdout.write(
    `AgentCore emulator listening on ${emulator.endpoint}\n` +
      `credentials: AWS_ACCESS_KEY_ID=${EMULATOR_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${EMULATOR_CREDENTIALS.secretAccessKey}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await emulator.close();
  const { started, stopped } = emulator.stats;
  process.stderr.write(`emulator stopped: ${started} session(s) started, ${stopped} stopped\n`);
  return 0;
}
