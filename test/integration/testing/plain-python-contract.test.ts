import { plainPythonBackend } from '../../../src/testing/agentcore-emulator/plain-python.js';
import { describeBackendContract } from '../../support/backend-contract.js';

describeBackendContract('plainPythonBackend()', () => plainPythonBackend());
