import type { FigureMediaType } from '../types/index.js';

const extensions: Record<FigureMediaType, string> = {
  'image/png': 'png',
  'image/svg+xml': 'svg',
  'image/jpeg': 'jpg',
};

/** File extension for a figure's media type, without the dot. */
export function extensionFor(mediaType: FigureMediaType): string {
  return extensions[mediaType];
}
