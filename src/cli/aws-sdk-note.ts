/**
 * The AWS SDK prints an eight-line NodeVersionSupportWarning on Node below 22, once per process,
 * when its first client is made. The command holds it back and, when it uses the SDK, says the
 * same in one line of its own (nothing with `--quiet`). A person who set
 * AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true already knows, and sees nothing.
 */

const WARNING_SETTING = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
// The first Node major version the SDK's releases after the first week of January 2027 support.
const SUPPORTED_MAJOR = 22;

let pending = false;

/** At the command's start, before any AWS SDK client exists: silences the SDK's own warning. */
export function holdAwsSdkNodeWarning(nodeVersion = process.versions.node): void {
  if (process.env[WARNING_SETTING] === 'true') return;
  if (Number.parseInt(nodeVersion, 10) >= SUPPORTED_MAJOR) return;
  process.env[WARNING_SETTING] = 'true';
  pending = true;
}

/** When the command is about to use the AWS SDK: the one-line note, once, unless `quiet`. */
export function noteAwsSdkNodeVersion(quiet: boolean | undefined): void {
  if (!pending) return;
  pending = false;
  if (quiet) return;
  process.stderr.write(
    `sandplot: note: AWS SDK releases after the first week of January 2027 need Node ${SUPPORTED_MAJOR} or newer; this is Node ${process.versions.node} (--quiet hides this note)\n`,
  );
}
