import { z } from 'zod';
import type { SandboxBackend } from '../../backends/types.js';
import { objectWithMethod } from '../../internal/plugin-schema.js';
import type { EmulatorCredentials } from './signature.js';

export interface AgentCoreEmulatorOptions {
  /** Port on 127.0.0.1 to listen on. @default 0 (any free port) */
  port?: number;
  /** Where each emulated session's code runs. @default localBackend() */
  backend?: SandboxBackend;
  /** Check every request's SigV4 signature against `credentials`; a wrong one answers 403. @default false */
  verifySignatures?: boolean;
  /** The key pair signatures are checked against. @default { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' } */
  credentials?: EmulatorCredentials;
  /** Code interpreter identifiers that exist; others answer ResourceNotFoundException. @default ['aws.codeinterpreter.v1'] */
  identifiers?: string[];
  /** Sessions that may be READY at once; one more answers ServiceQuotaExceededException. @default 20 */
  maxActiveSessions?: number;
  /**
   * Requests each operation accepts in any one-second window, like the service's 30 TPS quota per
   * operation; one more answers HTTP 429 ThrottlingException. A number applies to every operation
   * separately; an object sets operations one by one (others unlimited).
   * @default undefined (no limit)
   */
  requestsPerSecond?: number | Partial<Record<AgentCoreOperation, number>>;
  /**
   * What runs each session's code when `backend` is not given. `'local'`: the sandboxed local
   * backend. `'plain-python'`: a plain, **unisolated** `python3` per session with nothing
   * preloaded, which starts in tens of milliseconds: for load tests of many sessions running
   * code you wrote yourself.
   * @default 'local'
   */
  sessionInterpreter?: 'local' | 'plain-python';
  /**
   * How executeCommand and background tasks (getTask) report a command's output. `'separate'`:
   * `stdout`, `stderr` and the command's `exitCode`, as AWS's SDK types describe them.
   * `'terminal'`: as a client tested against the service found it, a terminal: stderr merged
   * into stdout with CRLF line ends, `stderr` empty, and the tool's status (exit code 0,
   * `completed`) instead of the command's exit code.
   * @default 'separate'
   */
  commandOutput?: CommandOutput;
}

/** See `AgentCoreEmulatorOptions.commandOutput`. */
export type CommandOutput = 'separate' | 'terminal';

/** The data-plane operations the emulator answers, by their API names. */
export type AgentCoreOperation =
  | 'StartCodeInterpreterSession'
  | 'StopCodeInterpreterSession'
  | 'GetCodeInterpreterSession'
  | 'ListCodeInterpreterSessions'
  | 'InvokeCodeInterpreter';

/** The default key pair of a signature-checking emulator. */
export const EMULATOR_CREDENTIALS: EmulatorCredentials = {
  accessKeyId: 'AKIDEMULATOR',
  secretAccessKey: 'emulator-secret',
};

const requestsPerSecond = z.number().int().positive();

export const emulatorOptionsSchema = z
  .object({
    port: z.number().int().min(0).max(65_535).default(0),
    backend: objectWithMethod<SandboxBackend>(
      'createSession',
      'expected a backend such as localBackend()',
    ).optional(),
    verifySignatures: z.boolean().default(false),
    credentials: z
      .object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) })
      .default(EMULATOR_CREDENTIALS),
    identifiers: z.array(z.string().min(1)).min(1).default(['aws.codeinterpreter.v1']),
    maxActiveSessions: z.number().int().positive().default(20),
    requestsPerSecond: z
      .union([
        requestsPerSecond,
        z
          .object({
            StartCodeInterpreterSession: requestsPerSecond.optional(),
            StopCodeInterpreterSession: requestsPerSecond.optional(),
            GetCodeInterpreterSession: requestsPerSecond.optional(),
            ListCodeInterpreterSessions: requestsPerSecond.optional(),
            InvokeCodeInterpreter: requestsPerSecond.optional(),
          })
          .strict(),
      ])
      .optional(),
    sessionInterpreter: z.enum(['local', 'plain-python']).default('local'),
    commandOutput: z.enum(['separate', 'terminal']).default('separate'),
  })
  .strict();

/** AgentCoreEmulatorOptions validated, with every default filled in. */
export type EmulatorSettings = z.output<typeof emulatorOptionsSchema>;
