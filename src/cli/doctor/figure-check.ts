import type { ExecutionResult } from '../../types/index.js';
import type { DoctorCheck } from './doctor-report.js';

/** One small line chart, shown. */
export const FIGURE_CODE = [
  'import matplotlib.pyplot as plt',
  'plt.figure(figsize=(2, 1.5))',
  'plt.plot([1, 3, 2])',
  "plt.title('sandplot doctor')",
].join('\n');

/** Whether an execution of FIGURE_CODE brought its figure back. */
export function figureFound(result: ExecutionResult): Omit<DoctorCheck, 'name'> {
  const [figure] = result.figures;
  if (result.isError || figure === undefined) {
    const why = result.error
      ? `${result.error.name}: ${result.error.value}`
      : result.problems.map((problem) => problem.reason).join('; ') || 'no figure came back';
    return { status: 'fail', found: why };
  }
  const size = figure.width && figure.height ? `, ${figure.width}×${figure.height} px` : '';
  return { status: 'pass', found: `${figure.mediaType}, ${figure.byteLength} bytes${size}` };
}
