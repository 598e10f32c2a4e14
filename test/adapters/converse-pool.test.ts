import { afterEach, describe, expect, it } from 'vitest';
import { converseTool, runConverseToolLoop } from '../../src/adapters/converse.js';
import { localBackend } from '../../src/backends/local.js';
import { createSandboxPool, type SandboxPool } from '../../src/sandbox/pool.js';
import { firstCode, secondCode } from '../support/adapter-fixtures.js';
import {
  type ConverseRequestRecord,
  startScriptedConverseServer,
} from '../support/scripted-converse-server.js';
import {
  describeAdapterPoolContract,
  listedFigures,
  type ToolReply,
} from './support/pool-contract.js';

const modelId = 'us.anthropic.claude-sonnet-4-20250514-v1:0';

type ToolResultPart = { text?: string; image?: { format: string; source: { bytes: string } } };
type Block = { toolResult?: { status: string; content: ToolResultPart[] } };

/** The tool results in the conversation the model was sent, in order (bytes come as base64). */
function repliesOf(request: ConverseRequestRecord): ToolReply[] {
  return request.body.messages.flatMap((message) =>
    (message.content as Block[]).flatMap((block) => {
      if (!block.toolResult) return [];
      const parts = block.toolResult.content;
      return [
        {
          isError: block.toolResult.status === 'error',
          text: parts.flatMap((part) => part.text ?? []).join('\n'),
          images: parts.flatMap((part) =>
            part.image ? [new Uint8Array(Buffer.from(part.image.source.bytes, 'base64'))] : [],
          ),
        },
      ];
    }),
  );
}

describeAdapterPoolContract('converseTool', (pool) => {
  const python = converseTool(pool);
  return {
    conversationIdHelp: /runConverseToolLoop\(\{ conversationId \}\)/,
    async run(conversationId, codes) {
      // A model that calls execute_python with each code in turn (by the results it has), then answers.
      const server = await startScriptedConverseServer((request) => {
        const done = repliesOf(request).length;
        const code = codes[done];
        return code === undefined
          ? { content: [{ text: 'Done.' }], stopReason: 'end_turn' }
          : {
              content: [
                {
                  toolUse: {
                    toolUseId: `call_${done + 1}`,
                    name: 'execute_python',
                    input: { code },
                  },
                },
              ],
              stopReason: 'tool_use',
            };
      });
      try {
        await runConverseToolLoop({
          client: server.client(),
          modelId,
          messages: [{ role: 'user', content: [{ text: 'Go.' }] }],
          tools: [python],
          ...(conversationId === undefined ? {} : { conversationId }),
        });
        const last = server.requests.at(-1);
        return last ? repliesOf(last) : [];
      } finally {
        await server.close();
      }
    },
    figures: async (conversationId) => listedFigures(python.figuresFor(conversationId)),
  };
});

describe('converseTool on a pool: where the conversation id comes from', () => {
  let pool: SandboxPool | undefined;
  afterEach(async () => {
    await pool?.closeAll();
    pool = undefined;
  });

  it("takes a fixed string or a callback of the tool use; a call's own id comes first", async () => {
    pool = createSandboxPool({ backend: localBackend(), maxSessions: 2 });
    const fixed = converseTool(pool, { conversationId: 'fixed-1' });
    await fixed.handleToolUse({
      toolUseId: 'delta_1',
      name: 'execute_python',
      input: { code: firstCode('delta') },
    });
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
    await byToolUse.handleToolUse(
      { toolUseId: 'epsilon_2', name: 'execute_python', input: { code: secondCode } },
      { conversationId: 'fixed-1' },
    );
    expect(byToolUse.lastOutput?.conversationId).toBe('fixed-1');
    expect(byToolUse.lastOutput?.text).toContain('secret is delta');
  }, 60_000);
});
