import {
  AccessDeniedException,
  ConflictException,
  InternalServerException,
  InvokeCodeInterpreterCommand,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  StartCodeInterpreterSessionCommand,
  StopCodeInterpreterSessionCommand,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-agentcore';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentCoreSession } from '../../../src/agentcore.js';
import { events, metadata, mock, mockBackend, mockStarted } from '../../support/agentcore-mock.js';
import { tinyPng } from '../../support/png.js';
import { sandplotRejection as caught } from '../../support/rejection.js';

// Errors the emulator cannot produce on demand (IAM denials, quotas, missing credentials) and
// content blocks the service may send that the emulator never does (images).

afterEach(() => {
  mock.reset();
});

const backend = mockBackend;

const started = mockStarted;

function run(session: AgentCoreSession) {
  const output = { stdout: '', stderr: '' };
  const result = session.runCode('print(1)', {
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

describe('starting a session', () => {
  it('explains an IAM denial and does not retry it', async () => {
    mock
      .on(StartCodeInterpreterSessionCommand)
      .rejects(new AccessDeniedException({ message: 'not allowed', ...metadata }));
    const error = await caught(backend().createSession());
    expect(error.code).toBe('SESSION_FAILED');
    expect(error.isRetryable).toBe(false);
    expect(error.message).toMatch(/IAM actions.*StartCodeInterpreterSession/);
    expect(error.message).toContain('bedrock-agentcore:GetCodeInterpreterSession');
    expect(error.message).not.toContain('ListCodeInterpreterSessions');
    expect(mock.commandCalls(StartCodeInterpreterSessionCommand)).toHaveLength(1);
  });

  it('marks a session quota as retryable later, without retrying now', async () => {
    mock
      .on(StartCodeInterpreterSessionCommand)
      .rejects(new ServiceQuotaExceededException({ message: 'too many sessions', ...metadata }));
    const error = await caught(backend().createSession());
    expect(error.code).toBe('SESSION_FAILED');
    expect(error.isRetryable).toBe(true);
    expect(mock.commandCalls(StartCodeInterpreterSessionCommand)).toHaveLength(1);
  });

  it('turns missing credentials into a ConfigError', async () => {
    mock.on(StartCodeInterpreterSessionCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    );
    const error = await caught(backend().createSession());
    expect(error.name).toBe('ConfigError');
    expect(error.code).toBe('BACKEND_UNAVAILABLE');
    expect(error.message).toContain('clientConfig.credentials');
  });

  it('retries throttling with one client token for every attempt', async () => {
    mock
      .on(StartCodeInterpreterSessionCommand)
      .rejectsOnce(new ThrottlingException({ message: 'slow down', ...metadata }))
      .rejectsOnce(new InternalServerException({ message: 'oops', ...metadata }))
      .resolves({ sessionId: 'S9', codeInterpreterIdentifier: 'x', createdAt: new Date() });
    mock.on(StopCodeInterpreterSessionCommand).resolves({});
    const session = await backend().createSession();
    expect(session.id).toBe('S9');
    const tokens = mock
      .commandCalls(StartCodeInterpreterSessionCommand)
      .map((call) => call.args[0].input.clientToken);
    expect(tokens).toHaveLength(3);
    expect(new Set(tokens).size).toBe(1);
    await session.close();
  });

  it('retries a start whose connection failed, with the network code found in its cause', async () => {
    const unreachable = Object.assign(new Error('connect EHOSTUNREACH 10.0.0.1:443'), {
      code: 'EHOSTUNREACH',
    });
    mock
      .on(StartCodeInterpreterSessionCommand)
      .rejectsOnce(new Error('request failed', { cause: unreachable }))
      .resolves({ sessionId: 'S2', codeInterpreterIdentifier: 'x', createdAt: new Date() });
    mock.on(StopCodeInterpreterSessionCommand).resolves({});
    const session = await backend().createSession();
    expect(session.id).toBe('S2');
    expect(mock.commandCalls(StartCodeInterpreterSessionCommand)).toHaveLength(2);
    await session.close();
  });

  it('does not retry expired credentials', async () => {
    mock.on(StartCodeInterpreterSessionCommand).rejects(
      Object.assign(new Error('The security token included in the request is expired'), {
        name: 'ExpiredTokenException',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const error = await caught(backend().createSession());
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain('ExpiredTokenException');
    expect(mock.commandCalls(StartCodeInterpreterSessionCommand)).toHaveLength(1);
  });
});

describe('running code', () => {
  it('maps a validation error and a conflict to BackendError, without retries', async () => {
    started();
    const session = (await backend().createSession()) as AgentCoreSession;
    mock
      .on(InvokeCodeInterpreterCommand)
      .rejectsOnce(
        new ValidationException({ message: 'bad', reason: 'FieldValidationFailed', ...metadata }),
      )
      .rejectsOnce(new ConflictException({ message: 'busy', ...metadata }));
    const invalid = await caught(run(session).result);
    expect(invalid.code).toBe('BACKEND_FAILED');
    expect(invalid.isRetryable).toBe(false);
    const conflict = await caught(run(session).result);
    expect(conflict.isRetryable).toBe(true);
    expect(mock.commandCalls(InvokeCodeInterpreterCommand)).toHaveLength(2);
    await session.close();
  });

  it('gives up after maxRetries and says the call may be retried', async () => {
    started();
    const session = (await backend().createSession()) as AgentCoreSession;
    mock
      .on(InvokeCodeInterpreterCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', ...metadata }));
    const error = await caught(run(session).result);
    expect(error.code).toBe('BACKEND_FAILED');
    expect(error.isRetryable).toBe(true);
    expect(error.message).toContain('maxRetries');
    expect(mock.commandCalls(InvokeCodeInterpreterCommand)).toHaveLength(3);
    await session.close();
  });

  it('turns image blocks and binary image resources into figures, in stream order', async () => {
    started();
    const session = (await backend().createSession()) as AgentCoreSession;
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>');
    mock.on(InvokeCodeInterpreterCommand).resolves({
      stream: events(
        {
          result: {
            content: [
              { type: 'text', text: 'ignored: structured output wins' },
              { type: 'image', mimeType: 'image/png', data: tinyPng },
              { type: 'image', mimeType: 'image/gif', data: tinyPng },
            ],
            structuredContent: { stdout: 'part one\n', stderr: '', exitCode: 0 },
          },
        },
        {
          result: {
            content: [
              {
                type: 'resource',
                resource: { type: 'blob', mimeType: 'image/svg+xml', blob: svg },
              },
              {
                type: 'resource',
                resource: { type: 'blob', mimeType: 'application/zip', blob: svg },
              },
            ],
            structuredContent: { stdout: 'part two\n', stderr: 'warn\n', exitCode: 0 },
          },
        },
      ),
    });
    const { output, result } = run(session);
    const outcome = await result;
    expect(output).toEqual({ stdout: 'part one\npart two\n', stderr: 'warn\n' });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.figures?.map((figure) => figure.mediaType)).toEqual([
      'image/png',
      'image/svg+xml',
    ]);
    expect(outcome.figures?.[0]?.data).toEqual(tinyPng);
    await session.close();
  });

  it('fails on an exception member after a result, delivering no output', async () => {
    started();
    const session = (await backend().createSession()) as AgentCoreSession;
    mock.on(InvokeCodeInterpreterCommand).resolves({
      stream: events(
        { result: { content: [{ type: 'text', text: 'half' }], isError: false } },
        {
          accessDeniedException: new AccessDeniedException({ message: 'revoked', ...metadata }),
        },
      ),
    });
    const { output, result } = run(session);
    const error = await caught(result);
    expect(error.code).toBe('BACKEND_FAILED');
    expect(error.message).toContain('AccessDeniedException');
    expect(output.stdout).toBe('');
    expect(mock.commandCalls(InvokeCodeInterpreterCommand)).toHaveLength(1);
    await session.close();
  });

  it('treats an error result without structured content as stderr and exit code 1', async () => {
    started();
    const session = (await backend().createSession()) as AgentCoreSession;
    mock.on(InvokeCodeInterpreterCommand).resolves({
      stream: events({ result: { content: [{ type: 'text', text: 'boom' }], isError: true } }),
    });
    const { output, result } = run(session);
    expect((await result).exitCode).toBe(1);
    expect(output).toEqual({ stdout: '', stderr: 'boom' });
    await session.close();
  });
});

describe('closing', () => {
  it('is idempotent and treats an already expired session as stopped', async () => {
    started();
    mock
      .on(StopCodeInterpreterSessionCommand)
      .rejects(new ResourceNotFoundException({ message: 'gone', ...metadata }));
    const session = await backend().createSession();
    await Promise.all([session.close(), session.close()]);
    await session.close();
    expect(mock.commandCalls(StopCodeInterpreterSessionCommand)).toHaveLength(1);
    expect(session.isAlive).toBe(false);
  });

  it('reports a stop that failed, so a leaked session is not silent', async () => {
    started();
    mock
      .on(StopCodeInterpreterSessionCommand)
      .rejects(new AccessDeniedException({ message: 'no stop for you', ...metadata }));
    const session = await backend().createSession();
    const error = await caught(session.close());
    expect(error.message).toContain('StopCodeInterpreterSession');
  });
});
