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
 * Output callbacks that write to the terminal, moving the spinner out of the way first. Displays
 * (the last expression's value, `display()` calls) are printed where the cell made them, on lines
 * of their own, as a notebook shows them.
 */
export function streamAround(spinner: Spinner): {
  onStdout: (text: string) => void;
  onStderr: (text: string) => void;
  onDisplay: (display: ExecutionDisplay) => void;
} {
  let atLineStart = true;
  const write = (text: string) => {
    if (text === '') return;
    process.stdout.write(text);
    atLineStart = text.endsWith('\n');
  };
  return {
    onStdout: (text) => {
      spinner.clear();
      write(text);
    },
    onStderr: (text) => {
      spinner.clear();
      process.stderr.write(text);
    },
    onDisplay: (display) => {
      spinner.clear();
      if (!atLineStart) write('\n');
      write(display.text.endsWith('\n') ? display.text : `${display.text}\n`);
    },
  };
}
