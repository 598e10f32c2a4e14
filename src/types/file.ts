/** Which files the code writes come back, and how many. */
export interface OutputFileOptions {
  /**
   * Send back the files each call created or changed in the sandbox's working directory (hidden
   * names, `__pycache__` and the library's own `.sandplot/` folder left out).
   * @default true
   */
  enabled?: boolean;
  /** Files kept per execution; the rest are listed in `problems` with their paths. @default 20 */
  maxFiles?: number;
  /** Largest file kept; larger ones are listed in `problems`. @default 26214400 (25 MiB) */
  maxFileBytes?: number;
  /** Bytes of all the files of one execution; files past it are listed in `problems`. @default 104857600 (100 MiB) */
  maxTotalBytes?: number;
  /**
   * Files and folders looked at in the working directory; a bigger tree is looked at in part and
   * a problem says so.
   * @default 10000
   */
  maxEntries?: number;
}

/** A file the code wrote, as it left the sandbox: its bytes, not yet stored. */
export interface CapturedFile {
  /** Relative to the working directory, as the code named it (`out/clean.csv`). */
  path: string;
  /** From the file name's extension; `application/octet-stream` when unknown. */
  mediaType: string;
  data: Uint8Array;
}

/** A file after a sink stored it. */
export interface StoredFile {
  /** Relative to the working directory, as the code named it. */
  path: string;
  byteLength: number;
  mediaType: string;
  /** Name of the sink that stored it (for `fallbackSink`, the one that succeeded). */
  sink: string;
  /** Where the file can be fetched: `data:` URL, `file://` URL, or an http(s) URL. */
  url: string;
  /** Object key, for object-store sinks. */
  key?: string;
  /** Absolute file path, for file-system sinks. */
  localPath?: string;
  /** When `url` stops working, for signed URLs. */
  expiresAt?: Date;
  /** The bytes, when the sink keeps them at hand (the base64 sink does). */
  data?: Uint8Array;
}
