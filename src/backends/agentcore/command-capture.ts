import { randomBytes } from 'node:crypto';
import type { CommandResult } from './agentcore-session-types.js';

/**
 * Shell commands that report the same stdout, stderr and exit code whatever the service does with
 * them. AWS's SDK types promise `stdout`, `stderr` and `exitCode` for a command; a client tested
 * against the service (computesdk's AgentCore provider) found a terminal instead: stderr merged
 * into stdout, CRLF line ends, and the tool's status where the command's exit code should be.
 * So the command runs in a subshell with its streams sent to files, and a block printed after it
 * carries the exit code and both streams in base64 (which survives CRLF translation), between
 * markers with a random tag. The block is read back when it is there; otherwise the service's
 * own fields are used, with CRLF turned into LF.
 */

const TAG_PATTERN = '[0-9a-f]{32}';

function quote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A fresh tag for one command. */
export function createCaptureTag(): string {
  return randomBytes(16).toString('hex');
}

/** Prints the capture block for the files in `$__sp_d`, then removes them. */
function block(tag: string): string {
  return (
    `printf '\\nSPRC-${tag}=%s\\n' "$__sp_rc"; base64 "$__sp_d/o"; printf 'SPSEP-${tag}\\n'; ` +
    `base64 "$__sp_d/e"; printf 'SPEND-${tag}\\n'; rm -rf "$__sp_d"`
  );
}

/** `command`, run so that `readCapture` can recover its exact streams and exit code. */
export function captureCommand(command: string, tag: string): string {
  return (
    `__sp_d=/tmp/.sandplot-${tag}; mkdir -p "$__sp_d"; ` +
    `( eval ${quote(command)} ) >"$__sp_d/o" 2>"$__sp_d/e" </dev/null; __sp_rc=$?; ${block(tag)}`
  );
}

/**
 * Like `captureCommand`, for a background task: stdout also goes to the task's own output as it
 * comes (so `getTask` shows progress), and the block follows once the command has ended.
 */
export function captureTaskCommand(command: string, tag: string): string {
  return (
    `__sp_d=/tmp/.sandplot-${tag}; mkdir -p "$__sp_d"; ` +
    `{ ( eval ${quote(command)} ) 2>"$__sp_d/e" </dev/null; echo $? >"$__sp_d/rc"; } | tee "$__sp_d/o"; ` +
    `__sp_rc=$(cat "$__sp_d/rc"); ${block(tag)}`
  );
}

function decode(base64: string): string {
  return Buffer.from(base64.replace(/\s/g, ''), 'base64').toString('utf8');
}

/**
 * The command's own result, from the last capture block in `output` (with the tag given, or any
 * tag); undefined when there is no complete block.
 */
export function readCapture(output: string, tag?: string): CommandResult | undefined {
  const pattern = new RegExp(`SPRC-(${tag ?? TAG_PATTERN})=(\\d+)`, 'g');
  let last: RegExpExecArray | undefined;
  for (const match of output.matchAll(pattern)) last = match;
  if (last === undefined) return undefined;
  const found = last[1] as string;
  const rest = output.slice((last.index ?? 0) + last[0].length);
  const separator = rest.indexOf(`SPSEP-${found}`);
  const end = rest.indexOf(`SPEND-${found}`);
  if (separator === -1 || end === -1 || end < separator) return undefined;
  return {
    stdout: decode(rest.slice(0, separator)),
    stderr: decode(rest.slice(separator + `SPSEP-${found}`.length, end)),
    exitCode: Number(last[2]),
  };
}

/** Output as a terminal sends it, with CRLF line ends turned into LF. */
export function fromTerminal(text: string): string {
  return text.replace(/\r\n/g, '\n');
}

/** The live output of a running task, without the start of a capture block that is still arriving. */
export function liveOutput(output: string): string {
  const at = output.search(new RegExp(`\\r?\\nSPRC-${TAG_PATTERN}=`));
  return fromTerminal(at === -1 ? output : output.slice(0, at));
}
