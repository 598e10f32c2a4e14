import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { errorMessage } from '../../errors/index.js';
import type { ControlPlane, EmulatorCounts } from './control-plane.js';
import type { EmulatedSession } from './emulated-session.js';
import type { CommandOutput } from './emulator-options.js';
import { encodeEvent, encodeException } from './event-stream.js';
import type { FaultQueue, StreamExceptionType } from './faults.js';
import { invalid, notFound } from './service-fault.js';
import { getTask, startCommandExecution, stopTask } from './session-tasks.js';
import {
  executeCode,
  executeCommand,
  listFiles,
  type ResultPayload,
  readFiles,
  removeFiles,
  type ToolArgumentsJson,
  writeFiles,
} from './session-tools.js';

/** What an InvokeCodeInterpreter answer needs from the emulator. */
export interface InvokeContext {
  controlPlane: ControlPlane;
  faults: FaultQueue;
  counts: EmulatorCounts;
  /** How executeCommand and background tasks report their output (see the emulator option). */
  commandOutput: CommandOutput;
}

const TOOL_NAMES = new Set([
  'executeCode',
  'executeCommand',
  'readFiles',
  'writeFiles',
  'listFiles',
  'removeFiles',
  'startCommandExecution',
  'getTask',
  'stopTask',
]);

/**
 * `clearContext` drops the user's variables in place: the interpreter and the session's files
 * stay, as on the service.
 */
const CLEAR_CONTEXT = `for __name in [name for name in list(globals()) if not name.startswith('__')]:
    del globals()[__name]
del __name
`;

/**
 * Answers InvokeCodeInterpreter: runs the tool in the session and streams its result as event
 * frames, with the stream faults that are queued (exception frames, a cut, a delay, a split).
 */
export async function answerInvoke(
  context: InvokeContext,
  identifier: string,
  body: Record<string, unknown>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { controlPlane, faults, counts } = context;
  counts.invocations++;
  const sessionId = request.headers['x-amzn-code-interpreter-session-id'];
  const session = controlPlane.findSession(
    identifier,
    typeof sessionId === 'string' ? sessionId : undefined,
  );
  if (session.status !== 'READY') throw notFound(`Session ${session.id} is terminated.`);
  const name = String(body.name ?? '');
  const args = (body.arguments ?? {}) as ToolArgumentsJson;
  checkToolArguments(session, name, args);

  const injected = faults.streamExceptions.shift();
  const cut = faults.takeCut();
  const firstFrameDelayMs = faults.delays.shift();
  const parts = name === 'executeCode' ? faults.splitParts : undefined;
  if (parts !== undefined) faults.splitParts = undefined;

  response.writeHead(200, {
    'content-type': 'application/vnd.amazon.eventstream',
    'x-amzn-requestid': randomUUID(),
    'x-amzn-code-interpreter-session-id': session.id,
  });
  response.flushHeaders();
  const frames: Uint8Array[] = [];
  const exceptionFrame = (type: StreamExceptionType) =>
    encodeException(type, exceptionMessage(type));
  if (injected?.when === 'before') {
    frames.push(exceptionFrame(injected.exceptionType));
  } else {
    let result: ResultPayload | undefined;
    try {
      result = await runTool(session, name, args, context.commandOutput);
    } catch (error) {
      frames.push(
        encodeException('internalServerException', `The tool failed: ${errorMessage(error)}`),
      );
    }
    if (result !== undefined && injected?.when !== 'after-run') {
      for (const payload of splitPayload(result, parts)) {
        frames.push(encodeEvent('result', payload));
      }
    }
    if (result !== undefined && injected !== undefined) {
      frames.push(exceptionFrame(injected.exceptionType));
    }
  }
  if (firstFrameDelayMs !== undefined) await delay(firstFrameDelayMs);
  if (cut) {
    const first = frames[0] as Uint8Array;
    response.write(first.subarray(0, Math.max(1, Math.floor(first.length / 2))));
    // Let the half frame reach the client before the connection drops.
    await delay(10);
    response.socket?.destroy();
    return;
  }
  for (const frame of frames) response.write(frame);
  response.end();
}

