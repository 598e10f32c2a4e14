import { Agent, run, setTracingDisabled } from '@openai/agents';
import { beforeAll } from 'vitest';
import { openAIAgentsTool } from '../../src/adapters/openai-agents.js';
import { ScriptedOpenAIAgentsModel } from '../support/scripted-openai-agents-model.js';
import { describeAdapterPoolContract, listedFigures } from './support/pool-contract.js';

beforeAll(() => {
  // The default exporter sends traces to OpenAI; these runs have no key and nothing to report.
  setTracingDisabled(true);
});

/** The bytes of an `input_image` data: URL. */
function bytesOf(dataUrl: string): Uint8Array {
  const base64 = /^data:image\/(?:png|jpeg);base64,(.+)$/.exec(dataUrl)?.[1];
  if (base64 === undefined) throw new Error(`not a PNG/JPEG data: URL: ${dataUrl.slice(0, 40)}`);
  return new Uint8Array(Buffer.from(base64, 'base64'));
}

describeAdapterPoolContract('openAIAgentsTool', (pool) => {
  const python = openAIAgentsTool(pool);
  return {
    conversationIdHelp: /run context's conversationId/,
    async run(conversationId, codes) {
      const model = new ScriptedOpenAIAgentsModel(codes.map((code) => ({ code })));
      const agent = new Agent({ name: 'analyst', model, tools: [python] });
      await run(agent, 'Go.', conversationId === undefined ? {} : { context: { conversationId } });
      // A function_call_result has no error flag: the model reads the error in the text.
      return model.toolResults().map((result) => ({
        isError: undefined,
        text: result.text,
        images: result.images.map(bytesOf),
      }));
    },
    figures: async (conversationId) =>
      listedFigures(python.sandplotTool.figuresFor(conversationId)),
  };
});
