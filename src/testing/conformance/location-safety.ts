import { isAbsolute, normalize, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StoredFigure } from '../../types/index.js';
import { ensure } from './report.js';

/** A name the sandboxed code could forge, and what must never show up in a location because of it. */
export interface HostileName {
  text: string;
  /** Substrings that, found in a key, path or URL, mean the name steered the location. */
  fragments: string[];
}

/** Titles and execution ids that try to leave the sink's folder or prefix, or to hide there. */
export const HOSTILE_NAMES: readonly HostileName[] = [
  { text: '../../etc/x', fragments: ['etc/x'] },
  { text: '..\\..\\etc\\x', fragments: ['etc\\x', '..\\'] },
  { text: '%2e%2e/%2e%2e/etc/x', fragments: ['etc/x'] },
  { text: '/etc/x', fragments: ['/etc/x'] },
  { text: '..', fragments: [] },
  { text: '.', fragments: [] },
  { text: `${'../'.repeat(400)}etc/x`, fragments: ['etc/x'] },
  { text: 'hostile-'.repeat(1000), fragments: ['hostile-hostile-'] },
  { text: 'line\nbreak\r\u0000\u001b[2J\u202etxt.exe', fragments: ['\u202e'] },
];

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
const CONTROL_CHARACTERS = /[\x00-\x1f\x7f]/;

/** Where a stored figure must stay: a folder for file paths, a prefix for object keys. */
export interface Confinement {
  dir: string | undefined;
  keyPrefix: string | undefined;
}

/**
 * Fails unless every location of `stored` (key, path, file or http URL) is a plain, normalised
 * name inside the sink's folder or prefix, free of what `hostile` could have put there.
 */
export function ensureConfined(
  stored: StoredFigure,
  hostile: HostileName,
  confinement: Confinement,
): void {
  const shown = JSON.stringify(
    hostile.text.length > 60 ? `${hostile.text.slice(0, 60)}…` : hostile.text,
  );
  const free = (where: string, value: string) => {
    ensure(
      !CONTROL_CHARACTERS.test(value),
      `${where} ${JSON.stringify(value)} holds control characters (from ${shown})`,
    );
    ensure(
      !/%2e/i.test(value),
      `${where} ${JSON.stringify(value)} holds an encoded dot (from ${shown})`,
    );
    for (const fragment of hostile.fragments) {
      ensure(
        !value.includes(fragment),
        `${where} ${JSON.stringify(value)} holds ${JSON.stringify(fragment)} (from ${shown})`,
      );
    }
  };
  if (stored.key !== undefined) {
    const key = stored.key;
    free('the key', key);
    ensure(
      !key.startsWith('/') && !key.includes('\\'),
      `the key ${JSON.stringify(key)} is absolute or holds a backslash (from ${shown})`,
    );
    ensure(
      !key.split('/').some((segment) => segment === '.' || segment === '..'),
      `the key ${JSON.stringify(key)} has a "." or ".." segment (from ${shown})`,
    );
    if (confinement.keyPrefix !== undefined) {
      ensure(
        key.startsWith(confinement.keyPrefix),
        `the key ${JSON.stringify(key)} is outside the prefix ${JSON.stringify(confinement.keyPrefix)} (from ${shown})`,
      );
    }
  }
  const paths = stored.path === undefined ? [] : [stored.path];
  const url = typeof stored.url === 'string' ? stored.url : '';
  if (/^file:/i.test(url)) paths.push(fileURLToPath(url));
  for (const path of paths) {
    free('the path', path);
    ensure(
      isAbsolute(path) && normalize(path) === path,
      `the path ${JSON.stringify(path)} is not absolute and normalised (from ${shown})`,
    );
    if (confinement.dir !== undefined) {
      const inside = relative(resolve(confinement.dir), path);
      ensure(
        inside !== '' && !inside.startsWith('..') && !isAbsolute(inside),
        `the path ${JSON.stringify(path)} is outside the folder ${confinement.dir} (from ${shown})`,
      );
    }
  }
  if (url !== '' && !/^(data|file):/i.test(url)) {
    const address = url.split(/[?#]/, 1)[0] as string;
    free('the url', address);
    const afterOrigin = address.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
    ensure(
      !afterOrigin.includes('\\') &&
        !afterOrigin.split('/').some((segment) => segment === '.' || segment === '..'),
      `the url ${JSON.stringify(address)} has a "." or ".." segment or a backslash (from ${shown})`,
    );
  }
}
