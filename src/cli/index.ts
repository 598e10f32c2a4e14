import { version } from '../../package.json';
import { SandplotError } from '../errors/index.js';
import { stripControls } from '../internal/terminal-safe.js';
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (SandplotError.isInstance(error)) {
      // A message can quote what a sandbox or server said: no control reaches the terminal.
      process.stderr.write(`sandplot: ${stripControls(error.message)} [${error.code}]\n`);
      process.exitCode = error.code === 'INVALID_INPUT' || error.code === 'CONFIG_INVALID' ? 2 : 3;
    } else if (
      error instanceof TypeError &&
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`sandplot: ${stripControls(error.message)}\n\n${usage}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(
        `sandplot: ${stripControls(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`,
      );
      process.exitCode = 3;
    }
  },
);
