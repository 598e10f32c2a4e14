// What every agent example shares: the code a model typically writes for the sales question, and
// the sandbox it runs in (offline: a local bubblewrap sandbox with figures in ./figures; real: the
// AgentCore Code Interpreter with figures in S3 when SANDPLOT_S3_BUCKET is set, else inline).
import {
  base64Sink,
  CodeSandbox,
  type ImageSink,
  localBackend,
  localDirSink,
  type SandboxBackend,
} from 'sandplot';
import { agentCoreBackend } from 'sandplot/agentcore';
import { s3Sink } from 'sandplot/s3';

/** What a model typically writes for the question: pandas for numbers, matplotlib for charts, and
 * nothing about saving or encoding figures (capture is automatic). */
export const SALES_CODE = `import pandas as pd
import matplotlib.pyplot as plt

sales = pd.DataFrame({
    "Product A": [100, 120, 95, 140, 160, 180, 200],
    "Product B": [80, 85, 90, 95, 100, 105, 110],
    "Product C": [200, 180, 220, 190, 240, 260, 280],
}, index=[f"P{i}" for i in range(1, 8)])

overall = (sales.iloc[-1] / sales.iloc[0] - 1) * 100
print("Overall growth:")
for product, value in overall.items():
    print(f"  {product}: {value:.1f}%")

ax = sales.plot(marker="o", figsize=(10, 6), title="Sales trends")
ax.set_xlabel("Period"); ax.set_ylabel("Units sold")
plt.show()

ax = (sales.pct_change().iloc[1:] * 100).plot(kind="bar", figsize=(10, 6), title="Period-over-period growth (%)")
ax.axhline(0, color="black", linewidth=0.8)
plt.show()
`;

/** The question the user asks the agent. */
export const SALES_QUESTION =
  'Analyze the following sales data:\n- Product A: [100, 120, 95, 140, 160, 180, 200]\n' +
  '- Product B: [80, 85, 90, 95, 100, 105, 110]\n- Product C: [200, 180, 220, 190, 240, 260, 280]\n' +
  'Please visualize the sales trends and calculate growth rates.';

/** True when the example runs with a scripted model and a local sandbox. */
export const offline = process.argv.includes('--offline');

/** The sandbox for the example: local and offline, or AgentCore (and S3) with AWS credentials. */
export function createExampleSandbox(): CodeSandbox {
  let backend: SandboxBackend;
  let imageSink: ImageSink;
  if (offline) {
    backend = localBackend();
    imageSink = localDirSink({ dir: 'figures' });
  } else {
    backend = agentCoreBackend({ sessionTimeoutSeconds: 900 });
    const bucket = process.env.SANDPLOT_S3_BUCKET;
    imageSink = bucket ? s3Sink({ bucket, prefix: 'figures/' }) : base64Sink();
  }
  return new CodeSandbox({ backend, imageSink });
}