function runTool(
  session: EmulatedSession,
  name: string,
  args: ToolArgumentsJson,
  commandOutput: CommandOutput,
): Promise<ResultPayload> {
  return session.run(async (local) => {
    switch (name) {
      case 'executeCode':
        return executeCode(
          local,
          args.clearContext ? `${CLEAR_CONTEXT}${args.code ?? 'pass'}` : (args.code ?? ''),
        );
      case 'executeCommand':
        return executeCommand(local, args.command ?? '', commandOutput);
      case 'readFiles':
        return readFiles(local, args.paths ?? []);
      case 'writeFiles':
        return writeFiles(local, args.content ?? []);
      case 'listFiles':
        return listFiles(local, args.directoryPath ?? args.path ?? '');
      case 'startCommandExecution': {
        const taskId = randomUUID();
        const started = await startCommandExecution(
          local,
          taskId,
          args.command ?? '',
          commandOutput,
        );
        if (!started.isError) session.taskIds.add(taskId);
        return started;
      }
      case 'getTask':
        return getTask(local, args.taskId ?? '');
      case 'stopTask':
        return stopTask(local, args.taskId ?? '');
      default:
        return removeFiles(local, args.paths ?? []);
    }
  });
}

/** The ValidationException the service answers for a tool call it cannot run. */
function checkToolArguments(session: EmulatedSession, name: string, args: ToolArgumentsJson) {
  if (!TOOL_NAMES.has(name)) throw invalid(`Unknown tool name ${name}.`, 'name');
  if (name === 'executeCode') {
    if (args.language !== undefined && args.language !== 'python') {
      throw invalid(`The emulator runs only python, not ${args.language}.`, 'arguments.language');
    }
    if (typeof args.code !== 'string' && !args.clearContext) {
      throw invalid('executeCode needs arguments.code.', 'arguments.code');
    }
  }
  if (
    (name === 'executeCommand' || name === 'startCommandExecution') &&
    typeof args.command !== 'string'
  ) {
    throw invalid(`${name} needs arguments.command.`, 'arguments.command');
  }
  if (name === 'getTask' || name === 'stopTask') {
    if (typeof args.taskId !== 'string') {
      throw invalid(`${name} needs arguments.taskId.`, 'arguments.taskId');
    }
    // Not ResourceNotFoundException: clients read that as "the session is gone".
    if (!session.taskIds.has(args.taskId)) {
      throw invalid(`No task ${args.taskId} in session ${session.id}.`, 'arguments.taskId');
    }
  }
  if ((name === 'readFiles' || name === 'removeFiles') && !Array.isArray(args.paths)) {
    throw invalid(`${name} needs arguments.paths.`, 'arguments.paths');
  }
  if (name === 'writeFiles' && !Array.isArray(args.content)) {
    throw invalid('writeFiles needs arguments.content.', 'arguments.content');
  }
}

function exceptionMessage(type: StreamExceptionType): string {
  return `${type[0]?.toUpperCase()}${type.slice(1)} (injected by the emulator)`;
}

/** Spreads one executeCode result over `parts` result events, the output split between them. */
function splitPayload(result: ResultPayload, parts: number | undefined): ResultPayload[] {
  const structured = result.structuredContent;
  if (parts === undefined || parts <= 1 || structured === undefined) return [result];
  const stdout = String(structured.stdout ?? '');
  const size = Math.ceil(stdout.length / parts);
  const payloads: ResultPayload[] = [];
  for (let part = 0; part < parts; part++) {
    const slice = stdout.slice(part * size, (part + 1) * size);
    const last = part === parts - 1;
    payloads.push({
      content: [{ type: 'text', text: slice }],
      structuredContent: last ? { ...structured, stdout: slice } : { stdout: slice, stderr: '' },
      isError: last ? result.isError : false,
    });
  }
  return payloads;
}
