import {
  type Message,
  Model,
  type ModelStreamEvent,
  type StreamOptions,
} from '@strands-agents/sdk';

/** One scripted answer: text, tool uses, and the stop reason. */
export interface StrandsTurn {
  text?: string;
  toolUses?: { name: string; toolUseId: string; input: unknown }[];
}

/**
 * A real Strands Model subclass that streams scripted turns (text deltas, tool uses with their
 * input as JSON deltas, a stop reason), one per call, and records what each call received.
 */
export class ScriptedStrandsModel extends Model {
  readonly calls: { messages: Message[]; options: StreamOptions | undefined }[] = [];
  #turns: StrandsTurn[];
  #config: { modelId: string } = { modelId: 'scripted' };

  constructor(turns: StrandsTurn[]) {
    super();
    this.#turns = [...turns];
  }

  updateConfig(config: { modelId?: string }): void {
    this.#config = { ...this.#config, ...config } as { modelId: string };
  }

  getConfig(): { modelId: string } {
    return this.#config;
  }

  async *stream(messages: Message[], options?: StreamOptions): AsyncIterable<ModelStreamEvent> {
    this.calls.push({ messages: [...messages], options });
    const turn = this.#turns.shift();
    if (!turn) throw new Error('ScriptedStrandsModel: no scripted turn left');
    yield { type: 'modelMessageStartEvent', role: 'assistant' };
    if (turn.text) {
      yield { type: 'modelContentBlockStartEvent' };
      yield { type: 'modelContentBlockDeltaEvent', delta: { type: 'textDelta', text: turn.text } };
      yield { type: 'modelContentBlockStopEvent' };
    }
    for (const toolUse of turn.toolUses ?? []) {
      yield {
        type: 'modelContentBlockStartEvent',
        start: { type: 'toolUseStart', name: toolUse.name, toolUseId: toolUse.toolUseId },
      };
      const input = JSON.stringify(toolUse.input);
      // Stream the input in pieces, as real models do.
      for (let at = 0; at < input.length; at += 200) {
        yield {
          type: 'modelContentBlockDeltaEvent',
          delta: { type: 'toolUseInputDelta', input: input.slice(at, at + 200) },
        };
      }
      yield { type: 'modelContentBlockStopEvent' };
    }
    yield {
      type: 'modelMessageStopEvent',
      stopReason: turn.toolUses?.length ? 'toolUse' : 'endTurn',
    };
    yield {
      type: 'modelMetadataEvent',
      usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120 },
      metrics: { latencyMs: 5 },
    };
  }
}
