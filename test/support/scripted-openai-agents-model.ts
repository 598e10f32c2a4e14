import {
  type AgentInputItem,
  type Model,
  type ModelRequest,
  type ModelResponse,
  Usage,
} from '@openai/agents';

/** One tool result the model received: its text items and its images (data: URLs). */
export interface OpenAIAgentsToolResult {
  item: AgentInputItem & { type: 'function_call_result' };
  text: string;
  images: string[];
}

/**
 * A real OpenAI Agents `Model` that calls execute_python with each of `calls` (the arguments) in
 * turn, then answers `finalText`; it records every request it got.
 */
export class ScriptedOpenAIAgentsModel implements Model {
  readonly requests: ModelRequest[] = [];

  constructor(
    private readonly calls: readonly Record<string, unknown>[],
    private readonly finalText = 'Done.',
  ) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const args = this.calls[this.requests.length - 1];
    const output: ModelResponse['output'] = args
      ? [
          {
            type: 'function_call',
            callId: `call_${this.requests.length}`,
            name: 'execute_python',
            arguments: JSON.stringify(args),
            status: 'completed',
          },
        ]
      : [
          {
            type: 'message',
            role: 'assistant',
            status: 'completed',
            content: [{ type: 'output_text', text: this.finalText }],
          },
        ];
    return { usage: new Usage(), output };
  }

  // biome-ignore lint/correctness/useYield: the runs here are not streamed.
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('not streamed');
  }

  /** The tool results in the last request's input, in order. */
  toolResults(): OpenAIAgentsToolResult[] {
    const input = (this.requests.at(-1)?.input ?? []) as AgentInputItem[];
    return input.flatMap((item) => {
      if (item.type !== 'function_call_result') return [];
      const parts = Array.isArray(item.output) ? item.output : [];
      return [
        {
          item,
          text: parts.flatMap((part) => (part.type === 'input_text' ? [part.text] : [])).join('\n'),
          images: parts.flatMap((part) =>
            part.type === 'input_image' && typeof part.image === 'string' ? [part.image] : [],
          ),
        },
      ];
    });
  }
}
