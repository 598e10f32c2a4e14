// Runs a small analysis in a local sandbox and writes its figure to ./figures.
// Offline by design: the local backend needs no network. Run: npx tsx examples/quickstart.ts
import { CodeSandbox, localBackend, localDirSink } from 'sandplot';

await using sandbox = new CodeSandbox({
  backend: localBackend(),
  imageSink: localDirSink({ dir: 'figures' }),
});

const first = await sandbox.executePython(`
import pandas as pd
sales = pd.Series([100, 120, 95, 140, 160, 180, 200], name="Product A")
print(f"Overall growth: {(sales.iloc[-1] / sales.iloc[0] - 1) * 100:.1f}%")
`);
process.stdout.write(first.stdout);

// Variables persist: the second call plots the series the first one made.
const second = await sandbox.executePython(`
import matplotlib.pyplot as plt
sales.plot(marker="o", title="Product A sales")
plt.show()
`);
for (const figure of second.figures) {
  console.log(
    `figure ${figure.index + 1}: ${figure.path} (${figure.width}×${figure.height} px, "${figure.title}")`,
  );
}
for (const problem of second.problems) console.error(`not delivered: ${problem.reason}`);
