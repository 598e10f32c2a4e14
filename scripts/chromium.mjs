// How sandplot starts Debian's chromium headless through playwright-core: the browser tests
// (test/support/chromium.ts) and scripts/docs-images.mjs. Plain Node, so the script can import it
// without tsx; scripts/chromium.d.mts gives the tests its types.

/** Debian's chromium: `npm test` installs it (scripts/setup.mjs --browser). */
export const chromiumPath = '/usr/bin/chromium';

/** Quiet, offline, headless: no first-run, update, sync or network chatter of its own. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
];

/** The options for playwright-core's `chromium.launch()`. */
export function chromiumLaunchOptions() {
  return { executablePath: chromiumPath, headless: true, args: [...chromiumArgs] };
}
