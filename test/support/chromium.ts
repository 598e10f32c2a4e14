import { accessSync, constants } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

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

/**
 * Starts Debian's chromium headless through playwright-core. Browser tests fail (never skip)
 * when it is missing, with the command that installs it.
 */
export async function launchChromium(): Promise<{ browser: Browser; launchMs: number }> {
  try {
    accessSync(chromiumPath, constants.X_OK);
  } catch {
    throw new Error(
      `${chromiumPath} is missing: the browser tests need Debian's chromium. Install it with \`sudo apt-get update && sudo apt-get install -y chromium\` (npm test does it when run as root).`,
    );
  }
  const started = performance.now();
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
  });
  return { browser, launchMs: performance.now() - started };
}
