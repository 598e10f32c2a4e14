import {
  BedrockAgentCoreClient,
  GetCodeInterpreterSessionCommand,
  StartCodeInterpreterSessionCommand,
  StopCodeInterpreterSessionCommand,
} from '@aws-sdk/client-bedrock-agentcore';
import { type AgentCoreSession, agentCoreBackend } from '../../backends/agentcore.js';
import { CodeSandbox } from '../../sandbox/code-sandbox.js';
import type { DoctorCheck, DoctorChecks } from './doctor-report.js';
import { FIGURE_CODE, figureFound } from './figure-check.js';
import {
  describeCodeOutput,
  describeCommandOutput,
  describeEmptyFile,
  describeMissingFile,
  exceptionText,
  isSessionGone,
  rawInvoke,
} from './service-shapes.js';

export interface AgentCoreDoctorOptions {
  region: string;
  identifier: string;
  endpoint?: string;
  /** The client's credentials; the default chain when absent. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

const FOLDER = 'sandplot-doctor';
const quiet = { timeoutMs: 120_000, onStdout: () => {}, onStderr: () => {} };

/**
 * AgentCore end to end: credentials, a session's start and stop, code, a figure, files, commands,
 * and what the service answers for a stopped and an expired session. Every session it starts is
 * stopped before it returns.
 */
export async function checkAgentCore(
  checks: DoctorChecks,
  options: AgentCoreDoctorOptions,
): Promise<void> {
  const { region, identifier, endpoint, credentials } = options;
  const client = new BedrockAgentCoreClient({
    region,
    maxAttempts: 3,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(credentials === undefined ? {} : { credentials }),
  });
  const backend = agentCoreBackend({ client, identifier, sessionTimeoutSeconds: 600 });
  const later = [
    'start session',
    'executeCode output',
    'variables persist',
    'figure round trip',
    'writeFiles/readFiles',
    'empty file',
    'missing file',
    'readFiles sees code files',
    'listFiles',
    'executeCommand',
    'executeCommand output',
    'background task',
    'stopped session answers',
    'expired session answers',
    'stop session',
  ];
  const credentialsOk = await checks.run(
    'credentials',
    'configure AWS credentials (environment, profile, SSO or role); `aws sts get-caller-identity` should work',
    async () => {
      const credentials = await client.config.credentials();
      const key = credentials.accessKeyId;
      return { status: 'pass', found: `access key ${key.slice(0, 4)}… (region ${region})` };
    },
  );
  if (!credentialsOk) {
    checks.skip(later, 'no credentials');
    return;
  }
  let session: AgentCoreSession | undefined;
  await checks.run(
    'start session',
    `check \`--identifier\` (${identifier}), \`--region\`, and the IAM permissions in docs/agentcore.md`,
    async () => {
      session = await backend.createSession();
      return { status: 'pass', found: `session ${session.id} on ${identifier}` };
    },
  );
  if (session === undefined) {
    checks.skip(later.slice(1), 'no session');
    return;
  }
  try {
    await sessionChecks(checks, client, identifier, session);
  } finally {
    await checks.run('stop session', 'stop it in the console or with the AWS CLI', async () => {
      const id = (session as AgentCoreSession).id;
      await (session as AgentCoreSession).close();
      const state = await client.send(
        new GetCodeInterpreterSessionCommand({
          codeInterpreterIdentifier: identifier,
          sessionId: id,
        }),
      );
      return { status: 'pass', found: `stopped; GetCodeInterpreterSession says ${state.status}` };
    });
  }
  await lifecycleChecks(checks, client, identifier);
}

async function sessionChecks(
  checks: DoctorChecks,
  client: BedrockAgentCoreClient,
  identifier: string,
  session: AgentCoreSession,
): Promise<void> {
  const raw = (name: Parameters<typeof rawInvoke>[3], args: Parameters<typeof rawInvoke>[4]) =>
    rawInvoke(client, identifier, session.id, name, args);
  const fix = 'see docs/agentcore.md; report the answer if the service changed';
  await checks.run('executeCode output', fix, async () =>
    describeCodeOutput(
      await raw('executeCode', { language: 'python', code: "print('doctor-hello')" }),
      'doctor-hello',
    ),
  );
  await checks.run('variables persist', fix, async () => {
    await session.runCode('doctor_x = 41', quiet);
    let stdout = '';
    await session.runCode('print(doctor_x + 1)', {
      ...quiet,
      onStdout: (text) => (stdout += text),
    });
    return stdout.trim() === '42'
      ? { status: 'pass', found: 'a variable set in one call is there in the next' }
      : { status: 'fail', found: `the next call printed ${JSON.stringify(stdout)}` };
  });
  await checks.run('figure round trip', fix, async () => {
    // Through CodeSandbox attached to this session, as an application would.
    const sandbox = new CodeSandbox({
      backend: agentCoreBackend({ client, identifier, stopOnExit: false }),
      sessionId: session.id,
    });
    try {
      return figureFound(await sandbox.executePython(FIGURE_CODE));
    } finally {
      await sandbox.detach();
    }
  });
  const binary = Uint8Array.from({ length: 256 }, (_, index) => index);
  await checks.run('writeFiles/readFiles', fix, async () => {
    await session.writeFiles([
      { path: `${FOLDER}/a.txt`, content: 'héllo' },
      { path: `${FOLDER}/bytes.bin`, content: binary },
      { path: `${FOLDER}/empty.txt`, content: '' },
    ]);
    const files = await session.readFiles([
      `${FOLDER}/empty.txt`,
      `${FOLDER}/bytes.bin`,
      `${FOLDER}/a.txt`,
    ]);
    const [empty, bytes, text] = files.map((file) => file.data);
    const ok =
      empty?.length === 0 &&
      Buffer.from(bytes ?? []).equals(Buffer.from(binary)) &&
      new TextDecoder().decode(text) === 'héllo';
    return ok
      ? { status: 'pass', found: 'text, 256 byte values and an empty file round-trip' }
      : {
          status: 'fail',
          found: `read back ${files.map((file) => file.data.length).join(', ')} bytes`,
        };
  });
  await checks.run('empty file', fix, async () =>
    describeEmptyFile(await raw('readFiles', { paths: [`${FOLDER}/empty.txt`] })),
  );
  await checks.run('missing file', fix, async () => {
    const shape = describeMissingFile(await raw('readFiles', { paths: [`${FOLDER}/missing.txt`] }));
    const error = await session.readFile(`${FOLDER}/missing.txt`).then(
      () => undefined,
      (failure: { code?: string }) => failure,
    );
    return error?.code === 'FILE_NOT_FOUND'
      ? { status: 'pass', found: `FILE_NOT_FOUND; the service answered ${shape}` }
      : { status: 'fail', found: `not FILE_NOT_FOUND; the service answered ${shape}` };
  });
  await checks.run('readFiles sees code files', fix, async () => {
    await session.runCode(`open('${FOLDER}/from-code.txt', 'w').write('from code')`, quiet);
    const data = await session.readFile(`${FOLDER}/from-code.txt`).catch(() => undefined);
    return data !== undefined && new TextDecoder().decode(data) === 'from code'
      ? { status: 'pass', found: 'readFiles reads a file that executeCode wrote' }
      : {
          status: 'warn',
          found: 'readFiles does not see files that executeCode wrote',
          fix: "keep capture.transport 'stdout' (the default) on AgentCore",
        };
  });
  await checks.run('listFiles', fix, async () => {
    const names = (await session.listFiles(FOLDER)).map((entry) => entry.name).sort();
    return names.includes('a.txt')
      ? { status: 'pass', found: names.join(', ') }
      : { status: 'fail', found: `listed ${names.join(', ') || 'nothing'}` };
  });
  const command = 'echo out; echo err >&2; exit 3';
  await checks.run('executeCommand', fix, async () => {
    const result = await session.executeCommand(command);
    const ok = result.stdout === 'out\n' && result.stderr === 'err\n' && result.exitCode === 3;
    return {
      status: ok ? 'pass' : 'fail',
      found: `stdout ${JSON.stringify(result.stdout)}, stderr ${JSON.stringify(result.stderr)}, exit code ${result.exitCode}`,
    };
  });
  await checks.run('executeCommand output', fix, async () =>
    describeCommandOutput(await raw('executeCommand', { command })),
  );
  await checks.run('background task', fix, async () => {
    const result = await session.runLongCommand('echo task; exit 2', { pollIntervalMs: 250 });
    const ok = result.stdout === 'task\n' && result.exitCode === 2;
    return {
      status: ok ? 'pass' : 'fail',
      found: `stdout ${JSON.stringify(result.stdout)}, exit code ${result.exitCode}`,
    };
  });
}

/** What a stopped and an expired session answer: the backend replaces a session on ResourceNotFound. */
async function lifecycleChecks(
  checks: DoctorChecks,
  client: BedrockAgentCoreClient,
  identifier: string,
): Promise<void> {
  const fix =
    'sandplot replaces a session only on ResourceNotFoundException: report this answer so the backend and the emulator can follow it';
  const start = async (sessionTimeoutSeconds: number) => {
    const started = await client.send(
      new StartCodeInterpreterSessionCommand({
        codeInterpreterIdentifier: identifier,
        sessionTimeoutSeconds,
      }),
    );
    return started.sessionId as string;
  };
  const stop = (sessionId: string) =>
    client
      .send(
        new StopCodeInterpreterSessionCommand({ codeInterpreterIdentifier: identifier, sessionId }),
      )
      .catch(() => undefined);
  const answerAfter = async (sessionId: string): Promise<Omit<DoctorCheck, 'name'>> => {
    const answer = await rawInvoke(client, identifier, sessionId, 'executeCode', {
      language: 'python',
      code: 'print(1)',
    });
    return isSessionGone(answer)
      ? { status: 'pass', found: `executeCode answers ${exceptionText(answer)}` }
      : { status: 'fail', found: `executeCode answers ${exceptionText(answer)}`, fix };
  };
  await checks.run('stopped session answers', fix, async () => {
    const sessionId = await start(300);
    await stop(sessionId);
    return answerAfter(sessionId);
  });
  await checks.run('expired session answers', fix, async () => {
    const timeoutSeconds = 3;
    const sessionId = await start(timeoutSeconds);
    try {
      const deadline = Date.now() + 60_000;
      let status: string | undefined;
      do {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        status = (
          await client.send(
            new GetCodeInterpreterSessionCommand({
              codeInterpreterIdentifier: identifier,
              sessionId,
            }),
          )
        ).status;
      } while (status === 'READY' && Date.now() < deadline);
      const outcome = await answerAfter(sessionId);
      return {
        ...outcome,
        found: `after ${timeoutSeconds} s the status is ${status}; ${outcome.found}`,
      };
    } finally {
      await stop(sessionId);
    }
  });
}
