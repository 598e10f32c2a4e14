import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';
import { defineConfig } from 'tsup';

/** Inlines `import text from './file.py?raw'` as a string, the same contract Vite gives the tests. */
const rawText: Plugin = {
  name: 'raw-text',
  setup(build) {
    build.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: new URL(args.path.slice(0, -'?raw'.length), `file://${args.resolveDir}/`).pathname,
      namespace: 'raw-text',
    }));
    build.onLoad({ filter: /.*/, namespace: 'raw-text' }, async (args) => ({
      contents: await readFile(args.path, 'utf8'),
      loader: 'text',
    }));
  },
};

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      agentcore: 'src/agentcore.ts',
      testing: 'src/testing.ts',
      s3: 'src/s3.ts',
      redis: 'src/redis.ts',
      strands: 'src/strands.ts',
      langchain: 'src/langchain.ts',
      converse: 'src/converse.ts',
      ai: 'src/ai.ts',
      mcp: 'src/mcp.ts',
      'openai-agents': 'src/openai-agents.ts',
    },
    format: ['esm', 'cjs'],
    // `npm run build` emits declarations; the setup step before tests and the demo skips them.
    dts: process.env.SANDPLOT_SKIP_DTS !== '1',
    sourcemap: true,
    clean: true,
    target: 'node20',
    esbuildPlugins: [rawText],
  },
  {
    entry: { 'cli/index': 'src/cli/index.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    esbuildPlugins: [rawText],
  },
]);
