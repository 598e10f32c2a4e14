import { localBackend } from '../../../src/backends/local.js';
import { describeBackendContract } from '../../support/backend-contract.js';

// bubblewrap when it is available (the default), as CodeSandbox users get it.
describeBackendContract('localBackend()', () => localBackend());
