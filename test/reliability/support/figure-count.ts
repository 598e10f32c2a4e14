import type { AgentCoreEmulator } from '../../../src/testing.js';
import type { ExecutionResult } from '../../../src/types/index.js';

/** Python that makes `count` small figures titled `label-0`, `label-1`... and shows them. */
export function plotCode(label: string, count = 1): string {
  return [
    'import matplotlib.pyplot as plt',
    `for n in range(${count}):`,
    '    plt.figure(figsize=(2, 1.5))',
    '    plt.plot([1, 3, 2])',
    `    plt.title('${label}-%d' % n)`,
    `print('${label} done')`,
  ].join('\n');
}

/**
 * Figures of an execution that made `expected` figures and are neither stored nor listed in
 * `problems`: what the reliability cases call lost.
 */
export function undeliveredFigures(result: ExecutionResult, expected: number): number {
  const accounted = new Set<number>();
  for (const figure of result.figures) accounted.add(figure.index);
  for (const problem of result.problems) {
    if (problem.index !== undefined) accounted.add(problem.index);
  }
  let missing = 0;
  for (let index = 0; index < expected; index++) if (!accounted.has(index)) missing++;
  return missing;
}

/** Figures stored (not just listed in problems) out of `expected`. */
export function storedFigures(result: ExecutionResult, expected: number): number {
  return result.figures.filter((figure) => figure.index < expected).length;
}

/** Sessions the emulator still runs: after every sandbox closed, each one is a leak. */
export function leakedSessions(emulator: AgentCoreEmulator): number {
  return emulator.stats.active;
}
