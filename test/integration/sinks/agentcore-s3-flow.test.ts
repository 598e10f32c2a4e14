import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { salesAnalysisCode, salesSeries } from '../../../src/cli/sales-analysis.js';
import { CodeSandbox } from '../../../src/sandbox/code-sandbox.js';
import { s3Sink } from '../../../src/sinks/s3.js';
import { type AgentCoreEmulator, startAgentCoreEmulator } from '../../../src/testing.js';
import { emulatorBackend } from '../../support/agentcore-clients.js';
import sales from '../../support/fixtures/sales.json' with { type: 'json' };
import { isSalesFigureSize, pngSize } from '../../support/png.js';
import { type S3TestServer, startS3TestServer } from '../../support/s3-server.js';

// The AgentCore data-analyst flow, offline: the real AgentCore and S3 clients over HTTP to the
// emulator and an S3-protocol server, with the signatures of both checked.
describe('CodeSandbox on AgentCore with figures in S3', () => {
  let emulator: AgentCoreEmulator;
  let s3: S3TestServer;
  beforeAll(async () => {
    [emulator, s3] = await Promise.all([
      startAgentCoreEmulator({ verifySignatures: true }),
      startS3TestServer({ buckets: ['analyst-figures'] }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([emulator?.close(), s3?.close()]);
  });

  it('runs the sales analysis and every returned URL downloads a valid PNG', async () => {
    const sink = s3Sink({
      bucket: 'analyst-figures',
      prefix: 'agent/',
      clientConfig: s3.clientConfig,
    });
    {
      await using sandbox = new CodeSandbox({
        backend: emulatorBackend(emulator),
        imageSink: sink,
      });
      await sandbox.writeFiles([{ path: 'sales.json', content: JSON.stringify(salesSeries) }]);
      const result = await sandbox.executePython(salesAnalysisCode);

      expect(result.isError).toBe(false);
      expect(result.problems).toEqual([]);
      for (const [product, growth] of Object.entries(sales.expected.overall_growth_pct)) {
        expect(result.stdout).toContain(`  ${product}: ${growth.toFixed(1)}%`);
      }
      // The model-facing stdout holds the numbers, not the images.
      expect(result.stdout.length).toBeLessThan(1000);
      expect(result.figures.map((figure) => figure.title)).toEqual([
        'Sales trends',
        'Period-over-period growth (%)',
      ]);
      // The chart data travels through AgentCore and the S3 sink with the figure.
      const [trend] = result.figures;
      expect(
        trend?.chart?.axes[0]?.series.map((series) => series.kind !== 'pie' && series.label),
      ).toEqual(['Product A', 'Product B', 'Product C']);
      for (const figure of result.figures) {
        expect(figure.sink).toBe('s3');
        expect(figure.key).toMatch(
          new RegExp(
            `^agent/\\d{4}/\\d{2}/\\d{2}/${result.executionId}/figure-${figure.index + 1}\\.png$`,
          ),
        );
        expect(figure.expiresAt?.getTime()).toBeGreaterThan(Date.now());
        const response = await fetch(figure.url);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('image/png');
        const bytes = new Uint8Array(await response.arrayBuffer());
        expect(bytes.byteLength).toBe(figure.byteLength);
        expect(isSalesFigureSize(pngSize(bytes))).toBe(true);
      }
    }
    expect(emulator.stats.active).toBe(0);
  });
});
