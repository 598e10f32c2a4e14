import { createTerminalSanitizer } from '../internal/terminal-safe.js';
import type { ExecutionDisplay } from '../types/index.js';

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Spinner {
  /** Clears the spinner line before other output is written, and lets it come back later. */
  clear(): void;
  stop(): void;
}

/**
 * An elapsed-time spinner on a TTY stream, shown only once a run has taken longer than
 * `delayMs`. On anything but a TTY it does nothing, so piped output stays clean.
 */
export function startSpinner(
  stream: NodeJS.WriteStream,
  label: string,
  options: { delayMs?: number; intervalMs?: number } = {},
): Spinner {
  if (!stream.isTTY) return { clear() {}, stop() {} };
  const started = Date.now();
  const delayMs = options.delayMs ?? 1000;
  let frame = 0;
  let visible = false;
  const draw = () => {
    const elapsedSeconds = ((Date.now() - started) / 1000).toFixed(1);
    stream.write(`\r\x1b[2K${frames[frame++ % frames.length]} ${label} ${elapsedSeconds}s`);
    visible = true;
  };
  let timer: NodeJS.Timeout | undefined;
  const delay = setTimeout(() => {
    draw();
    timer = setInterval(draw, options.intervalMs ?? 100);
    timer.unref();
  }, delayMs);
  delay.unref();
  const clear = () => {
    if (visible) stream.write('\r\x1b[2K');
    visible = false;
  };
  return {
    clear,
    stop() {
      clearTimeout(delay);
      if (timer) clearInterval(timer);
      clear();
    },
  };
}

/**
 * Output callbacks that write the code's stdout and stderr through, moving the spinner out of the
 * way first. Displays (the last expression's value, `display()` calls) are printed where the cell
 * made them, on lines of their own, as a notebook shows them. On a terminal the text loses its
 * control characters and escape sequences (`stripControls`): the code must not retitle the window,
 * clear the screen or hide a link. When a stream is piped or redirected, the code's output passes
 * through unchanged: it is data for the next program.
 */
export function streamAround(
  spinner: Spinner,
  streams: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream } = process,
): {
  onStdout: (text: string) => void;
  onStderr: (text: string) => void;
  onDisplay: (display: ExecutionDisplay) => void;
} {
  const writer = (stream: NodeJS.WriteStream) => {
    const sanitizer = stream.isTTY ? createTerminalSanitizer() : undefined;
    return (text: string) => {
      spinner.clear();
      stream.write(sanitizer ? sanitizer.push(text) : text);
    };
  };
  const writeStdout = writer(streams.stdout);
  let atLineStart = true;
  const onStdout = (text: string) => {
    if (text === '') return;
    writeStdout(text);
    atLineStart = text.endsWith('\n');
  };
  return {
    onStdout,
    onStderr: writer(streams.stderr),
    onDisplay: (display) => {
      if (!atLineStart) onStdout('\n');
      onStdout(display.text.endsWith('\n') ? display.text : `${display.text}\n`);
    },
  };
}
