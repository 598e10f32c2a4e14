import { formatBytes } from '../capture/format-bytes.js';

const MAX_LISTED = 20;

/**
 * One sentence for the tool description: the files in the working directory that the
 * application gave the sandbox, by name and size (at most 20, then a count).
 */
export function describeInputFiles(files: readonly { path: string; byteLength: number }[]): string {
  const listed = files
    .slice(0, MAX_LISTED)
    .map((file) => `${JSON.stringify(file.path)} (${formatBytes(file.byteLength)})`);
  if (files.length > MAX_LISTED) listed.push(`and ${files.length - MAX_LISTED} more`);
  return `The working directory has these input files: ${listed.join(', ')}.`;
}
