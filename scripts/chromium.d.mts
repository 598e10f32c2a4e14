/** Debian's chromium: `npm test` installs it (scripts/setup.mjs --browser). */
export declare const chromiumPath: string;

/** Quiet, offline, headless: no first-run, update, sync or network chatter of its own. */
export declare const chromiumArgs: readonly string[];

/** The options for playwright-core's `chromium.launch()`. */
export declare function chromiumLaunchOptions(): {
  executablePath: string;
  headless: true;
  args: string[];
};
