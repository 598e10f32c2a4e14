import { afterEach, describe, expect, it } from 'vitest';
import { converseTool, runConverseToolLoop } from '../../src/adapters/converse.js';
import { localBackend } from '../../src/backends/local.js';
import { createSandboxPool, type SandboxPool } from '../../src/sandbox/pool.js';
import { firstCode, secondCode } from '../support/adapter-fixtures.js';
import {
  type ConverseRequestRecord,
  type ScriptedConverseServer,
  startScriptedConverseServer,
} from '../support/scripted-converse-server.js';

const modelId = 'us.anthropic.claude-sonnet-4-20250514-v1:0';

let server: ScriptedConverseServer | undefined;
let pool: SandboxPool | undefined;
afterEach(async () => {
  await server?.close();
  await pool?.closeAll();
  server = undefined;
  pool = undefined;
});

type Block = Record<string, unknown> & {
  text?: string;
  toolResult?: { status: string; content: { text?: string }[] };
};

function toolResultsOf(request: ConverseRequestRecord): { status: string; text: string }[] {
  return request.body.messages.flatMap((message) =>
    (message.content as Block[]).flatMap((block) =>
      block.toolResult
        ? [
            {
              status: block.toolResult.status,
              text: block.toolResult.content.flatMap((part) => part.text ?? []).join('\n'),
            },
          ]
        : [],
    ),
  );
}

/**
 * A model serving any number of conversations: reads the user's name from the first message,
 * sets the secret and draws, reads it back, then answers with the tool results it got.
 */
function conversationScript(request: ConverseRequestRecord) {
  const first = request.body.messages[0]?.content[0] as Block | undefined;
  const name = /I am (\w+)/.exec(first?.text ?? '')?.[1] ?? 'nobody';
  const results = toolResultsOf(request);
  if (results.length < 2) {
    const step = results.length + 1;
    return {
      content: [
        {
          toolUse: {
            toolUseId: `${name}_${step}`,
            name: 'execute_python',
            input: { code: step === 1 ? firstCode(name) : secondCode },
          },
        },
      ],
      stopReason: 'tool_use' as const,
    };
  }
  return {
    content: [{ text: results.map((result) => result.text).join('\n---\n') }],
    stopReason: 'end_turn' as const,
  };
}

describe('converseTool on a sandbox pool: one sandbox per conversation', () => {
  it('runs two loops concurrently with one tool and runConverseToolLoop({ conversationId })', async () => {
    server = await startScriptedConverseServer(conversationScript);
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const python = converseTool(pool);
    const client = server.client();
    const loop = (name: string) =>
      runConverseToolLoop({
        client,
        modelId,
        conversationId: `conv-${name}`,
        messages: [{ role: 'user', content: [{ text: `I am ${name}.` }] }],
        tools: [python],
      });
    const [alpha, beta] = await Promise.all([loop('alpha'), loop('beta')]);
    for (const [name, outcome] of [
      ['alpha', alpha],
      ['beta', beta],
    ] as const) {
      expect(outcome.steps).toBe(3);
      const [first, second] = outcome.text.split('\n---\n');
      expect(first).toContain('no secret yet');
      expect(first).toContain(`- figure 1, "${name} chart"`);
      expect(second).toContain(`secret is ${name}`);
      expect(
        python.figuresFor(`conv-${name}`).map((figure) => [figure.label, figure.title]),
      ).toEqual([['figure 1', `${name} chart`]]);
    }
    expect(pool.stats()).toMatchObject({ started: 2, queued: 0 });
  }, 60_000);

  it('takes the conversation id from a fixed string or a callback of the tool use', async () => {
    server = await startScriptedConverseServer(conversationScript);
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const fixed = converseTool(pool, { conversationId: 'fixed-1' });
    const outcome = await runConverseToolLoop({
      client: server.client(),
      modelId,
      messages: [{ role: 'user', content: [{ text: 'I am delta.' }] }],
      tools: [fixed],
    });
    expect(outcome.text).toContain('secret is delta');
    expect(fixed.figuresFor('fixed-1')).toHaveLength(1);

    const byToolUse = converseTool(pool, {
      conversationId: ({ toolUse }) => toolUse.toolUseId?.split('_')[0],
    });
    const result = await byToolUse.handleToolUse({
      toolUseId: 'epsilon_1',
      name: 'execute_python',
      input: { code: 'x = 1\nprint("in", x)' },
    });
    expect(result.toolResult.status).toBe('success');
    expect(byToolUse.lastOutput?.conversationId).toBe('epsilon');
    // A call's own conversation id comes first.
    await byToolUse.handleToolUse(
      { toolUseId: 'epsilon_2', name: 'execute_python', input: { code: 'print(1)' } },
      { conversationId: 'fixed-1' },
    );
    expect(byToolUse.lastOutput?.conversationId).toBe('fixed-1');
  }, 60_000);

  it('without a conversation id answers with an error toolResult and tells the developer', async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const python = converseTool(pool);
    const result = await python.handleToolUse({
      toolUseId: 't1',
      name: 'execute_python',
      input: { code: 'print(1)' },
    });
    expect(result.toolResult.status).toBe('error');
    expect(result.toolResult.content?.[0]).toMatchObject({
      text: expect.stringMatching(/did not say which conversation/),
    });
    expect(python.lastOutput?.error?.message).toMatch(
      /runConverseToolLoop\(\{ conversationId \}\)/,
    );
    expect(pool.stats().started).toBe(0);
  });
});
