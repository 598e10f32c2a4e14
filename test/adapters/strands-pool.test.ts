import { Agent, ImageBlock, type Message, TextBlock, ToolResultBlock } from '@strands-agents/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { STRANDS_CONVERSATION_ID_KEY, strandsTool } from '../../src/adapters/strands.js';
import { localBackend } from '../../src/backends/local.js';
import { createSandboxPool, type SandboxPool } from '../../src/sandbox/pool.js';
import { firstCode, secondCode } from '../support/adapter-fixtures.js';
import { ScriptedStrandsModel } from '../support/scripted-strands-model.js';
import {
  describeAdapterPoolContract,
  listedFigures,
  type ToolReply,
} from './support/pool-contract.js';

/** A scripted model that calls execute_python with each code in turn, then answers. */
function scriptedModel(codes: readonly string[]): ScriptedStrandsModel {
  return new ScriptedStrandsModel([
    ...codes.map((code, at) => ({
      toolUses: [{ name: 'execute_python', toolUseId: `call_${at + 1}`, input: { code } }],
    })),
    { text: 'Done.' },
  ]);
}

/** What the model got back for each tool call: the ToolResultBlock of its next call. */
function repliesOf(model: ScriptedStrandsModel): ToolReply[] {
  return model.calls.slice(1).map((call) => {
    const last = call.messages.at(-1) as Message;
    const block = last.content.find((entry) => entry instanceof ToolResultBlock);
    if (!(block instanceof ToolResultBlock)) throw new Error('no ToolResultBlock');
    return {
      isError: block.status === 'error',
      text: block.content
        .flatMap((entry) => (entry instanceof TextBlock ? [entry.text] : []))
        .join('\n'),
      images: block.content.flatMap((entry) =>
        entry instanceof ImageBlock ? [(entry.source as { bytes: Uint8Array }).bytes] : [],
      ),
    };
  });
}

describeAdapterPoolContract('strandsTool', (pool) => {
  // One tool serves every agent (and conversation) of the pool.
  const python = strandsTool(pool);
  return {
    conversationIdHelp: /invocationState.*appState/,
    async run(conversationId, codes) {
      const model = scriptedModel(codes);
      const agent = new Agent({ model, tools: [python], printer: false });
      await agent.invoke(
        'Go.',
        conversationId === undefined
          ? {}
          : { invocationState: { [STRANDS_CONVERSATION_ID_KEY]: conversationId } },
      );
      return repliesOf(model);
    },
    figures: async (conversationId) => listedFigures(python.figuresFor(conversationId)),
  };
});

describe('strandsTool on a pool: where the conversation id comes from', () => {
  let pool: SandboxPool | undefined;
  afterEach(async () => {
    await pool?.closeAll();
    pool = undefined;
  });

  it("takes it from the agent's app state, or from a callback of the ToolContext", async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const python = strandsTool(pool);
    const byAppState = new Agent({
      model: scriptedModel([firstCode('alpha')]),
      tools: [python],
      printer: false,
      appState: { [STRANDS_CONVERSATION_ID_KEY]: 'conv-alpha' },
    });
    await byAppState.invoke('I am alpha.');
    expect(python.figuresFor('conv-alpha')).toHaveLength(1);
    expect(python.lastOutput?.conversationId).toBe('conv-alpha');

    const byCallback = strandsTool(pool, { conversationId: ({ agent }) => `agent-${agent.id}` });
    const model = scriptedModel([secondCode]);
    const agent = new Agent({ model, tools: [byCallback], printer: false });
    await agent.invoke('Who am I?');
    expect(byCallback.lastOutput?.conversationId).toBe(`agent-${agent.id}`);
    expect(repliesOf(model)[0]?.text).toMatch(/NameError: name 'secret' is not defined/);
  }, 60_000);
});
