import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';
import { defineConfig } from 'tsup';
import packageJson from './package.json' with { type: 'json' };

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

// The optional peers the entries import (agent frameworks, node-redis), and the entry that needs each.
const optionalPeers: Record<string, string> = {
  '@strands-agents/sdk': 'sandplot/strands',
  '@langchain/core': 'sandplot/langchain',
  '@modelcontextprotocol/sdk': 'sandplot/mcp',
  '@openai/agents': 'sandplot/openai-agents',
  ai: 'sandplot/ai',
  redis: 'sandplot/redis',
};
const peerNames = Object.keys(optionalPeers);
const peerOf = (specifier: string) =>
  peerNames.find((name) => specifier === name || specifier.startsWith(`${name}/`));
const internalFolder = new URL('./src/internal/', import.meta.url).pathname;

/**
 * An adapter imports its framework statically; without the framework installed Node would stop
 * at "Cannot find package '@strands-agents/sdk'". Each such import goes through a small module
 * that loads the framework and, when it is missing, throws a ConfigError that names the package
 * to install (`missingPeerError`). ESM: a dynamic import with top-level await (a static one
 * fails before any code runs); CJS: a require in order. The names it re-exports are the
 * framework's own, read here at build time.
 */
const optionalPeersPlugin: Plugin = {
  name: 'optional-peers',
  setup(build) {
    const format = build.initialOptions.format;
    build.onResolve({ filter: /^[@a-z]/ }, (args) => {
      const name = peerOf(args.path);
      if (name === undefined) return undefined;
      // The loader's own import of the framework stays a plain external import.
      if (args.namespace === 'optional-peer') return { path: args.path, external: true };
      return { path: args.path, namespace: 'optional-peer', pluginData: { name } };
    });
    build.onLoad({ filter: /.*/, namespace: 'optional-peer' }, async (args) => {
      const name = args.pluginData.name as string;
      const peer = JSON.stringify({
        name,
        specifier: args.path,
        entry: optionalPeers[name],
        range: packageJson.peerDependencies[name as keyof typeof packageJson.peerDependencies],
      });
      const specifier = JSON.stringify(args.path);
      const helperPath = JSON.stringify('./missing-peer.ts');
      if (format === 'cjs') {
        return {
          contents: `const { missingPeerError } = require(${helperPath});\nlet peer;\ntry { peer = require(${specifier}); } catch (error) { throw missingPeerError(${peer}, error); }\nmodule.exports = peer;\n`,
          loader: 'js',
          resolveDir: internalFolder,
        };
      }
      const names = Object.keys(await import(args.path)).filter(
        (key) => key !== 'default' && /^[A-Za-z_$][\w$]*$/.test(key),
      );
      return {
        contents: `import { missingPeerError } from ${helperPath};\nlet peer;\ntry { peer = await import(${specifier}); } catch (error) { throw missingPeerError(${peer}, error); }\nexport const { ${names.join(', ')} } = peer;\n`,
        loader: 'js',
        resolveDir: internalFolder,
      };
    });
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
    // The frameworks stay external, imported through optionalPeersPlugin.
    noExternal: peerNames.map((name) => new RegExp(`^${name.replace('/', '\\/')}(\\/.*)?$`)),
    esbuildPlugins: [rawText, optionalPeersPlugin],
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
