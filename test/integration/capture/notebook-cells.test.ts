import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localBackend } from '../../../src/backends/local.js';
import { salesAnalysisCode } from '../../../src/cli/sales-analysis.js';
import { CodeSandbox } from '../../../src/sandbox/code-sandbox.js';
import { type AgentCoreEmulator, startAgentCoreEmulator } from '../../../src/testing.js';
import { createExecutePythonTool } from '../../../src/tool/execute-python.js';
import type { ExecutePythonToolOutput } from '../../../src/tool/tool-types.js';
import { emulatorBackend } from '../../support/agentcore-clients.js';
import sales from '../../support/fixtures/sales.json' with { type: 'json' };

/**
 * Cells the way models write them (notebook habits), each with what the model must get back:
 * what a Jupyter cell would show, plus what Jupyter misses (figures saved and closed). Every
 * case runs on the local backend and on the AgentCore emulator, which runs the same wrapper.
 */
interface Cell {
  name: string;
  code: string;
  check: (output: ExecutePythonToolOutput) => void;
}

const FRAME = `import pandas as pd
import numpy as np
df = pd.DataFrame({"region": ["north", "south", "east", "west"] * 5,
                   "units": np.arange(20) * 3, "price": np.linspace(1, 2, 20)})
`;

function result(output: ExecutePythonToolOutput) {
  const value = output.result;
  if (value === undefined) throw new Error(`no result: ${output.text}`);
  return value;
}

