import { throwIfAborted } from '../internal/abort.js';
import type { ImageSink } from './types.js';

/**
 * Keeps figures and files in memory and gives each a `data:` URL. The bytes stay on the stored
 * figure or file, so tools can hand them to multimodal models. The default sink.
 */
export function base64Sink(): ImageSink {
  return {
    name: 'base64',
    async put(figure, context) {
      throwIfAborted(context.abortSignal, 'base64Sink.put');
      const { data, ...rest } = figure;
      return {
        ...rest,
        sink: 'base64',
        url: dataUrl(figure.mediaType, data),
        byteLength: data.byteLength,
        data,
      };
    },
    async putFile(file, context) {
      throwIfAborted(context.abortSignal, 'base64Sink.putFile');
      const { data, path, mediaType } = file;
      return {
        path,
        mediaType,
        sink: 'base64',
        url: dataUrl(mediaType, data),
        byteLength: data.byteLength,
        data,
      };
    },
  };
}

function dataUrl(mediaType: string, data: Uint8Array): string {
  return `data:${mediaType};base64,${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')}`;
}
