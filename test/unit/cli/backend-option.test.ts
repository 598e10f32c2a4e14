import { describe, expect, it } from 'vitest';
import { emulatorCredentialsFor } from '../../../src/cli/backend-option.js';
import { EMULATOR_CREDENTIALS } from '../../../src/testing/agentcore-emulator.js';

describe('emulatorCredentialsFor', () => {
  it('gives the emulator credentials for an endpoint on this machine when none are set', () => {
    for (const endpoint of [
      'http://127.0.0.1:8787',
      'http://127.1.2.3:9000/',
      'http://localhost:8787',
      'http://[::1]:8787',
    ]) {
      expect(emulatorCredentialsFor(endpoint, {}), endpoint).toEqual(EMULATOR_CREDENTIALS);
    }
  });

  it('never for another host, nor over credentials or a profile the person chose', () => {
    expect(emulatorCredentialsFor('https://bedrock-agentcore.us-west-2.amazonaws.com', {})).toBe(
      undefined,
    );
    expect(emulatorCredentialsFor('http://127.0.0.1.example.com:8787', {})).toBe(undefined);
    expect(emulatorCredentialsFor('http://10.0.0.5:8787', {})).toBe(undefined);
    expect(emulatorCredentialsFor('http://127.0.0.1:8787', { AWS_ACCESS_KEY_ID: 'AKID' })).toBe(
      undefined,
    );
    expect(emulatorCredentialsFor('http://127.0.0.1:8787', { AWS_PROFILE: 'dev' })).toBe(undefined);
  });
});
