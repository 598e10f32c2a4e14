import { version } from '../../package.json';
import { holdAwsSdkNodeWarning } from './aws-sdk-note.js';
import { describeFailure, printFailure } from './cli-failure.js';
import { demoCommand, demoUsage } from './demo-command.js';
import { doctorCommand, doctorUsage } from './doctor-command.js';
import { emulatorCommand, emulatorUsage } from './emulator-command.js';
import { mcpCommand, mcpUsage } from './mcp-command.js';
import { runCommand, runUsage } from './run-command.js';

const usage = `sandplot ${version}: a sandboxed Python with figure capture, for AI agents

Usage:
  sandplot run <file.py | -> [options]   run Python, store its figures
  sandplot demo [--out DIR] [--html FILE]  the sales analysis demo
  sandplot emulator [--port N]           a local AgentCore Code Interpreter emulator
  sandplot mcp [options]                 serve execute_python over MCP (stdio)
  sandplot doctor [--backend agentcore]  check that a backend works end to end
  sandplot --version | --help

${runUsage}

${demoUsage}

${emulatorUsage}

${mcpUsage}

${doctorUsage}`;

const commands = ['run', 'demo', 'emulator', 'mcp', 'doctor'];

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return runCommand(rest);
    case 'demo':
      return demoCommand(rest);
    case 'emulator':
      return emulatorCommand(rest);
    case 'mcp':
      return mcpCommand(rest);
    case 'doctor':
      return doctorCommand(rest);
    case '--version':
    case '-v':
      process.stdout.write(`${version}\n`);
      return 0;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${usage}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`sandplot: unknown command ${JSON.stringify(command)}\n\n${usage}\n`);
      return 2;
  }
}

const argv = process.argv.slice(2);
holdAwsSdkNodeWarning();
main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const command = argv[0] && commands.includes(argv[0]) ? argv[0] : undefined;
    const failure = describeFailure(error, command);
    // `run --json` and `doctor --json` promise JSON on standard output, failures included.
    printFailure(error, failure, { json: argv.includes('--json') });
    process.exitCode = failure.exitCode;
  },
);
