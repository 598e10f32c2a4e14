import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { ControlChannel } from './control-channel.js';
import { describeExit } from './describe-exit.js';
import { MAX_READ_FILE_BYTES } from './file-requests.js';
import type { LocalSessionConfig } from './local-session-config.js';
import { OutputStream } from './output-stream.js';
import type { SandboxCommand } from './sandbox-command.js';
import { sendSeccompProgram, stdioWithSeccomp } from './seccomp-filter.js';
import { SessionEnded } from './session-ended.js';

const MAX_CONTROL_LINE_BYTES = Math.ceil((MAX_READ_FILE_BYTES * 4) / 3) + 1024 * 1024;
/** After the process exited, how long its pipes may stay open (a leftover child holds them). */
const PIPE_CLOSE_WAIT_MS = 1000;

/**
 * The sandboxed Python server of one session, as a process: its output pipes, its control
 * channel, the signals it is sent, and its end. Once it ended, every request still waiting is
 * rejected with a `SessionEnded` that says why.
 */
export class SandboxProcess {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly channel: ControlChannel;
  /** Resolves once the process ended and everything it wrote was delivered. */
  readonly ended: Promise<void>;
  /** The innermost Python's pid, which interrupts go to; set once the server is ready. */
  pythonPid: number | undefined;
  /** Called when a run's end token went by on stdout or stderr. */
  onToken: (() => void) | undefined;
  readonly #config: LocalSessionConfig;
  readonly #child: ChildProcess;
  #endReason: string | undefined;
  #endExitCode: number | null = null;
  /** Set when we killed the process on purpose, so its exit is described by why we did. */
  #killReason: string | undefined;
  #busyCount = 0;
  #markEnded!: () => void;

  constructor(config: LocalSessionConfig, command: SandboxCommand) {
    this.#config = config;
    this.ended = new Promise((resolve) => {
      this.#markEnded = resolve;
    });
    this.#child = spawn(command.command, command.args, {
      cwd: command.cwd,
      env: command.env,
      stdio: stdioWithSeccomp(['ignore', 'pipe', 'pipe', 'pipe', 'pipe'], command.seccompProgram),
      // Its own process group: a Ctrl-C in the terminal is not an interrupt of the cell, and
      // close() can kill whatever the code started along with it.
      detached: true,
      ...(config.isolation === 'bwrap' && config.sandboxUser !== undefined
        ? { uid: config.sandboxUser.uid, gid: config.sandboxUser.gid }
        : {}),
    });
    sendSeccompProgram(this.#child, command.seccompProgram);
    const [, stdout, stderr, requests, replies] = this.#child.stdio as unknown as [
      null,
      Readable,
      Readable,
      Writable,
      Readable,
    ];
    const onToken = () => this.onToken?.();
    this.stdout = new OutputStream('stdout', onToken);
    this.stderr = new OutputStream('stderr', onToken);
    stdout.on('data', (chunk: Buffer) => this.stdout.push(chunk));
    stderr.on('data', (chunk: Buffer) => this.stderr.push(chunk));
    // A pipe to a process that died fails (EPIPE, ECONNRESET); the exit handler reports it.
    for (const stream of [stdout, stderr, requests, replies]) stream.on('error', () => undefined);
    this.channel = new ControlChannel(
      requests,
      replies,
      (reason) =>
        this.kill(`The Python server broke the control protocol (${reason}) and was killed`),
      MAX_CONTROL_LINE_BYTES,
    );
    this.#child.on('error', (error) => this.#onExit(null, null, error));
    this.#child.on('exit', (code, signal) => this.#onExit(code, signal));
  }

  /** The pid of the process bubblewrap (or Python, without isolation) runs as. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Why the process ended; undefined while it runs. */
  get endReason(): string | undefined {
    return this.#endReason;
  }

  /** The exit code the process ended with, when it exited rather than being killed. */
  get endExitCode(): number | null {
    return this.#endExitCode;
  }

  signalPython(signal: NodeJS.Signals): void {
    // Only while the process lives: after it exits its pid may belong to someone else.
    if (this.pythonPid === undefined || this.#endReason !== undefined) return;
    try {
      process.kill(this.pythonPid, signal);
    } catch {
      // It just exited; the exit handler reports that.
    }
  }

  /** Kills the whole sandbox; `reason` becomes the crash reason of a run in progress. */
  kill(reason: string): void {
    if (this.#endReason !== undefined) return;
    this.#killReason ??= reason;
    const pid = this.#child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      this.#child.kill('SIGKILL');
    }
    this.signalPython('SIGKILL');
  }

  /** An idle session does not keep Node running; the server exits when its channel closes. */
  setBusy(busy: boolean): void {
    this.#busyCount = Math.max(0, this.#busyCount + (busy ? 1 : -1));
    const active = this.#busyCount > 0 && this.#endReason === undefined;
    const handles = [this.#child, ...this.#child.stdio] as ({
      ref?: () => void;
      unref?: () => void;
      pending?: boolean;
    } | null)[];
    for (const handle of handles) {
      // A pipe without a handle (closed) would queue a 'connect' listener at every call.
      if (handle === null || handle.pending === true) continue;
      if (active) handle.ref?.();
      else handle.unref?.();
    }
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null, error?: Error): void {
    if (this.#endReason !== undefined) return;
    const exit = describeExit(code, signal, this.#config);
    this.#endExitCode = exit.exitCode;
    this.#endReason = error
      ? `The Python process could not be started: ${error.message}`
      : (this.#killReason ?? exit.reason);
    // Whatever the code left running in the process group goes with it.
    if (this.#child.pid !== undefined) {
      try {
        process.kill(-this.#child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    // Deliver every byte that arrived before reporting the end.
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      this.channel.rejectAll(new SessionEnded(this.#endReason));
      this.setBusy(false);
      this.#markEnded();
    };
    if (error) finish();
    this.#child.once('close', finish);
    setTimeout(finish, PIPE_CLOSE_WAIT_MS).unref();
  }
}
