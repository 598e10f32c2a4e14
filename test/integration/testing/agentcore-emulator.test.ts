import {
  type BedrockAgentCoreClient,
  GetCodeInterpreterSessionCommand,
  InvokeCodeInterpreterCommand,
  type InvokeCodeInterpreterCommandInput,
  ListCodeInterpreterSessionsCommand,
  StartCodeInterpreterSessionCommand,
  StopCodeInterpreterSessionCommand,
} from '@aws-sdk/client-bedrock-agentcore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentCoreEmulator, startAgentCoreEmulator } from '../../../src/testing.js';
import { drain, emulatorClient } from '../../support/agentcore-clients.js';
import { tinyPng } from '../../support/png.js';

const identifier = 'aws.codeinterpreter.v1';
let emulator: AgentCoreEmulator;
let client: BedrockAgentCoreClient;
let sessionId: string;

beforeAll(async () => {
  emulator = await startAgentCoreEmulator({ verifySignatures: true });
  client = emulatorClient(emulator);
  const started = await client.send(
    new StartCodeInterpreterSessionCommand({
      codeInterpreterIdentifier: identifier,
      name: 'emulator-test',
      sessionTimeoutSeconds: 300,
    }),
  );
  sessionId = started.sessionId as string;
});

afterAll(async () => {
  await emulator?.close();
  expect(emulator.stats.active).toBe(0);
});

function invoke(name: InvokeCodeInterpreterCommandInput['name'], args = {}, id = sessionId) {
  return client
    .send(
      new InvokeCodeInterpreterCommand({
        codeInterpreterIdentifier: identifier,
        sessionId: id,
        name,
        arguments: args,
      }),
    )
    .then((response) => drain(response.stream));
}

/** What the SDK throws for a service error. */
interface ServiceError extends Error {
  $metadata: { httpStatusCode?: number };
}

async function caught(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected a rejection');
}

describe('session operations', () => {
  it('binds to loopback and answers Get and List with ISO timestamps', async () => {
    expect(emulator.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const got = await client.send(
      new GetCodeInterpreterSessionCommand({ codeInterpreterIdentifier: identifier, sessionId }),
    );
    expect(got).toMatchObject({
      codeInterpreterIdentifier: identifier,
      sessionId,
      name: 'emulator-test',
      sessionTimeoutSeconds: 300,
      status: 'READY',
    });
    expect(got.createdAt).toBeInstanceOf(Date);
    expect(Math.abs((got.createdAt as Date).getTime() - Date.now())).toBeLessThan(60_000);
    const listed = await client.send(
      new ListCodeInterpreterSessionsCommand({
        codeInterpreterIdentifier: identifier,
        status: 'READY',
      }),
    );
    expect(listed.items?.map((item) => item.sessionId)).toContain(sessionId);
    expect(listed.items?.[0]?.lastUpdatedAt).toBeInstanceOf(Date);
  });

  it('starts one session per client token and stops it; a stopped session is gone', async () => {
    const before = emulator.stats.started;
    const start = () =>
      client.send(
        new StartCodeInterpreterSessionCommand({
          codeInterpreterIdentifier: identifier,
          clientToken: 'same-token-for-both-attempts-0001',
        }),
      );
    const [first, second] = await Promise.all([start(), start()]);
    expect(second.sessionId).toBe(first.sessionId);
    expect(emulator.stats.started).toBe(before + 1);
    const stopped = await client.send(
      new StopCodeInterpreterSessionCommand({
        codeInterpreterIdentifier: identifier,
        sessionId: first.sessionId,
      }),
    );
    expect(stopped.lastUpdatedAt).toBeInstanceOf(Date);
    expect(emulator.stats.stopped).toBe(1);
    const error = await caught(invoke('executeCode', { code: 'print(1)' }, first.sessionId));
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.$metadata.httpStatusCode).toBe(404);
    const got = await client.send(
      new GetCodeInterpreterSessionCommand({
        codeInterpreterIdentifier: identifier,
        sessionId: first.sessionId,
      }),
    );
    expect(got.status).toBe('TERMINATED');
  });

  it('rejects an unknown code interpreter, a bad timeout and a wrong secret', async () => {
    const unknown = await caught(
      client.send(new StartCodeInterpreterSessionCommand({ codeInterpreterIdentifier: 'nope' })),
    );
    expect(unknown.name).toBe('ResourceNotFoundException');
    const invalid = await caught(
      client.send(
        new StartCodeInterpreterSessionCommand({
          codeInterpreterIdentifier: identifier,
          sessionTimeoutSeconds: 28_801,
        }),
      ),
    );
    expect(invalid.name).toBe('ValidationException');
    expect(invalid.$metadata.httpStatusCode).toBe(400);
    const forged = await caught(
      emulatorClient(emulator, { secretAccessKey: 'not-the-secret' }).send(
        new GetCodeInterpreterSessionCommand({ codeInterpreterIdentifier: identifier, sessionId }),
      ),
    );
    expect(forged.$metadata.httpStatusCode).toBe(403);
    expect(forged.name).toBe('InvalidSignatureException');
  });

  it('expires a session after sessionTimeoutSeconds', async () => {
    const short = await client.send(
      new StartCodeInterpreterSessionCommand({
        codeInterpreterIdentifier: identifier,
        sessionTimeoutSeconds: 1,
      }),
    );
    expect(await invoke('executeCode', { code: 'print(1)' }, short.sessionId)).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const error = await caught(invoke('executeCode', { code: 'print(1)' }, short.sessionId));
    expect(error.name).toBe('ResourceNotFoundException');
    expect(emulator.stats.expired).toBeGreaterThanOrEqual(1);
  });
});

