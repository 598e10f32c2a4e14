import { plainPythonBackend } from '../../../src/testing/agentcore-emulator/plain-python.js';
import { describeBackendContract } from '../../support/backend-contract.js';

describeBackendContract('plainPythonBackend()', () => plainPythonBackend(), {
  knownGaps: {
    'abort-running': 'runCode ignores abortSignal: a running cell runs to its end',
    'abort-before-run':
      'runCode ignores abortSignal: the code runs although the signal was aborted',
    timeout: 'runCode ignores timeoutMs: a cell runs to its end',
  },
});
