import { ConfigError } from '../errors/index.js';

/** Where the build routes an optional peer's import: the peer, and what needs it. */
export interface OptionalPeer {
  /** The package to install, e.g. `@strands-agents/sdk`. */
  name: string;
  /** The specifier imported, the package or one of its subpaths (`@langchain/core/tools`). */
  specifier: string;
  /** The sandplot entry that imports it, e.g. `sandplot/strands`. */
  entry: string;
  /** The versions sandplot supports (its peerDependencies range). */
  range: string;
}

/**
 * What to throw when loading an optional peer failed: a `ConfigError` (`BACKEND_UNAVAILABLE`)
 * that names the package to install when the peer itself is missing, else `error` unchanged (a
 * peer that is installed but broken, or misses a dependency of its own, keeps Node's error).
 * The build (tsup.config.ts) loads each adapter's framework through this, so importing
 * `sandplot/strands` without `@strands-agents/sdk` says what to do instead of Node's bare
 * "Cannot find package".
 */
export function missingPeerError(peer: OptionalPeer, error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  const missing =
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    (message.includes(`'${peer.name}'`) || message.includes(`'${peer.specifier}'`));
  if (!missing) return error;
  return new ConfigError(
    `${peer.entry} needs ${peer.name}, which is not installed: npm install ${peer.name} (sandplot supports ${peer.range}).`,
    { code: 'BACKEND_UNAVAILABLE', cause: error },
  );
}