describe('tools', () => {
  it('runs python with state kept between calls, and reports errors as data', async () => {
    const [first] = await invoke('executeCode', {
      language: 'python',
      code: 'x = 41\nprint(x + 1)',
    });
    expect(first?.result?.structuredContent).toMatchObject({ stdout: '42\n', exitCode: 0 });
    expect(first?.result?.isError).toBe(false);
    expect(first?.result?.structuredContent?.executionTime).toBeGreaterThanOrEqual(0);
    const [second] = await invoke('executeCode', { language: 'python', code: 'print(x)\n1/0' });
    expect(second?.result?.isError).toBe(true);
    expect(second?.result?.structuredContent?.stdout).toBe('41\n');
    expect(second?.result?.structuredContent?.stderr).toContain('ZeroDivisionError');
    expect(second?.result?.structuredContent?.exitCode).toBe(1);
  });

  it('clearContext drops variables but keeps files', async () => {
    await invoke('writeFiles', { content: [{ path: 'kept.txt', text: 'still here' }] });
    await invoke('executeCode', { code: 'y = 1' });
    const [cleared] = await invoke('executeCode', {
      code: 'import os\nprint(globals().get("y"), os.path.exists("kept.txt"))',
      clearContext: true,
    });
    expect(cleared?.result?.structuredContent?.stdout).toBe('None True\n');
  });

  it('writes text and binary files and reads back the exact bytes', async () => {
    const [written] = await invoke('writeFiles', {
      content: [
        { path: 'data/notes.txt', text: 'héllo\n' },
        { path: 'figure.png', blob: tinyPng },
      ],
    });
    expect(written?.result?.isError).toBe(false);
    const [read] = await invoke('readFiles', { paths: ['data/notes.txt', 'figure.png'] });
    const [text, png] = read?.result?.content ?? [];
    expect(text?.resource).toMatchObject({
      type: 'text',
      uri: 'file://data/notes.txt',
      text: 'héllo\n',
    });
    expect(png?.resource?.type).toBe('blob');
    expect(png?.resource?.mimeType).toBe('image/png');
    expect(Buffer.from(png?.resource?.blob as Uint8Array).equals(Buffer.from(tinyPng))).toBe(true);
    // An absolute path lands under the working directory, as on the service.
    const [absolute] = await invoke('readFiles', { paths: ['/figure.png'] });
    expect(absolute?.result?.content?.[0]?.resource?.blob).toEqual(tinyPng);
    const [missing] = await invoke('readFiles', { paths: ['no-such-file.txt'] });
    expect(missing?.result?.isError).toBe(true);
  });

  it('lists, removes files and runs shell commands', async () => {
    await invoke('writeFiles', { content: [{ path: 'listed/a.csv', text: 'a,b\n1,2\n' }] });
    const [listed] = await invoke('listFiles', { directoryPath: 'listed' });
    expect(listed?.result?.content).toEqual([
      expect.objectContaining({
        type: 'resource_link',
        name: 'a.csv',
        size: 8,
        uri: 'file://listed/a.csv',
      }),
    ]);
    const [removed] = await invoke('removeFiles', { paths: ['listed/a.csv'] });
    expect(removed?.result?.isError).toBe(false);
    const [empty] = await invoke('listFiles', { directoryPath: 'listed' });
    expect(empty?.result?.content).toEqual([]);
    const [command] = await invoke('executeCommand', { command: 'echo out; echo err >&2; exit 3' });
    expect(command?.result?.structuredContent).toMatchObject({
      stdout: 'out\n',
      stderr: 'err\n',
      exitCode: 3,
    });
    expect(command?.result?.isError).toBe(true);
  });

  it('lists, removes and runs commands in the working directory even after the code changed directory', async () => {
    await invoke('writeFiles', { content: [{ path: 'here.txt', text: 'x' }] });
    await invoke('executeCode', { language: 'python', code: 'import os\nos.chdir("/tmp")' });
    const [command] = await invoke('executeCommand', { command: 'ls here.txt' });
    expect(command?.result?.structuredContent).toMatchObject({ stdout: 'here.txt\n', exitCode: 0 });
    const [listed] = await invoke('listFiles', { directoryPath: '.' });
    expect(listed?.result?.content).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'here.txt' })]),
    );
    await invoke('removeFiles', { paths: ['here.txt'] });
    const [after] = await invoke('executeCommand', { command: 'ls here.txt' });
    expect(after?.result?.structuredContent).toMatchObject({ exitCode: 2 });
    await invoke('executeCode', {
      language: 'python',
      code: 'import os\nos.chdir(os.path.expanduser("~"))',
    });
  });

  it('answers ValidationException to task calls without a valid task and to other languages', async () => {
    const noCommand = await caught(invoke('startCommandExecution', {}));
    expect(noCommand.name).toBe('ValidationException');
    for (const name of ['getTask', 'stopTask'] as const) {
      const error = await caught(invoke(name, { taskId: 'no-such-task' }));
      expect(error.name).toBe('ValidationException');
    }
    const javascript = await caught(invoke('executeCode', { language: 'javascript', code: '1' }));
    expect(javascript.name).toBe('ValidationException');
  });
});

