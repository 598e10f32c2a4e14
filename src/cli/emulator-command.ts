import { parseArgs } from 'node:util';
import { ConfigError } from '../errors/index.js';
import { EMULATOR_CREDENTIALS, startAgentCoreEmulator } from '../testing/agentcore-emulator.js';

export const emulatorUsage = `Usage: sandplot emulator [--port N] [--verify-signatures]

Serves the AgentCore Code Interpreter data plane on 127.0.0.1, backed by local sandboxes, for
offline tests of agents that use @aws-sdk/client-bedrock-agentcore (pass it as \`endpoint\`).
Stops on Ctrl-C (SIGINT) or SIGTERM, stopping every session.

Credentials: it accepts requests signed with any AWS credentials; with --verify-signatures only
those it prints. \`sandplot run\`, \`demo\`, \`mcp\` and \`doctor\` with a loopback --endpoint and
no AWS credentials in the environment (no AWS_ACCESS_KEY_ID, no AWS_PROFILE) sign with the
credentials it prints, so
  sandplot emulator --port 8787
  sandplot run analysis.py --backend agentcore --endpoint http://127.0.0.1:8787
works as it is.`;

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
  let emulator: Awaited<ReturnType<typeof startAgentCoreEmulator>>;
  try {
    emulator = await startAgentCoreEmulator({
      port,
      verifySignatures: values['verify-signatures'],
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw error;
    throw new ConfigError(
      `--port ${port} cannot be used (${code === 'EADDRINUSE' ? 'another program is listening on it' : 'permission denied'}): choose another port, or --port 0 for any free one.`,
      { cause: error },
    );
  }
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
