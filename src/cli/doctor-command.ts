import { parseArgs } from 'node:util';
import { ConfigError } from '../errors/index.js';
import { noteAwsSdkNodeVersion } from './aws-sdk-note.js';
import { checkEndpoint, emulatorCredentialsFor } from './backend-option.js';
import { DoctorChecks, formatTable } from './doctor/doctor-report.js';

export const doctorUsage = `Usage: sandplot doctor [--backend local|agentcore] [--region R] [--identifier ID] [--endpoint URL] [--json]

Checks a backend end to end and prints what it checked, what it found and how to fix what
failed. Locally: Python and its packages, bubblewrap, a sandboxed print and a figure. With
--backend agentcore: credentials, a session's start and stop, code, a figure, files, commands,
and what the service answers for a stopped and an expired session, flagging (warn) answers that
differ from what the emulator assumes. Exits 0 when everything the library needs works, else 1.
  --backend local|agentcore  the backend to check (default: local)
  --region REGION            AgentCore region (default: AWS_REGION, else us-west-2)
  --identifier ID            code interpreter (default: aws.codeinterpreter.v1)
  --endpoint URL             AgentCore endpoint, e.g. a \`sandplot emulator\` (default: AWS);
                             with a loopback URL and no AWS credentials in the environment,
                             the emulator's credentials are used
  --json                     print the checks as JSON instead of a table
  --quiet                    no notes on standard error (the AWS SDK's Node version note)`;

/** `sandplot doctor`: returns the process exit code. */
export async function doctorCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      backend: { type: 'string', default: 'local' },
      region: { type: 'string' },
      identifier: { type: 'string' },
      endpoint: { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${doctorUsage}\n`);
    return 0;
  }
  const checks = new DoctorChecks();
  let title: string;
  if (values.backend === 'local') {
    for (const option of ['region', 'identifier', 'endpoint'] as const) {
      if (values[option] !== undefined) {
        throw new ConfigError(`--${option} goes with --backend agentcore.`);
      }
    }
    title = 'sandplot doctor: local backend';
    const { checkLocal } = await import('./doctor/local-checks.js');
    await checkLocal(checks);
  } else if (values.backend === 'agentcore') {
    const region = values.region ?? process.env.AWS_REGION ?? 'us-west-2';
    const identifier = values.identifier ?? 'aws.codeinterpreter.v1';
    const endpoint = values.endpoint === undefined ? undefined : checkEndpoint(values.endpoint);
    const credentials = endpoint === undefined ? undefined : emulatorCredentialsFor(endpoint);
    noteAwsSdkNodeVersion(values.quiet);
    title = `sandplot doctor: agentcore backend (${identifier}, ${region}${values.endpoint === undefined ? '' : `, ${values.endpoint}`})`;
    const { checkAgentCore } = await import('./doctor/agentcore-checks.js');
    await checkAgentCore(checks, {
      region,
      identifier,
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(credentials === undefined ? {} : { credentials }),
    });
  } else {
    throw new ConfigError(
      `--backend must be local or agentcore, not ${JSON.stringify(values.backend)}.`,
    );
  }
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ ok: checks.ok, backend: values.backend, checks: checks.list }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(formatTable(title, checks.list));
  }
  return checks.ok ? 0 : 1;
}
