import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import { missingPeerError } from '../../../src/internal/missing-peer.js';

const peer = {
  name: '@langchain/core',
  specifier: '@langchain/core/tools',
  entry: 'sandplot/langchain',
  range: '^1.0.0',
};

function notFound(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('missingPeerError', () => {
  it('names the package to install when the framework itself is missing (ESM and CJS)', () => {
    for (const error of [
      notFound(
        'ERR_MODULE_NOT_FOUND',
        "Cannot find package '@langchain/core' imported from /app/x.js",
      ),
      notFound('MODULE_NOT_FOUND', "Cannot find module '@langchain/core/tools'\nRequire stack:"),
    ]) {
      const thrown = missingPeerError(peer, error);
      expect(ConfigError.isInstance(thrown)).toBe(true);
      expect(thrown).toMatchObject({
        code: 'BACKEND_UNAVAILABLE',
        message:
          'sandplot/langchain needs @langchain/core, which is not installed: npm install @langchain/core (sandplot supports ^1.0.0).',
        cause: error,
      });
    }
  });

  it("keeps Node's error when the framework is there but broken, or misses a package of its own", () => {
    const ownDependency = notFound(
      'ERR_MODULE_NOT_FOUND',
      "Cannot find package 'zod' imported from /app/node_modules/@langchain/core/dist/tools.js",
    );
    expect(missingPeerError(peer, ownDependency)).toBe(ownDependency);
    const broken = new SyntaxError('Unexpected token');
    expect(missingPeerError(peer, broken)).toBe(broken);
    const notExported = notFound(
      'ERR_PACKAGE_PATH_NOT_EXPORTED',
      "'@langchain/core' has no ./tools",
    );
    expect(missingPeerError(peer, notExported)).toBe(notExported);
  });
});