describe('answers as the service model and the AWS SDKs describe them', () => {
  it('reports executionTime in milliseconds', async () => {
    const [slept] = await invoke('executeCode', { code: 'import time; time.sleep(0.2)' });
    expect(slept?.result?.structuredContent?.executionTime).toBeGreaterThanOrEqual(200);
  });

  it('sends no content block for an empty file', async () => {
    await invoke('writeFiles', { content: [{ path: 'empty.txt', text: '' }] });
    const [read] = await invoke('readFiles', { paths: ['empty.txt'] });
    expect(read?.result?.content).toEqual([]);
    expect(read?.result?.isError).toBe(false);
  });

  it("answers executeCommand as a terminal with commandOutput: 'terminal'", async () => {
    const terminal = await startAgentCoreEmulator({ commandOutput: 'terminal' });
    try {
      const terminalClient = emulatorClient(terminal);
      const started = await terminalClient.send(
        new StartCodeInterpreterSessionCommand({ codeInterpreterIdentifier: identifier }),
      );
      const response = await terminalClient.send(
        new InvokeCodeInterpreterCommand({
          codeInterpreterIdentifier: identifier,
          sessionId: started.sessionId,
          name: 'executeCommand',
          arguments: { command: 'echo out; echo err >&2; exit 3' },
        }),
      );
      const [answer] = await drain(response.stream);
      expect(answer?.result?.structuredContent).toMatchObject({
        stdout: 'out\r\nerr\r\n',
        stderr: '',
        exitCode: 0,
      });
      expect(answer?.result?.isError).toBe(false);
    } finally {
      await terminal.close();
    }
  });
});

