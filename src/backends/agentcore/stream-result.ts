import type {
  CodeInterpreterStreamOutput,
  ContentBlock,
  TaskStatus,
  ToolResultStructuredContent,
} from '@aws-sdk/client-bedrock-agentcore';
import type { CapturedFigure, FigureMediaType } from '../../types/index.js';
import { EmptyStreamError, STREAM_EXCEPTION_MEMBERS } from './service-errors.js';

/** A file the service sent back as an embedded resource (readFiles). */
export interface StreamResource {
  uri?: string;
  mimeType?: string;
  text?: string;
  blob?: Uint8Array;
}

/** Everything one InvokeCodeInterpreter stream carried, merged over all its result events. */
export interface StreamOutcome {
  stdout: string;
  stderr: string;
  /** The last exit code the service reported; without one, 1 for an error result, else 0. */
  exitCode: number | null;
  isError: boolean;
  figures: Omit<CapturedFigure, 'index'>[];
  resources: StreamResource[];
  /** Text content blocks, for tools that answer in prose (errors, listFiles). */
  texts: string[];
  /** Links from listFiles. */
  links: { uri?: string; name?: string; size?: number; description?: string }[];
  /** The task a startCommandExecution / getTask / stopTask result is about (the last one seen). */
  taskId?: string;
  /** That task's status (the last one seen). */
  taskStatus?: TaskStatus;
}

/**
 * The stream failed. `afterResult` tells whether a result event had already arrived: then the
 * code ran, and repeating the call would run it twice.
 */
export class StreamFailure extends Error {
  readonly afterResult: boolean;
  constructor(cause: unknown, afterResult: boolean) {
    super('The InvokeCodeInterpreter stream failed', { cause });
    this.name = 'StreamFailure';
    this.afterResult = afterResult;
  }
}

const FIGURE_TYPES: Record<string, FigureMediaType> = {
  'image/png': 'image/png',
  'image/jpeg': 'image/jpeg',
  'image/jpg': 'image/jpeg',
  'image/svg+xml': 'image/svg+xml',
};

function figureType(mimeType: string | undefined): FigureMediaType | undefined {
  return mimeType === undefined ? undefined : FIGURE_TYPES[mimeType.toLowerCase()];
}

const exceptionMembers = Object.keys(
  STREAM_EXCEPTION_MEMBERS,
) as (keyof typeof STREAM_EXCEPTION_MEMBERS)[];

/** Reads the stream to its end; any exception in it (member or thrown) rejects with StreamFailure. */
export async function readInvokeStream(
  stream: AsyncIterable<CodeInterpreterStreamOutput> | undefined,
): Promise<StreamOutcome> {
  const outcome: StreamOutcome = {
    stdout: '',
    stderr: '',
    exitCode: null,
    isError: false,
    figures: [],
    resources: [],
    texts: [],
    links: [],
  };
  let sawResult = false;
  try {
    if (stream === undefined) throw new EmptyStreamError();
    for await (const event of stream) {
      const result = event.result;
      if (result === undefined) {
        const member = exceptionMembers.find((name) => event[name as keyof typeof event]);
        if (member !== undefined) {
          const exception = event[member as keyof typeof event] as unknown;
          throw exception instanceof Error
            ? exception
            : Object.assign(new Error(String((exception as { message?: unknown })?.message)), {
                name: STREAM_EXCEPTION_MEMBERS[member],
              });
        }
        continue;
      }
      sawResult = true;
      if (result.isError) outcome.isError = true;
      const structured = result.structuredContent;
      const texts: string[] = [];
      for (const block of result.content ?? []) collectBlock(block, outcome, texts);
      outcome.texts.push(...texts);
      collectOutput(outcome, structured, texts.join(''), result.isError === true);
      if (typeof structured?.exitCode === 'number') outcome.exitCode = structured.exitCode;
      if (structured?.taskId !== undefined) outcome.taskId = structured.taskId;
      if (structured?.taskStatus !== undefined) outcome.taskStatus = structured.taskStatus;
    }
    if (!sawResult) throw new EmptyStreamError();
  } catch (error) {
    throw new StreamFailure(error, sawResult);
  }
  // A result without an exit code: 1 for an error, else success.
  if (outcome.exitCode === null) outcome.exitCode = outcome.isError ? 1 : 0;
  return outcome;
}

/**
 * Adds one result's output. `structuredContent.stdout` is the output when it has any; when it is
 * empty or absent the text blocks carry it (less what is already stderr). Without structured
 * output, an error result's text is stderr.
 */
function collectOutput(
  outcome: StreamOutcome,
  structured: ToolResultStructuredContent | undefined,
  text: string,
  isError: boolean,
): void {
  const stdout = structured?.stdout ?? '';
  const stderr = structured?.stderr ?? '';
  outcome.stderr += stderr;
  if (stdout !== '' || text === '') {
    outcome.stdout += stdout;
    return;
  }
  if (structured === undefined || (structured.stdout === undefined && stderr === '')) {
    if (isError) outcome.stderr += text;
    else outcome.stdout += text;
    return;
  }
  // The text blocks may repeat stderr after the output (as stdout + stderr).
  const output = stderr !== '' && text.endsWith(stderr) ? text.slice(0, -stderr.length) : text;
  outcome.stdout += output;
}

function collectBlock(block: ContentBlock, outcome: StreamOutcome, texts: string[]): void {
  switch (block.type) {
    case 'text':
      if (block.text !== undefined) texts.push(block.text);
      return;
    case 'image': {
      const mediaType = figureType(block.mimeType);
      if (mediaType !== undefined && block.data !== undefined) {
        outcome.figures.push({ mediaType, data: block.data });
      }
      return;
    }
    case 'resource': {
      const resource = block.resource;
      if (resource === undefined) return;
      outcome.resources.push(
        Object.fromEntries(
          Object.entries({
            uri: resource.uri,
            mimeType: resource.mimeType,
            text: resource.text,
            blob: resource.blob,
          }).filter(([, value]) => value !== undefined),
        ) as StreamResource,
      );
      return;
    }
    case 'resource_link':
      outcome.links.push(
        Object.fromEntries(
          Object.entries({
            uri: block.uri,
            name: block.name,
            size: block.size,
            description: block.description,
          }).filter(([, value]) => value !== undefined),
        ),
      );
      return;
    default:
      return;
  }
}

/** Binary resources of an image type, which executeCode results count as figures. */
export function resourceFigures(resources: StreamResource[]): Omit<CapturedFigure, 'index'>[] {
  const figures: Omit<CapturedFigure, 'index'>[] = [];
  for (const resource of resources) {
    const mediaType = figureType(resource.mimeType);
    if (mediaType !== undefined && resource.blob !== undefined) {
      figures.push({ mediaType, data: resource.blob });
    }
  }
  return figures;
}
