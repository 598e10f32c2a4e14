import { accessSync, constants } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { chromiumLaunchOptions, chromiumPath } from '../../scripts/chromium.mjs';

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
  const browser = await chromium.launch(chromiumLaunchOptions());
  return { browser, launchMs: performance.now() - started };
}
