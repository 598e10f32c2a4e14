import { throwIfAborted } from '../internal/abort.js';
import type { ImageSink } from './types.js';

/**
 * Keeps figures in memory and gives each a `data:` URL. The bytes stay on the StoredFigure, so
 * tools can hand them to multimodal models. The default sink.
 */
export function base64Sink(): ImageSink {
  return {
    name: 'base64',
    async put(figure, context) {
      throwIfAborted(context.abortSignal, 'base64Sink.put');
      const url = `data:${figure.mediaType};base64,${Buffer.from(figure.data.buffer, figure.data.byteOffset, figure.data.byteLength).toString('base64')}`;
      const { data, ...rest } = figure;
      return { ...rest, sink: 'base64', url, byteLength: data.byteLength, data };
    },
  };
}
