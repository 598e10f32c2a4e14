import {
  type CodeInterpreterStreamOutput,
  GetCodeInterpreterSessionCommand,
  InvokeCodeInterpreterCommand,
  type InvokeCodeInterpreterCommandInput,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  StartCodeInterpreterSessionCommand,
} from '@aws-sdk/client-bedrock-agentcore';
import { afterEach, describe, expect, it } from 'vitest';
import { type AgentCoreSession, agentCoreBackend } from '../../../src/agentcore.js';
import {
  mockedClient as client,
  events,
  metadata,
  mock,
  mockBackend,
  mockStarted,
} from '../../support/agentcore-mock.js';
import { sandplotRejection as caught } from '../../support/rejection.js';

// Answers the real service may give that the emulator does not (or not by default): results
// whose output is only in text blocks, resources in another order, a missing file as
// ResourceNotFoundException, a per-session call quota, a dropped connection, expired credentials.

afterEach(() => {
  mock.reset();
});

const backend = mockBackend;

function answer(...items: CodeInterpreterStreamOutput[]) {
  return { stream: events(...items), ...metadata };
}

const started = mockStarted;

async function run(session: AgentCoreSession, code = 'print(1)') {
  const output = { stdout: '', stderr: '' };
  const result = await session.runCode(code, {
    timeoutMs: 10_000,
    onStdout: (text) => {
      output.stdout += text;
    },
    onStderr: (text) => {
      output.stderr += text;
    },
  });
  return { output, result };
}

/** The probe's answer to the start check: what the marker `MARK` in its code is followed by. */
function probeAnswer(input: InvokeCodeInterpreterCommandInput, found: boolean) {
  const mark = /MARK = \\"(@@sandplot-started-[0-9a-f]+@@)\\"/.exec(
    String(input.arguments?.code),
  )?.[1];
  return answer({
    result: {
      content: [],
      structuredContent: { stdout: `${mark}${found ? 'started' : 'absent'}\n`, exitCode: 0 },
    },
  });
}

function isProbe(input: InvokeCodeInterpreterCommandInput): boolean {
  return String(input.arguments?.code).includes('sandplot-started-');
}

describe('results as the service may send them', () => {
  it('reads the output from text blocks when structured stdout is empty, with exit code 0', async () => {
    started();
    const session = (await backend().createSession()) as AgentCoreSession;
    mock.on(InvokeCodeInterpreterCommand).resolves(
      answer({
        result: {
          content: [{ type: 'text', text: 'from the text block\n' }],
          structuredContent: { stdout: '', stderr: '', executionTime: 12.5 },
        },
      }),
    );
    const { output, result } = await run(session);
    expect(output.stdout).toBe('from the text block\n');
    expect(result.exitCode).toBe(0);
    await session.close();
  });

  it('matches readFiles resources to paths by uri, and reads a missing block as an empty file', async () => {
    started();
    const session = (await backend().createSession()) as AgentCoreSession;
    mock.on(InvokeCodeInterpreterCommand).resolves(
      answer({
        result: {
          content: [
            {
              type: 'resource',
              resource: { type: 'text', uri: 'file:///opt/x/var/b.txt', text: 'B' },
            },
            { type: 'resource', resource: { type: 'text', uri: 'file://a.txt', text: 'A' } },
          ],
        },
      }),
    );
    const files = await session.readFiles(['a.txt', 'empty.txt', 'b.txt']);
    expect(files.map((file) => [file.path, new TextDecoder().decode(file.data)])).toEqual([
      ['a.txt', 'A'],
      ['empty.txt', ''],
      ['b.txt', 'B'],
    ]);
    await session.close();
  });

  it('reads a missing file as FILE_NOT_FOUND in any shape, without replacing the session', async () => {
    started();
    mock.on(GetCodeInterpreterSessionCommand).resolves({ status: 'READY', sessionId: 'S1' });
    const session = (await backend().createSession()) as AgentCoreSession;
    mock
      .on(InvokeCodeInterpreterCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'no such file', ...metadata }))
      .resolvesOnce(
        answer({ result: { content: [{ type: 'text', text: 'File not found: gone.txt' }] } }),
      )
      .resolvesOnce(
        answer({ result: { content: [{ type: 'text', text: 'cannot read' }], isError: true } }),
      );
    for (let shape = 0; shape < 3; shape++) {
      expect((await caught(session.readFile('gone.txt'))).code).toBe('FILE_NOT_FOUND');
    }
    expect(mock.commandCalls(StartCodeInterpreterSessionCommand)).toHaveLength(1);
    await session.close();
  });
});

