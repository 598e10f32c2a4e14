import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imagePixelSize } from '../../../src/capture/image-size.js';
import { svgRefusal } from '../../../src/capture/svg-safety.js';

// The host's allow-lists must pass everything matplotlib writes: figures of every kind, saved
// by Debian's matplotlib (with pandas and seaborn), checked as the host checks them.
const PYTHON = '/usr/bin/python3';

const FIGURES = String.raw`
import os, sys, warnings
warnings.filterwarnings('ignore')
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt, matplotlib.patches as patches, matplotlib.tri as tri
import numpy as np, pandas as pd, seaborn as sns
out = sys.argv[1]
rng = np.random.default_rng(7)
x = np.linspace(0, 10, 50)

def save(name, **options):
    for extension in ('svg', 'png', 'jpg'):
        plt.savefig(os.path.join(out, name + '.' + extension), **options)
    plt.close('all')

plt.plot(x, np.sin(x), '--o', label='sin <&> "q" \'a\' -- x'); plt.legend()
plt.title('Lines & <tags> -- é ✓ 売上 עברית 😀'); plt.xlabel(r'$\alpha^2 + \frac{1}{\sqrt{x}}$'); save('lines')
plt.bar(['a', 'b', 'c'], [1, 2, 3], hatch='//', edgecolor='k'); plt.barh([0, 1], [2, 3], hatch='x.o*'); save('hatched-bars')
plt.imshow(rng.random((20, 20))); plt.colorbar(); save('imshow')
fig, ax = plt.subplots(); line, = ax.plot(x, x); line.set_clip_path(patches.Circle((5, 5), 3, transform=ax.transData))
ax.annotate('peak', xy=(5, 5), xytext=(7, 8), arrowprops=dict(arrowstyle='->')); save('clip-path')
plt.tripcolor(tri.Triangulation(rng.random(20), rng.random(20)), rng.random(20), shading='gouraud'); save('gouraud')
plt.pcolormesh(rng.random((10, 10))); plt.contourf(rng.random((10, 10)), alpha=0.5); plt.contour(rng.random((10, 10))); save('mesh-contour')
ax = plt.figure().add_subplot(projection='3d'); X, Y = np.meshgrid(x, x); ax.plot_surface(X, Y, np.sin(X)); save('surface-3d')
plt.figure().add_subplot(projection='polar').plot(x, x); save('polar')
plt.pie([1, 2, 3], labels=['a', 'b', 'c'], autopct='%1.1f%%', shadow=True); save('pie')
plt.hist(rng.normal(size=500), bins=30); plt.boxplot([rng.normal(size=50)] * 3); save('hist-box')
plt.violinplot([rng.normal(size=50)] * 3); plt.errorbar([1, 2], [1, 2], yerr=[0.1, 0.2], fmt='s'); plt.fill_between(x, 0, np.sin(x), alpha=0.3); save('violin-errorbar')
X, Y = np.meshgrid(np.arange(5), np.arange(5)); plt.quiver(X, Y, X, Y); plt.streamplot(X, Y, X, -Y); save('quiver-stream')
plt.scatter(rng.random(200), rng.random(200), c=rng.random(200), s=rng.random(200) * 100, marker='*'); save('scatter')
fig, axes = plt.subplots(2, 2); axes[0][0].twinx().plot([1, 2]); axes[1][1].set_yscale('log'); axes[1][1].plot([1, 10, 100]); fig.suptitle('subplots'); fig.tight_layout(); save('subplots-log')
plt.plot([1, 2]); plt.gca().lines[0].set_gid('gid "with" <markup> & (parens)'); save('gid')
plt.plot([1, 2]); plt.gca().set_rasterized(True); save('rasterized', dpi=50)
with plt.xkcd():
    plt.plot([1, 2, 3]); plt.title('xkcd'); save('xkcd')
plt.rcParams['svg.fonttype'] = 'none'
plt.plot([1, 2]); plt.title('fonttype none é <&>'); plt.xlabel(r'$\int x\,dx$'); save('fonttype-none')
plt.rcParams['svg.fonttype'] = 'path'
plt.plot([1, 2]); save('tight-transparent', bbox_inches='tight', transparent=True)
frame = pd.DataFrame(rng.random((10, 3)), columns=['a', 'b', 'c'])
frame.plot(); save('pandas-line'); frame.plot.bar(stacked=True); save('pandas-bar'); frame.plot.area(); save('pandas-area')
frame.plot.hexbin(x='a', y='b', gridsize=5); save('pandas-hexbin'); pd.plotting.scatter_matrix(frame); save('pandas-scatter-matrix')
sns.set_theme()
sns.heatmap(rng.random((5, 5)), annot=True); save('seaborn-heatmap')
tips = pd.DataFrame({'x': rng.random(50), 'y': rng.random(50), 'g': rng.choice(['a', 'b'], 50)})
sns.violinplot(data=tips, x='g', y='y'); save('seaborn-violin')
sns.kdeplot(data=tips, x='x', y='y', fill=True); save('seaborn-kde')
sns.regplot(data=tips, x='x', y='y'); save('seaborn-regression')
sns.histplot(data=tips, x='x', hue='g', kde=True); save('seaborn-histogram')
plt.plot([1, 2]); plt.savefig(os.path.join(out, 'metadata.svg'), metadata={'Title': 't <&>', 'Creator': 'me', 'Keywords': ['a', 'b'], 'Description': 'd', 'Contributor': ['x', 'y'], 'Rights': 'r', 'Language': 'en'})
plt.savefig(os.path.join(out, 'metadata.png'), metadata={'Title': 't', 'Author': 'me'})
plt.savefig(os.path.join(out, 'progressive.jpg'), pil_kwargs={'progressive': True, 'optimize': True})
plt.close('all')
plt.plot([1, 2]); plt.gca().lines[0].set_url('https://example.com/?a=1&b=2'); plt.savefig(os.path.join(out, 'link-to-a-url.svg'))
`;

