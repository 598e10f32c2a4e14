import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/sdk/types.js';
import { isShareableUrl, type LedgerFigure } from '../../tool/figure-ledger.js';
import type { ExecutePythonToolOutput } from '../../tool/tool-types.js';
import { clipDescription } from '../shared/clip-titles.js';
import { toBase64 } from '../shared/image-base64.js';
import { fileResourceName, fileResourceUri } from './file-resources.js';

/** The URI of a figure resource: `sandplot://figures/3` is `figure 3`. */
export function figureResourceUri(ref: number): string {
  return `sandplot://figures/${ref}`;
}

export interface McpToolResultOptions {
  /**
   * Add a `resource_link` block per figure: its http(s) URL when the sink gave one (an S3
   * presigned URL), else its `sandplot://figures/N` resource when the figure was not attached as
   * an image and figure resources are served.
   * @default true
   */
  resourceLinks?: boolean;
  /** Whether the server serves `sandplot://figures/N` resources. @default true */
  figureResources?: boolean;
}

/**
 * Maps the neutral output to an MCP CallToolResult: the text, one `image` block (base64) per
 * attached figure, then resource links; `isError` when the Python raised (images still attached),
 * the input was invalid or the sandbox failed.
 */
export function toMcpToolResult(
  output: ExecutePythonToolOutput,
  options: McpToolResultOptions = {},
): CallToolResult {
  const content: ContentBlock[] = [{ type: 'text', text: output.text }];
  for (const image of output.images) {
    content.push({
      type: 'image',
      data: toBase64(image.data),
      mimeType: image.mediaType,
    });
  }
  if (options.resourceLinks ?? true) {
    const attached = new Set(output.images.map((image) => image.ref));
    for (const figure of output.figures) {
      const uri = isShareableUrl(figure.url)
        ? figure.url
        : !attached.has(figure.ref) && (options.figureResources ?? true)
          ? figureResourceUri(figure.ref)
          : undefined;
      if (uri) content.push(resourceLink(figure, uri));
    }
    if (options.figureResources ?? true) {
      for (const file of output.result?.files ?? []) {
        content.push({
          type: 'resource_link',
          uri: isShareableUrl(file.url) ? file.url : fileResourceUri(file.path),
          name: fileResourceName(file.path),
          mimeType: file.mediaType,
          size: file.byteLength,
        });
      }
    }
  }
  return { content, isError: output.isError };
}

/**
 * What an MCP client lists for a figure (a `resource_link` block, a `resources/list` entry): the
 * ledger's title is already bounded, one line; the call's description is clipped too.
 */
export function figureResourceFields(figure: LedgerFigure) {
  const description = figure.description ? clipDescription(figure.description) : '';
  return {
    name: figure.label,
    ...(figure.title ? { title: figure.title } : {}),
    mimeType: figure.mediaType,
    size: figure.byteLength,
    ...(description ? { description } : {}),
  };
}

function resourceLink(figure: LedgerFigure, uri: string): ContentBlock {
  return { type: 'resource_link', uri, ...figureResourceFields(figure) };
}
