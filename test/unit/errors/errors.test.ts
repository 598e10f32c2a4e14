import { describe, expect, it } from 'vitest';
import {
  AbortError,
  BackendError,
  ConfigError,
  InvalidInputError,
  SandboxPoolBusyError,
  SandplotError,
  SessionError,
  SessionStoreError,
  SinkError,
  TimeoutError,
} from '../../../src/errors/index.js';

const examples = [
  ['ConfigError', ConfigError, new ConfigError('x')],
  ['InvalidInputError', InvalidInputError, new InvalidInputError('x')],
  ['BackendError', BackendError, new BackendError('x')],
  ['SessionError', SessionError, new SessionError('x')],
  ['TimeoutError', TimeoutError, new TimeoutError('x')],
  ['AbortError', AbortError, new AbortError('x')],
  ['SinkError', SinkError, new SinkError('s3', 'x')],
  ['SandboxPoolBusyError', SandboxPoolBusyError, new SandboxPoolBusyError('POOL_QUEUE_FULL', 'x')],
  ['SessionStoreError', SessionStoreError, new SessionStoreError('redis', 'x')],
] as const;

describe('error classes', () => {
  it.each(examples)('%s.isInstance is true only for its own instances', (_name, type, own) => {
    for (const [, , other] of examples) {
      expect(type.isInstance(other)).toBe(other === own);
    }
    expect(type.isInstance(new Error('x'))).toBe(false);
    expect(type.isInstance(undefined)).toBe(false);
  });

  it('SandplotError.isInstance is true for every sandplot error, and for a copy from another package', () => {
    for (const [, , error] of examples) expect(SandplotError.isInstance(error)).toBe(true);
    // Another copy of the package marks its errors with the same registered symbols.
    const foreign = Object.assign(new Error('x'), {
      [Symbol.for('sandplot.error')]: true,
      [Symbol.for('sandplot.error.sink')]: true,
    });
    expect(SandplotError.isInstance(foreign)).toBe(true);
    expect(SinkError.isInstance(foreign)).toBe(true);
    expect(ConfigError.isInstance(foreign)).toBe(false);
  });

  it('gives each code to one class', () => {
    const codes = new Map<string, string>();
    const all = [
      ...examples.map(([name, , error]) => [name, error.code] as const),
      ['ConfigError', new ConfigError('x', { code: 'BACKEND_UNAVAILABLE' }).code] as const,
      ['BackendError', new BackendError('x', { code: 'FILE_NOT_FOUND' }).code] as const,
      ['SessionError', new SessionError('x', { code: 'SESSION_CLOSED' }).code] as const,
      ['SandboxPoolBusyError', new SandboxPoolBusyError('POOL_QUEUE_TIMEOUT', 'x').code] as const,
    ];
    for (const [name, code] of all) {
      expect(codes.get(code) ?? name).toBe(name);
      codes.set(code, name);
    }
  });

  it('keeps the retry defaults: timeouts and a busy pool are retryable, the rest are not', () => {
    expect(new TimeoutError('x').isRetryable).toBe(true);
    expect(new SandboxPoolBusyError('POOL_QUEUE_FULL', 'x').isRetryable).toBe(true);
    expect(new SessionStoreError('redis', 'x')).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      isRetryable: true,
      store: 'redis',
    });
    expect(new ConfigError('x').isRetryable).toBe(false);
    expect(new BackendError('x', { isRetryable: true }).isRetryable).toBe(true);
  });
});
