import { SandplotError } from '../../src/errors/index.js';

/** The SandplotError a promise rejects with; anything else (or no rejection) fails the test. */
export async function sandplotRejection(promise: Promise<unknown>): Promise<SandplotError> {
  try {
    await promise;
  } catch (error) {
    if (SandplotError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}
