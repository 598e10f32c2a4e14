import { afterEach, describe, expect, it } from 'vitest';
import { converseTool, runConverseToolLoop } from '../../src/adapters/converse.js';
import { ConfigError } from '../../src/errors/index.js';
import type { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { renderFigureLinks } from '../../src/tool/figure-ledger.js';
import {
  failingCode,
  isPng,
  SHAREABLE_HOST,
  salesAnalysisCode,
  salesSandbox,
  shareableTestSink,
} from '../support/adapter-fixtures.js';
import { SALES_FIGURE_LINE } from '../support/png.js';
import {
  type ConverseRequestRecord,
  type ScriptedConverseServer,
  startScriptedConverseServer,
} from '../support/scripted-converse-server.js';

const modelId = 'us.anthropic.claude-sonnet-4-20250514-v1:0';

let server: ScriptedConverseServer | undefined;
let sandbox: CodeSandbox | undefined;
afterEach(async () => {
  await server?.close();
  await sandbox?.close();
  server = undefined;
  sandbox = undefined;
});

/** A model that calls execute_python once with `code`, then answers with `finalText`. */
function callsPythonOnce(code: string, finalText: string) {
  return (request: ConverseRequestRecord, step: number) => {
    if (step === 0) {
      return {
        content: [
          { text: 'I will analyse the data.' },
          {
            toolUse: {
              toolUseId: 'tooluse_1',
              name: 'execute_python',
              input: { code, description: 'sales analysis' },
            },
          },
        ],
        stopReason: 'tool_use' as const,
      };
    }
    expect(request.body.messages.at(-1)?.role).toBe('user');
    return { content: [{ text: finalText }], stopReason: 'end_turn' as const };
  };
}

function toolResultOf(request: ConverseRequestRecord | undefined) {
  const block = request?.body.messages.at(-1)?.content[0] as
    | {
        toolResult: {
          toolUseId: string;
          status: string;
          content: ({ text: string } | { image: { format: string; source: { bytes: string } } })[];
        };
      }
    | undefined;
  if (!block?.toolResult) throw new Error('the last message holds no toolResult');
  const texts = block.toolResult.content.flatMap((part) => ('text' in part ? [part.text] : []));
  const images = block.toolResult.content.flatMap((part) => ('image' in part ? [part.image] : []));
  return { ...block.toolResult, text: texts.join('\n'), images };
}

describe('converseTool + runConverseToolLoop with the real BedrockRuntimeClient', () => {
  it('runs the sales analysis and sends the text and the PNGs back to the model', async () => {
    server = await startScriptedConverseServer(
      callsPythonOnce(salesAnalysisCode, 'Product A grew the most: 100%.'),
    );
    sandbox = await salesSandbox();
    const python = converseTool(sandbox);
    const result = await runConverseToolLoop({
      client: server.client(),
      modelId,
      system: 'You are a data analyst.',
      messages: [{ role: 'user', content: [{ text: 'Analyse the sales.' }] }],
      tools: [python],
    });

    expect(result).toMatchObject({
      text: 'Product A grew the most: 100%.',
      stopReason: 'end_turn',
      steps: 2,
      maxStepsReached: false,
    });
    expect(result.messages).toHaveLength(4);
    const [first, second] = server.requests;
    expect(first?.modelId).toBe(modelId);
    expect(first?.body.system).toEqual([{ text: 'You are a data analyst.' }]);
    const spec = first?.body.toolConfig?.tools[0]?.toolSpec;
    expect(spec?.name).toBe('execute_python');
    expect(spec?.description).toMatch(/captured automatically/);
    expect(spec?.inputSchema.json).toMatchObject({ type: 'object', required: ['code'] });

    const toolResult = toolResultOf(second);
    expect(toolResult.toolUseId).toBe('tooluse_1');
    expect(toolResult.status).toBe('success');
    expect(toolResult.text).toContain('Product A: 100.0%');
    expect(toolResult.text).toMatch(SALES_FIGURE_LINE);
    expect(toolResult.text).toContain('- figure 2, "Period-over-period growth (%)"');
    expect(toolResult.text).not.toMatch(/data:|base64,|iVBORw0KGgo/);
    expect(toolResult.images).toHaveLength(2);
    for (const image of toolResult.images) {
      expect(image.format).toBe('png');
      expect(isPng(Buffer.from(image.source.bytes, 'base64'))).toBe(true);
    }
    // base64Sink gives data: URLs: nothing to link in the answer.
    expect(renderFigureLinks(python.figures)).toBe('');
    // The neutral tool underneath, named as on the other adapters (`tool` is the old name).
    expect(python.sandplotTool.figures.map((figure) => figure.label)).toEqual([
      'figure 1',
      'figure 2',
    ]);
    expect(python.tool).toBe(python.sandplotTool);
  });

  it('puts shareable figure URLs in the text and in the ledger for the final answer', async () => {
    server = await startScriptedConverseServer(callsPythonOnce(salesAnalysisCode, 'Done.'));
    sandbox = await salesSandbox(shareableTestSink());
    const python = converseTool(sandbox);
    await runConverseToolLoop({
      client: server.client(),
      modelId,
      messages: [{ role: 'user', content: [{ text: 'Analyse the sales.' }] }],
      tools: [python],
    });
    const toolResult = toolResultOf(server.requests[1]);
    const urls = toolResult.text.match(/https:\/\/\S+/g) ?? [];
    expect(urls).toHaveLength(2);
    expect(urls[0]?.startsWith(`${SHAREABLE_HOST}/`)).toBe(true);
    expect(toolResult.images).toHaveLength(2);
    const links = renderFigureLinks(python.figures, { format: 'markdown' });
    expect(links.split('\n')).toEqual([
      `![figure 1: Sales trends](${urls[0]})`,
      `![figure 2: Period-over-period growth (%)](${urls[1]})`,
    ]);
  });

  it('answers a failing script with error status, the traceback and the figure made before it', async () => {
    server = await startScriptedConverseServer(callsPythonOnce(failingCode, 'It failed.'));
    sandbox = await salesSandbox();
    await runConverseToolLoop({
      client: server.client(),
      modelId,
      messages: [{ role: 'user', content: [{ text: 'Plot and divide.' }] }],
      tools: [converseTool(sandbox)],
    });
    const toolResult = toolResultOf(server.requests[1]);
    expect(toolResult.status).toBe('error');
    expect(toolResult.text).toMatch(/^Error: ZeroDivisionError: division by zero\nTraceback/m);
    expect(toolResult.text).toContain('line 4');
    expect(toolResult.text).toContain('"Before the crash"');
    expect(toolResult.images).toHaveLength(1);
  });

  it('answers invalid input and unknown tools with error results, and stops at maxSteps', async () => {
    server = await startScriptedConverseServer((_, step) => ({
      content: [
        {
          toolUse: {
            toolUseId: `t${step}`,
            name: step === 0 ? 'execute_python' : 'browse_web',
            input: step === 0 ? { source: 'print(1)' } : { url: 'x' },
          },
        },
      ],
      stopReason: 'tool_use',
    }));
    sandbox = await salesSandbox();
    const result = await runConverseToolLoop({
      client: server.client(),
      modelId,
      messages: [{ role: 'user', content: [{ text: 'Go.' }] }],
      tools: [converseTool(sandbox)],
      maxSteps: 2,
    });
    expect(result.maxStepsReached).toBe(true);
    expect(result.steps).toBe(2);
    expect(server.requests).toHaveLength(2);
    const invalid = toolResultOf(server.requests[1]);
    expect(invalid.status).toBe('error');
    expect(invalid.text).toMatch(/Invalid input for execute_python: code/);
    const unknown = result.messages.at(-1)?.content?.[0]?.toolResult;
    expect(unknown?.status).toBe('error');
    expect(unknown?.content?.[0]?.text).toMatch(/Unknown tool "browse_web"/);
    await expect(
      runConverseToolLoop({
        client: server.client(),
        modelId,
        messages: [],
        tools: [],
        maxSteps: 0,
      }),
    ).rejects.toSatisfy(
      (error) =>
        ConfigError.isInstance(error) && /maxSteps must be a positive integer/.test(error.message),
    );
  });
});