const cells: Cell[] = [
  {
    name: 'df.describe() as the last line shows the summary table',
    code: `${FRAME}df.describe()`,
    check: (output) => {
      expect(output.text).toMatch(/count\s+20\.0+\s+20\.0+/);
      const [value] = result(output).displays;
      expect(value?.source).toBe('value');
      expect(value?.table).toMatchObject({ columns: ['units', 'price'], rowCount: 8 });
      expect(value?.table?.index).toEqual([
        'count',
        'mean',
        'std',
        'min',
        '25%',
        '50%',
        '75%',
        'max',
      ]);
    },
  },
  {
    name: 'df.head() shows five rows as a table',
    code: `${FRAME}df.head()`,
    check: (output) => {
      const [value] = result(output).displays;
      expect(value?.table?.rows).toHaveLength(5);
      expect(value?.table?.rows[1]).toEqual(['south', 3, expect.closeTo(1.0526, 3)]);
      expect(output.text).toContain('south');
    },
  },
  {
    name: 'df.shape shows the tuple',
    code: `${FRAME}df.shape`,
    check: (output) => expect(output.text).toContain('(20, 3)'),
  },
  {
    name: 'display() in the middle of prints keeps the order',
    code: `${FRAME}print("before")\ndisplay(df.tail(2))\nprint("after")`,
    check: (output) => {
      const text = output.text;
      expect(text.indexOf('before')).toBeLessThan(text.indexOf('west'));
      expect(text.indexOf('west')).toBeLessThan(text.indexOf('after'));
      expect(result(output).displays[0]).toMatchObject({ source: 'display', position: 7 });
    },
  },
  {
    name: 'Markdown shows as its text, with no import of display',
    code: 'from IPython.display import Markdown\ndisplay(Markdown("**Total:** 42 units"))',
    check: (output) => expect(output.text).toContain('**Total:** 42 units'),
  },
  {
    name: 'from IPython.display import display, HTML works',
    code: 'from IPython.display import display, HTML\ndisplay(HTML("<b>bold</b>"))',
    check: (output) => {
      expect(output.isError).toBe(false);
      expect(output.text).toContain('<b>bold</b>');
    },
  },
  {
    name: "plt.savefig('chart.png'); plt.close() still delivers the figure, once",
    code: 'import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.title("Saved")\nplt.savefig("chart.png")\nplt.close()',
    check: (output) => {
      expect(output.figures.map((figure) => figure.title)).toEqual(['Saved']);
      expect(output.images).toHaveLength(1);
    },
  },
  {
    name: 'fig.savefig then plt.close(fig) delivers it once',
    code: 'import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.bar(["a", "b"], [3, 4])\nax.set_title("Bars")\nfig.savefig("bars.png", dpi=80)\nplt.close(fig)',
    check: (output) => expect(output.figures.map((figure) => figure.title)).toEqual(['Bars']),
  },
  {
    name: 'savefig then show is one figure, not two',
    code: 'import matplotlib.pyplot as plt\nplt.plot([3, 1, 2])\nplt.title("Once")\nplt.savefig("once.png")\nplt.show()',
    check: (output) => expect(output.figures.map((figure) => figure.title)).toEqual(['Once']),
  },
  {
    name: 'a figure closed without being saved or shown is not sent',
    code: 'import matplotlib.pyplot as plt\nplt.figure()\nplt.plot([1])\nplt.close()\nprint("done")',
    check: (output) => {
      expect(output.figures).toEqual([]);
      expect(result(output).problems).toEqual([]);
    },
  },
  {
    name: 'rotated tick labels are inside the captured figure (tight bounding box)',
    code: 'import matplotlib.pyplot as plt\nplt.bar(["A very long category name", "Another long label"], [3, 5])\nplt.xticks(rotation=60)\nplt.title("Rotated")\nplt.show()',
    check: (output) => {
      const [figure] = output.figures;
      // The 640×480 canvas cuts the labels off; the tight box grows to hold them.
      expect(figure?.height).toBeGreaterThan(480);
    },
  },
  {
    name: 'seaborn draws a figure whose chart data names the bars',
    code: `${FRAME}import seaborn as sns\nax = sns.barplot(data=df, x="region", y="units", errorbar=None)\nax.set_title("Units by region")`,
    check: (output) => {
      expect(output.figures).toHaveLength(1);
      expect(output.text).toMatch(/bars: 4 bars: north=\d+/);
    },
  },
  {
    name: 'an Excel file round-trips with pandas (openpyxl)',
    code: `${FRAME}df.to_excel("report.xlsx", index=False)\nprint(pd.read_excel("report.xlsx").shape)`,
    check: (output) => {
      expect(output.isError).toBe(false);
      expect(output.text).toContain('(20, 3)');
    },
  },
  {
    name: 'a displayed PIL image is delivered as a figure',
    code: 'from PIL import Image\nimage = Image.new("RGB", (60, 40), (200, 30, 30))\ndisplay(image)',
    check: (output) => {
      expect(output.figures).toHaveLength(1);
      expect(output.figures[0]).toMatchObject({ width: 60, height: 40 });
      expect(output.images).toHaveLength(1);
    },
  },
  {
    name: "IPython's Image of PNG bytes is delivered as a figure",
    code: 'import io\nfrom PIL import Image as PILImage\nfrom IPython.display import Image\nbuffer = io.BytesIO()\nPILImage.new("RGB", (30, 20)).save(buffer, format="png")\nImage(data=buffer.getvalue())',
    check: (output) => expect(output.figures[0]).toMatchObject({ width: 30, height: 20 }),
  },
  {
    name: 'plotly fig.show() gives its data and says why there is no image',
    code: 'import plotly.express as px\nfig = px.bar(x=["a", "b", "c"], y=[1, 3, 2], title="Plotly bars")\nfig.show()',
    check: (output) => {
      expect(output.text).toContain('bars: 3 bars: a=1, b=3, c=2');
      expect(output.text).toMatch(/plotly needs the kaleido package/);
      expect(output.isError).toBe(false);
    },
  },
  {
    name: 'an error after a display shows the display, the error and nothing after',
    code: `${FRAME}display(df.shape)\nraise ValueError("bad region")\nprint("never")`,
    check: (output) => {
      expect(output.isError).toBe(true);
      expect(output.text).toContain('(20, 3)');
      expect(output.text).toContain('ValueError: bad region');
      expect(output.text).not.toContain('never');
    },
  },
  {
    name: 'a value is not shown after an exception',
    code: 'x = 1 / 0\nx',
    check: (output) => expect(result(output).displays).toEqual([]),
  },
  {
    name: 'a trailing semicolon hides the value',
    code: 'answer = 41\nanswer + 1;',
    check: (output) => {
      expect(result(output).displays).toEqual([]);
      expect(output.text).not.toContain('42');
    },
  },
  {
    name: 'an assignment or a None value shows nothing',
    code: 'total = 5\nprint("printed")\nNone',
    check: (output) => {
      expect(result(output).displays).toEqual([]);
      expect(output.text).toContain('printed');
    },
  },
  {
    name: 'a value is shown after what the cell printed',
    code: 'print("first")\n2 ** 10',
    check: (output) => {
      expect(output.text.indexOf('first')).toBeLessThan(output.text.indexOf('1024'));
      expect(result(output).displays).toMatchObject([{ source: 'value', text: '1024' }]);
    },
  },
  {
    name: 'print(df) of a wide frame shows every column (20-column notebook default)',
    code: 'import pandas as pd\nwide = pd.DataFrame([[i * j for i in range(15)] for j in range(3)], columns=[f"column_{i}" for i in range(15)])\nprint(wide)',
    check: (output) => {
      expect(output.text).toContain('column_0');
      expect(output.text).toContain('column_14');
      expect(output.text).not.toMatch(/column_\d+\s+\.\.\./);
    },
  },
  {
    name: 'a long frame is shortened as pandas does in a notebook (60 rows)',
    code: 'import pandas as pd\npd.DataFrame({"n": range(100)})',
    check: (output) => {
      expect(output.text).toContain('[100 rows x 1 columns]');
      expect(result(output).displays[0]?.table).toMatchObject({ rowCount: 100 });
      expect(result(output).displays[0]?.table?.rows).toHaveLength(50);
    },
  },
  {
    name: '%matplotlib inline at the top does not break the cell',
    code: '%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.title("Inline")',
    check: (output) => {
      expect(output.isError).toBe(false);
      expect(output.figures.map((figure) => figure.title)).toEqual(['Inline']);
    },
  },
  {
    name: 'value_counts() shows a one-column table',
    code: `${FRAME}df["region"].value_counts()`,
    check: (output) => {
      const table = result(output).displays[0]?.table;
      expect(table?.columnCount).toBe(1);
      expect(table?.rowCount).toBe(4);
    },
  },
  {
    name: 'display(fig) sends the figure once, not again when the cell ends',
    code: 'import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 2])\nax.set_title("Shown")\ndisplay(fig)\nprint("after")',
    check: (output) => expect(output.figures.map((figure) => figure.title)).toEqual(['Shown']),
  },
  {
    name: 'an open figure as the last value is sent once',
    code: 'import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([2, 1])\nax.set_title("Value")\nfig',
    check: (output) => {
      expect(output.figures.map((figure) => figure.title)).toEqual(['Value']);
      expect(result(output).displays).toEqual([]);
    },
  },
  {
    name: 'a dict value is pretty-printed',
    code: '{"north": 120, "south": 95}',
    check: (output) => expect(output.text).toContain("{'north': 120, 'south': 95}"),
  },
  {
    name: 'a long list shows its first 1000 items, as IPython does',
    code: 'list(range(200000))',
    check: (output) => {
      expect(output.text).toContain('[0, 1, 2,');
      expect(output.text).toContain('998, 999, ...]');
      expect(output.text).not.toContain('1000,');
    },
  },
  {
    name: 'a huge value is cut within the budget, with a count',
    code: '"\\n".join(f"row {i}: " + "x" * 40 for i in range(20000))',
    check: (output) => {
      expect(output.text.length).toBeLessThan(21_000);
      expect(output.text).toMatch(/\[… [\d,]+ characters \([\d,]+ lines\) of stdout cut here/);
      expect(output.text).toContain("'row 0: xxx");
    },
  },
];

const backends = [
  { name: 'local backend', make: () => new CodeSandbox({ backend: localBackend() }) },
  {
    name: 'AgentCore emulator',
    make: () => new CodeSandbox({ backend: emulatorBackend(emulator) }),
  },
];

let emulator: AgentCoreEmulator;
beforeAll(async () => {
  emulator = await startAgentCoreEmulator();
});
afterAll(async () => {
  await emulator?.close();
});

describe.each(backends)('notebook-faithful cells on the $name', ({ make }) => {
  let sandbox: CodeSandbox;
  beforeAll(() => {
    sandbox = make();
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it.each(cells)('$name', async ({ code, check }) => {
    const tool = createExecutePythonTool(sandbox);
    const output = await tool.invoke({ code });
    check(output);
  });

  it('keeps the sales analysis under 2 kB of model-facing text', async () => {
    await sandbox.writeFiles([{ path: 'sales.json', content: JSON.stringify(sales.series) }]);
    const output = await createExecutePythonTool(sandbox).invoke({ code: salesAnalysisCode });
    expect(output.isError).toBe(false);
    expect(output.figures).toHaveLength(2);
    expect(Buffer.byteLength(output.text)).toBeLessThan(2048);
  });
});