describe('retries', () => {
  it('retries ServiceQuotaExceededException (too many calls on the session) with back-off', async () => {
    started();
    const session = (await backend().createSession()) as AgentCoreSession;
    mock
      .on(InvokeCodeInterpreterCommand)
      .rejectsOnce(new ServiceQuotaExceededException({ message: 'concurrent calls', ...metadata }))
      .resolves(
        answer({ result: { content: [], structuredContent: { stdout: 'ok\n', exitCode: 0 } } }),
      );
    const { output } = await run(session);
    expect(output.stdout).toBe('ok\n');
    expect(mock.commandCalls(InvokeCodeInterpreterCommand)).toHaveLength(2);
    await session.close();
  });

  it('repeats code after a dropped connection only when its start record is absent', async () => {
    started();
    const session = (await backend().createSession()) as AgentCoreSession;
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    let sent = 0;
    mock.on(InvokeCodeInterpreterCommand).callsFake((input: InvokeCodeInterpreterCommandInput) => {
      if (isProbe(input)) return probeAnswer(input, false);
      sent++;
      if (sent === 1) throw reset;
      return answer({ result: { content: [], structuredContent: { stdout: 'once\n' } } });
    });
    const { output, result } = await run(session);
    expect(output.stdout).toBe('once\n');
    expect(result.outputLost).toBeUndefined();
    expect(sent).toBe(2);

    // Started: not repeated, reported as lost output.
    sent = 0;
    mock.on(InvokeCodeInterpreterCommand).callsFake((input: InvokeCodeInterpreterCommandInput) => {
      if (isProbe(input)) return probeAnswer(input, true);
      sent++;
      throw reset;
    });
    const lost = await run(session);
    expect(sent).toBe(1);
    expect(lost.result.outputLost?.reason).toContain('it ran');
    await session.close();
  });

  it('does not repeat a shell command after a server fault', async () => {
    started();
    const session = (await backend().createSession()) as AgentCoreSession;
    mock.on(InvokeCodeInterpreterCommand).rejects(
      Object.assign(new Error('Internal error'), {
        name: 'InternalServerException',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
      }),
    );
    const error = await caught(session.executeCommand('touch once'));
    expect(error.message).toContain('executeCommand may have run');
    expect(mock.commandCalls(InvokeCodeInterpreterCommand)).toHaveLength(1);
    await session.close();
  });
});

describe('errors that need their own words', () => {
  it('fails fast on an unknown code interpreter, naming it', async () => {
    mock
      .on(StartCodeInterpreterSessionCommand)
      .rejects(new ResourceNotFoundException({ message: 'not found', ...metadata }));
    const error = await caught(
      agentCoreBackend({ client, identifier: 'mine-123', stopOnExit: false }).createSession(),
    );
    expect(error.name).toBe('ConfigError');
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain('"mine-123"');
    expect(mock.commandCalls(StartCodeInterpreterSessionCommand)).toHaveLength(1);
  });

  it('says expired credentials and clock skew, not missing permissions', async () => {
    const expired = Object.assign(
      new Error('The security token included in the request is expired'),
      {
        name: 'ExpiredTokenException',
        $metadata: { httpStatusCode: 403 },
      },
    );
    const skewed = Object.assign(
      new Error('Signature expired: 20260101T000000Z is now earlier than ...'),
      {
        name: 'InvalidSignatureException',
        $metadata: { httpStatusCode: 403 },
      },
    );
    mock.on(StartCodeInterpreterSessionCommand).rejectsOnce(expired).rejectsOnce(skewed);
    const first = await caught(backend().createSession());
    expect(first.message).toContain('have expired');
    expect(first.message).not.toContain('IAM');
    const second = await caught(backend().createSession());
    expect(second.message).toContain('clock');
    expect(second.message).not.toContain('IAM');
  });
});

describe('session lifetime', () => {
  it('warns about a sessionTimeoutSeconds under the 60 AWS recommends, and tells the pool', async () => {
    const warnings: Error[] = [];
    const listener = (warning: Error) => warnings.push(warning);
    process.on('warning', listener);
    try {
      const short = agentCoreBackend({ client, sessionTimeoutSeconds: 30, stopOnExit: false });
      expect(short.sessionLifetimeMs).toBe(30_000);
      agentCoreBackend({ client, sessionTimeoutSeconds: 60, stopOnExit: false });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    const short = warnings.filter(
      (warning) => (warning as { code?: string }).code === 'SANDPLOT_SHORT_SESSION_TIMEOUT',
    );
    expect(short).toHaveLength(1);
    expect(short[0]?.message).toContain('sessionTimeoutSeconds is 30');
  });
});