describe('faults', () => {
  it('throttles and fails the next calls over HTTP', async () => {
    emulator.faults.throttle(1);
    const throttled = await caught(invoke('executeCode', { code: 'print(1)' }));
    expect(throttled.name).toBe('ThrottlingException');
    expect(throttled.$metadata.httpStatusCode).toBe(429);
    emulator.faults.serverError(1);
    const failed = await caught(
      client.send(
        new GetCodeInterpreterSessionCommand({ codeInterpreterIdentifier: identifier, sessionId }),
      ),
    );
    expect(failed.name).toBe('InternalServerException');
    expect(failed.$metadata.httpStatusCode).toBe(500);
    expect(await invoke('executeCode', { code: 'print(1)' })).toHaveLength(1);
  });

  it('runs the code and sends only an exception frame with afterRun', async () => {
    await invoke('executeCode', { code: 'after_run = 0' });
    emulator.faults.streamException('internalServerException', { afterRun: true });
    // The exception is the first frame, so the SDK's send() itself rejects: no result came.
    const error = await caught(invoke('executeCode', { code: 'after_run += 1' }));
    expect(error.name).toBe('InternalServerException');
    const [ran] = await invoke('executeCode', { code: 'print(after_run)' });
    expect(ran?.result?.structuredContent?.stdout).toBe('1\n');
  });

  it('sends exceptions inside the stream, before or after a result', async () => {
    emulator.faults.streamException('throttlingException');
    const first = await caught(invoke('executeCode', { code: 'print(1)' }));
    expect(first.name).toBe('ThrottlingException');

    emulator.faults.streamException('internalServerException', { afterResult: true });
    const response = await client.send(
      new InvokeCodeInterpreterCommand({
        codeInterpreterIdentifier: identifier,
        sessionId,
        name: 'executeCode',
        arguments: { code: 'print("ran")' },
      }),
    );
    const seen: unknown[] = [];
    const error = await caught(
      (async () => {
        for await (const event of response.stream ?? []) seen.push(event);
      })(),
    );
    expect(seen).toHaveLength(1);
    expect(error.name).toBe('InternalServerException');
  });

  it('splits a result over several events', async () => {
    emulator.faults.splitResult(3);
    const events = await invoke('executeCode', { code: 'print("abcdefghi")' });
    expect(events).toHaveLength(3);
    expect(events.map((event) => event.result?.structuredContent?.stdout).join('')).toBe(
      'abcdefghi\n',
    );
    expect(events[2]?.result?.structuredContent?.exitCode).toBe(0);
  });

  it('expires a session on demand, cuts a stream and delays the first frame', async () => {
    const extra = await client.send(
      new StartCodeInterpreterSessionCommand({ codeInterpreterIdentifier: identifier }),
    );
    emulator.faults.expireSession(extra.sessionId);
    const expired = await caught(invoke('executeCode', { code: 'print(1)' }, extra.sessionId));
    expect(expired.name).toBe('ResourceNotFoundException');

    emulator.faults.cutStream();
    const cut = await caught(invoke('executeCode', { code: 'print(1)' }));
    expect(cut).toBeInstanceOf(Error);

    emulator.faults.delayFirstFrame(300);
    const started = performance.now();
    await invoke('executeCode', { code: 'print(1)' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });
});
