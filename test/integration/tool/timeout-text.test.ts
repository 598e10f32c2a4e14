import { describe, expect, it } from 'vitest';
import { localBackend } from '../../../src/backends/local.js';
import { CodeSandbox } from '../../../src/sandbox/code-sandbox.js';
import { createExecutePythonTool } from '../../../src/tool/execute-python.js';

// What only the developer can act on, and the library's own code: never in the model's text.
const notForTheModel = /timeoutMs|Raise|option|`|<sandplot-server>|<sandplot-prelude>|_on_sigint/;

describe('execute_python after a timeout', () => {
  it("tells the model what it can do, shows only the user's frames, and keeps the option for the developer", async () => {
    await using sandbox = new CodeSandbox({ backend: localBackend(), timeoutMs: 1000 });
    const tool = createExecutePythonTool(sandbox);
    const output = await tool.invoke({
      code: 'import time\ndef work():\n    while True:\n        time.sleep(0.01)\nwork()\n',
    });
    expect(output.isError).toBe(true);
    expect(output.text).toMatch(
      /^Error: TimeoutError: The code ran longer than 1000 ms and was interrupted; variables from earlier calls are kept\. Make each call do less: split the work into several calls/,
    );
    expect(output.text).toContain('File "<cell-1>", line 5, in <module>');
    expect(output.text).toContain('File "<cell-1>", line 4, in work');
    expect(output.text).toMatch(/\nKeyboardInterrupt$/);
    expect(output.text).not.toMatch(notForTheModel);
    const error = output.result?.error;
    expect(error?.traceback).not.toMatch(/sandplot-server|sandplot-prelude/);
    expect(output.result?.stderr).not.toMatch(/sandplot-server|sandplot-prelude/);
    expect(error?.hint).toMatch(/`timeoutMs` option .*raise it for longer work/);
    // The session kept its variables: the next call runs in it.
    const next = await tool.invoke({ code: 'print(work.__name__)' });
    expect(next.text).toBe('stdout:\nwork\n');
  });
});
