import { localBackend } from '../../src/backends/local.js';
import { salesAnalysisCode, salesSeries } from '../../src/cli/sales-analysis.js';
import { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { base64Sink } from '../../src/sinks/base64.js';
import type { ImageSink } from '../../src/sinks/types.js';

export { salesAnalysisCode };

/** Code that makes a figure and then raises: the figure must still arrive, with error status. */
export const failingCode = `import matplotlib.pyplot as plt
plt.plot([3, 1, 2])
plt.title("Before the crash")
growth = 1 / 0
`;

/**
 * A conversation's first call in the pool tests: shows whether a `secret` is already there (it
 * must not be: another conversation's variables never leak in), sets it, and draws a figure.
 */
export function firstCode(name: string): string {
  return `try:
    print("seen before:", secret)
except NameError:
    print("no secret yet")
secret = ${JSON.stringify(name)}
import matplotlib.pyplot as plt
plt.plot([1, 2, 3])
plt.title(${JSON.stringify(`${name} chart`)})
`;
}

/** A conversation's later call: reads its own `secret` back. */
export const secondCode = 'print("secret is", secret)';

/** Code that draws one figure titled `title`. */
export function drawCode(title: string): string {
  return `import matplotlib.pyplot as plt
plt.plot([1, 2, 3])
plt.title(${JSON.stringify(title)})
`;
}

export const SHAREABLE_HOST = 'https://figures.example.test';

/**
 * A sink that gives https URLs (like a presigned S3 URL) and, like the base64 sink, keeps the
 * bytes at hand, so the tool can both link and attach the figure.
 */
export function shareableTestSink(): ImageSink {
  return {
    name: 'shareable-test',
    async put(figure, context) {
      const { data, ...rest } = figure;
      return {
        ...rest,
        sink: 'shareable-test',
        url: `${SHAREABLE_HOST}/${context.executionId}/figure-${figure.index}.png?X-Amz-Signature=${'0f'.repeat(32)}`,
        key: `${context.executionId}/figure-${figure.index}.png`,
        byteLength: data.byteLength,
        data,
      };
    },
  };
}

/** A real local sandbox with sales.json in its working directory. */
export async function salesSandbox(imageSink: ImageSink = base64Sink()): Promise<CodeSandbox> {
  const sandbox = new CodeSandbox({ backend: localBackend(), imageSink });
  await sandbox.writeFiles([{ path: 'sales.json', content: JSON.stringify(salesSeries) }]);
  return sandbox;
}

/** True when the bytes start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 8)).equals(
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  );
}
