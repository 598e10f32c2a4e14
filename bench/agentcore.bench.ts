import { performance } from 'node:perf_hooks';
import {
  BedrockAgentCoreClient,
  InvokeCodeInterpreterCommand,
  StartCodeInterpreterSessionCommand,
  StopCodeInterpreterSessionCommand,
} from '@aws-sdk/client-bedrock-agentcore';
// The built package (the Python prelude is inlined at build time), as users get it.
import { CodeSandbox, createNonce, localBackend, wrapPythonCode } from 'sandplot';
import { agentCoreBackend } from 'sandplot/agentcore';
import { EMULATOR_CREDENTIALS, startAgentCoreEmulator } from 'sandplot/testing';
import { type BenchReport, formatMs, median, target } from './report.js';
import { salesFigureCode as salesFigure } from './sales-figure.js';

async function timed(task: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await task();
  return performance.now() - started;
}

/**
 * CodeSandbox.executePython on agentCoreBackend against the raw SDK call with the same wrapped
 * code, on one emulator, interleaved so both see the same machine load.
 */
export async function benchAgentCore(): Promise<BenchReport> {
  const emulator = await startAgentCoreEmulator({ backend: localBackend() });
  const clientConfig = {
    region: 'us-west-2',
    endpoint: emulator.endpoint,
    maxAttempts: 1,
    credentials: EMULATOR_CREDENTIALS,
  };
  const client = new BedrockAgentCoreClient(clientConfig);
  const identifier = 'aws.codeinterpreter.v1';
  const sandbox = new CodeSandbox({
    backend: agentCoreBackend({ clientConfig, stopOnExit: false }),
  });
  const { sessionId } = await client.send(
    new StartCodeInterpreterSessionCommand({ codeInterpreterIdentifier: identifier }),
  );
  const raw = async (code: string) => {
    const response = await client.send(
      new InvokeCodeInterpreterCommand({
        codeInterpreterIdentifier: identifier,
        sessionId,
        name: 'executeCode',
        arguments: { language: 'python', code: wrapPythonCode(code, { nonce: createNonce() }) },
      }),
    );
    for await (const _event of response.stream ?? []) {
      // Read to the end, as the backend does.
    }
  };
  const compare = async (code: string, rounds: number, warmup: number) => {
    for (let i = 0; i < warmup; i++) {
      await sandbox.executePython(code);
      await raw(code);
    }
    const library: number[] = [];
    const floor: number[] = [];
    for (let i = 0; i < rounds; i++) {
      library.push(await timed(() => sandbox.executePython(code)));
      floor.push(await timed(() => raw(code)));
    }
    const libraryMedian = median(library);
    const floorMedian = median(floor);
    const overhead = libraryMedian - floorMedian;
    return {
      libraryMedian,
      floorMedian,
      overhead,
      holds: overhead <= 1 || overhead <= 0.05 * floorMedian,
    };
  };
  try {
    const print = await compare('print(1)', 200, 20);
    const plot = await compare(salesFigure, 20, 3);
    const line = (label: string, measured: typeof print) =>
      target(
        `${label}: overhead ≤ 5% of the median or ≤ 1 ms`,
        measured.holds,
        `${formatMs(measured.overhead)} (${((measured.overhead / measured.floorMedian) * 100).toFixed(1)}%)`,
      );
    return {
      name: 'AgentCore backend overhead (emulator)',
      ok: print.holds && plot.holds,
      lines: [
        `Interleaved medians on one loopback emulator (local sandbox behind it): print(1) through CodeSandbox on agentCoreBackend ${formatMs(print.libraryMedian)}, the raw SDK InvokeCodeInterpreter with the same wrapped code ${formatMs(print.floorMedian)} (200 rounds); the sales figure ${formatMs(plot.libraryMedian)} vs ${formatMs(plot.floorMedian)} (20 rounds, figure decoded and stored by the library only).`,
        line('print(1)', print),
        line('sales figure', plot),
      ],
    };
  } finally {
    await sandbox.close();
    await client.send(
      new StopCodeInterpreterSessionCommand({ codeInterpreterIdentifier: identifier, sessionId }),
    );
    client.destroy();
    await emulator.close();
  }
}
