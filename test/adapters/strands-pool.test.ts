import { Agent, type Message, TextBlock, ToolResultBlock } from '@strands-agents/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { STRANDS_CONVERSATION_ID_KEY, strandsTool } from '../../src/adapters/strands.js';
import { localBackend } from '../../src/backends/local.js';
import { createSandboxPool, type SandboxPool } from '../../src/sandbox/pool.js';
import { firstCode, secondCode } from '../support/adapter-fixtures.js';
import { ScriptedStrandsModel } from '../support/scripted-strands-model.js';

let pool: SandboxPool | undefined;
afterEach(async () => {
  await pool?.closeAll();
  pool = undefined;
});

/** A model that sets the secret and draws, reads the secret back, then answers. */
function scriptedModel(name: string): ScriptedStrandsModel {
  return new ScriptedStrandsModel([
    {
      toolUses: [
        { name: 'execute_python', toolUseId: `${name}_1`, input: { code: firstCode(name) } },
      ],
    },
    { toolUses: [{ name: 'execute_python', toolUseId: `${name}_2`, input: { code: secondCode } }] },
    { text: 'Done.' },
  ]);
}

/** The text of every tool result the model received, in order. */
function toolResults(model: ScriptedStrandsModel): { status: string; text: string }[] {
  return model.calls.slice(1).map((call) => {
    const last = call.messages.at(-1) as Message;
    const block = last.content.find((entry) => entry instanceof ToolResultBlock);
    if (!(block instanceof ToolResultBlock)) throw new Error('no ToolResultBlock');
    const text = block.content.flatMap((entry) => (entry instanceof TextBlock ? [entry.text] : []));
    return { status: block.status, text: text.join('\n') };
  });
}

describe('strandsTool on a sandbox pool: one sandbox per conversation', () => {
  it('serves two agents concurrently with one tool: own variables, own figures', async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const python = strandsTool(pool);
    const models = { alpha: scriptedModel('alpha'), beta: scriptedModel('beta') };
    // alpha's id is in the agent's app state, beta's in the invocation state.
    const alphaAgent = new Agent({
      model: models.alpha,
      tools: [python],
      printer: false,
      appState: { [STRANDS_CONVERSATION_ID_KEY]: 'conv-alpha' },
    });
    const betaAgent = new Agent({ model: models.beta, tools: [python], printer: false });
    await Promise.all([
      alphaAgent.invoke('I am alpha.'),
      betaAgent.invoke('I am beta.', {
        invocationState: { [STRANDS_CONVERSATION_ID_KEY]: 'conv-beta' },
      }),
    ]);
    for (const name of ['alpha', 'beta'] as const) {
      const [first, second] = toolResults(models[name]);
      expect(first?.status).toBe('success');
      expect(first?.text).toContain('no secret yet');
      expect(first?.text).toContain(`- figure 1, "${name} chart"`);
      expect(second?.text).toContain(`secret is ${name}`);
      expect(
        python.figuresFor(`conv-${name}`).map((figure) => [figure.label, figure.title]),
      ).toEqual([['figure 1', `${name} chart`]]);
    }
    expect(pool.stats()).toMatchObject({ started: 2, queued: 0 });
  }, 60_000);

  it('takes the conversation id from a callback of the ToolContext', async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const python = strandsTool(pool, { conversationId: ({ agent }) => `agent-${agent.id}` });
    const model = scriptedModel('gamma');
    const agent = new Agent({ model, tools: [python], printer: false });
    await agent.invoke('I am gamma.');
    expect(toolResults(model)[1]?.text).toContain('secret is gamma');
    expect(python.figuresFor(`agent-${agent.id}`)).toHaveLength(1);
  }, 60_000);

  it('without a conversation id answers with an error result and tells the developer', async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const python = strandsTool(pool);
    const model = new ScriptedStrandsModel([
      { toolUses: [{ name: 'execute_python', toolUseId: 't1', input: { code: 'print(1)' } }] },
      { text: 'The sandbox is unavailable.' },
    ]);
    const agent = new Agent({ model, tools: [python], printer: false });
    await agent.invoke('Compute.');
    const [result] = toolResults(model);
    expect(result?.status).toBe('error');
    expect(result?.text).toMatch(/did not say which conversation/);
    expect(python.lastOutput?.error?.message).toMatch(/appState/);
    expect(pool.stats().started).toBe(0);
  }, 60_000);
});
