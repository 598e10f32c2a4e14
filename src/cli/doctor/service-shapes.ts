import {
  type BedrockAgentCoreClient,
  type CodeInterpreterStreamOutput,
  InvokeCodeInterpreterCommand,
  type InvokeCodeInterpreterCommandOutput,
  type ToolArguments,
  type ToolName,
} from '@aws-sdk/client-bedrock-agentcore';
import { describeAwsError } from '../../internal/aws-errors.js';
import type { DoctorCheck } from './doctor-report.js';

/**
 * Raw InvokeCodeInterpreter calls, read without the backend's interpretation, so that `sandplot
 * doctor` can say what the service actually answers and compare it with what the emulator
 * assumes (and the backend copes with).
 */

/** What one raw call answered: its result events, or the exception and where it came. */
export interface RawAnswer {
  results: NonNullable<CodeInterpreterStreamOutput['result']>[];
  /** The exception's name, and `http` (an HTTP error answer) or `stream` (a frame). */
  exception?: { name: string; where: 'http' | 'stream'; status?: number };
}

/** One tool call on `sessionId`, every event collected. */
export async function rawInvoke(
  client: BedrockAgentCoreClient,
  identifier: string,
  sessionId: string,
  name: ToolName,
  args: ToolArguments,
): Promise<RawAnswer> {
  const answer: RawAnswer = { results: [] };
  let response: InvokeCodeInterpreterCommandOutput;
  try {
    response = await client.send(
      new InvokeCodeInterpreterCommand({
        codeInterpreterIdentifier: identifier,
        sessionId,
        name,
        arguments: args,
      }),
    );
  } catch (error) {
    const { name: errorName, httpStatus } = describeAwsError(error);
    answer.exception = {
      name: errorName || 'Error',
      where: 'http',
      ...(httpStatus === undefined ? {} : { status: httpStatus }),
    };
    return answer;
  }
  try {
    for await (const event of response.stream ?? []) {
      if (event.result) answer.results.push(event.result);
      else {
        const member = Object.keys(event).find((key) => key.endsWith('Exception'));
        if (member) answer.exception = { name: member, where: 'stream' };
      }
    }
  } catch (error) {
    answer.exception = { name: describeAwsError(error).name || 'Error', where: 'stream' };
  }
  return answer;
}

function texts(answer: RawAnswer): string {
  return answer.results
    .flatMap((result) => result.content ?? [])
    .filter((block) => block.type === 'text')
    .map((block) => block.text ?? '')
    .join('');
}

function structured(answer: RawAnswer) {
  return answer.results.map((result) => result.structuredContent ?? {});
}

/** How executeCode output came: in structuredContent, in text blocks, or both. */
export function describeCodeOutput(answer: RawAnswer, expected: string): Omit<DoctorCheck, 'name'> {
  if (answer.exception) return { status: 'fail', found: exceptionText(answer) };
  const fields = structured(answer);
  const stdout = fields.map((field) => field.stdout ?? '').join('');
  const text = texts(answer);
  const exitCodes = fields.map((field) => field.exitCode).filter((code) => code !== undefined);
  const times = fields.map((field) => field.executionTime).filter((time) => time !== undefined);
  const where = [
    stdout.includes(expected) ? 'structuredContent.stdout' : undefined,
    text.includes(expected) ? 'text blocks' : undefined,
  ].filter((place) => place !== undefined);
  const facts = `output in ${where.join(' and ') || 'neither'}; exitCode ${exitCodes.join(',') || 'absent'}; executionTime ${times.join(',') || 'absent'}`;
  if (where.length === 0) return { status: 'fail', found: facts };
  // The emulator fills both, with an exit code; the backend also reads either alone.
  const same = where.length === 2 && exitCodes.length > 0;
  return same
    ? { status: 'pass', found: facts }
    : {
        status: 'warn',
        found: `${facts} (the emulator sends both, with an exit code; sandplot reads either)`,
        fix: 'the library copes; correct the emulator to match',
      };
}

/** How readFiles answered for an empty file: no block (as the emulator) or an empty resource. */
export function describeEmptyFile(answer: RawAnswer): Omit<DoctorCheck, 'name'> {
  if (answer.exception) return { status: 'fail', found: exceptionText(answer) };
  const blocks = answer.results.flatMap((result) => result.content ?? []);
  if (blocks.length === 0) return { status: 'pass', found: 'no content block (as the emulator)' };
  return {
    status: 'warn',
    found: `${blocks.length} block(s): ${JSON.stringify(blocks).slice(0, 200)} (the emulator sends none; sandplot reads both as zero bytes)`,
    fix: 'the library copes; correct the emulator to match',
  };
}

/** How readFiles answered for a missing file. */
export function describeMissingFile(answer: RawAnswer): string {
  if (answer.exception) return exceptionText(answer);
  const isError = answer.results.some((result) => result.isError);
  return `${isError ? 'an error result' : 'a result'}: ${JSON.stringify(texts(answer)).slice(0, 160)}`;
}

/** How executeCommand answered `echo out; echo err >&2; exit 3`. */
export function describeCommandOutput(answer: RawAnswer): Omit<DoctorCheck, 'name'> {
  if (answer.exception) return { status: 'fail', found: exceptionText(answer) };
  const fields = structured(answer);
  const stdout = fields.map((field) => field.stdout ?? '').join('') || texts(answer);
  const stderr = fields.map((field) => field.stderr ?? '').join('');
  const exitCode = fields.map((field) => field.exitCode).find((code) => code !== undefined);
  const merged = stdout.includes('err') && !stderr.includes('err');
  const crlf = stdout.includes('\r\n');
  const facts = `stderr ${merged ? 'merged into stdout' : 'separate'}, ${crlf ? 'CRLF' : 'LF'} line ends, exitCode ${exitCode ?? 'absent'}`;
  const separate = !merged && !crlf && exitCode === 3;
  const terminal = merged && exitCode !== 3;
  if (separate) return { status: 'pass', found: `${facts} (the emulator's default)` };
  return {
    status: 'warn',
    found: `${facts}${terminal ? " (a terminal: the emulator's commandOutput: 'terminal')" : ''}`,
    fix: terminal
      ? "sandplot copes; test with startAgentCoreEmulator({ commandOutput: 'terminal' })"
      : 'sandplot reads its own capture block; correct the emulator to match',
  };
}

/** "ResourceNotFoundException (HTTP 404)" or "... (stream frame)". */
export function exceptionText(answer: RawAnswer): string {
  const exception = answer.exception;
  if (exception === undefined) return 'no exception';
  const where =
    exception.where === 'http'
      ? `HTTP ${exception.status ?? '?'}`
      : 'a stream frame after HTTP 200';
  return `${exception.name} (${where})`;
}

/** True for the answer that means "this session is gone". */
export function isSessionGone(answer: RawAnswer): boolean {
  return /^resourceNotFoundException$/i.test(answer.exception?.name ?? '');
}
