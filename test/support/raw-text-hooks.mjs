// Module hooks for Node processes that run src/ through tsx outside Vite (test/support/
// signal-child.ts): `import text from './file.py?raw'` gives the file's text, as Vite and the
// tsup build do. Use with `node --import tsx --import ./test/support/raw-text-hooks.mjs`.
import { readFile } from 'node:fs/promises';
import { register } from 'node:module';

if (!process.env.SANDPLOT_RAW_TEXT_HOOKS_LOADED) {
  process.env.SANDPLOT_RAW_TEXT_HOOKS_LOADED = '1';
  register(import.meta.url);
}

export async function resolve(specifier, context, nextResolve) {
  if (specifier.endsWith('?raw') && context.parentURL !== undefined) {
    return { url: new URL(specifier, context.parentURL).href, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (url.endsWith('?raw')) {
    const text = await readFile(new URL(url.slice(0, -'?raw'.length)), 'utf8');
    return {
      format: 'module',
      source: `export default ${JSON.stringify(text)};`,
      shortCircuit: true,
    };
  }
  return nextLoad(url, context);
}
