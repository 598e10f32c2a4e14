// Media types by file extension, for the files model code typically writes. Anything else is
// application/octet-stream: a sink serves it as a download, never as something a browser runs.
const MEDIA_TYPES: Readonly<Record<string, string>> = {
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  txt: 'text/plain',
  log: 'text/plain',
  md: 'text/markdown',
  json: 'application/json',
  jsonl: 'application/x-ndjson',
  xml: 'application/xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  html: 'text/html',
  htm: 'text/html',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  xls: 'application/vnd.ms-excel',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  parquet: 'application/vnd.apache.parquet',
  feather: 'application/vnd.apache.arrow.file',
  pkl: 'application/octet-stream',
  npy: 'application/octet-stream',
  zip: 'application/zip',
  gz: 'application/gzip',
  py: 'text/x-python',
  ipynb: 'application/x-ipynb+json',
};

/** The media type of a file from its name's extension; `application/octet-stream` when unknown. */
export function fileMediaType(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return 'application/octet-stream';
  const extension = name.slice(dot + 1).toLowerCase();
  return Object.hasOwn(MEDIA_TYPES, extension)
    ? (MEDIA_TYPES[extension] as string)
    : 'application/octet-stream';
}

/**
 * Media types a browser may run or render as a page (HTML, SVG, XML): sinks serve files of these
 * types only as downloads, so a link to the sandbox's output never runs its script.
 */
export function isActiveMediaType(mediaType: string): boolean {
  return /html|svg|xml|javascript|ecmascript/i.test(mediaType);
}
