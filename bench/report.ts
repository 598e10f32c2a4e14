/** What one benchmark reports: lines for docs/benchmarks.md and whether its targets were met. */
export interface BenchReport {
  name: string;
  lines: string[];
  ok: boolean;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function formatMs(value: number): string {
  return value < 10 ? `${value.toFixed(2)} ms` : `${value.toFixed(1)} ms`;
}

/** A line that states a target, the measured value and whether it held. */
export function target(label: string, holds: boolean, detail: string): string {
  return `- ${holds ? 'PASS' : 'FAIL'} ${label}: ${detail}`;
}
