// Prints what checkImageSink or checkBackend found: one line per check, the detail of a failure.
import type { ConformanceReport } from 'sandplot/testing';

export function printReport(title: string, report: ConformanceReport): void {
  const passed = report.checks.filter((check) => check.ok).length;
  console.log(`${title}: ${passed} of ${report.checks.length} checks passed`);
  for (const check of report.checks) {
    console.log(
      `  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}${check.ok ? '' : `: ${check.detail}`}`,
    );
  }
}