let dir: string;
let files: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandplot-matplotlib-figures-'));
  await writeFile(join(dir, 'figures.py'), FIGURES);
  await new Promise<void>((resolve, reject) => {
    execFile(
      PYTHON,
      [join(dir, 'figures.py'), dir],
      { env: { PATH: process.env.PATH ?? '', HOME: dir, MPLCONFIGDIR: dir, LANG: 'C.UTF-8' } },
      (error, _stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(),
    );
  });
  files = (await readdir(dir)).filter((name) => /\.(svg|png|jpg)$/.test(name)).sort();
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("matplotlib's own figures against the host checks", () => {
  it('passes every SVG matplotlib, pandas and seaborn write through the allow-list', async () => {
    const svgs = files.filter((name) => name.endsWith('.svg') && name !== 'link-to-a-url.svg');
    expect(svgs.length).toBeGreaterThanOrEqual(30);
    const refused: string[] = [];
    for (const name of svgs) {
      const reason = svgRefusal(await readFile(join(dir, name)));
      if (reason !== undefined) refused.push(`${name}: ${reason}`);
    }
    expect(refused).toEqual([]);
  });

  it('refuses a figure with a link to another page (Artist.set_url), naming it', async () => {
    expect(svgRefusal(await readFile(join(dir, 'link-to-a-url.svg')))).toBe(
      'the SVG contains a link that is not a same-document #id reference (xlink:href= on <a>)',
    );
  });

  it('reads the pixel size of every PNG and JPEG, progressive ones and ones with metadata too', async () => {
    const images = files.filter((name) => !name.endsWith('.svg'));
    expect(images.length).toBeGreaterThanOrEqual(60);
    const unread: string[] = [];
    for (const name of images) {
      const size = imagePixelSize(
        await readFile(join(dir, name)),
        name.endsWith('.png') ? 'image/png' : 'image/jpeg',
      );
      if (typeof size === 'string' || size.width < 10 || size.height < 10) {
        unread.push(`${name}: ${JSON.stringify(size)}`);
      }
    }
    expect(unread).toEqual([]);
    expect(imagePixelSize(await readFile(join(dir, 'progressive.jpg')), 'image/jpeg')).toEqual({
      width: 640,
      height: 480,
    });
  });
});
