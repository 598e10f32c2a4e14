/**
 * The report's only stylesheet. Its SHA-256 goes into the page's Content-Security-Policy, so it
 * must stay one constant string: any other style in the page would be refused.
 */
export const reportStyle = `
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa;
  --ok: #1a7f37; --bad: #cf222e; --bad-soft: #ffebe9; --warn-soft: #fff8c5; }
* { box-sizing: border-box; }
body { margin: 0; padding: 2rem 1.5rem 3rem; color: var(--ink); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 64rem; margin: 0 auto; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; padding-bottom: .3rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 0 0 .3rem; }
h4 { font-size: .95rem; margin: 1rem 0 .4rem; }
h5 { font-size: .9rem; margin: .8rem 0 .3rem; color: var(--muted); }
pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: .85rem; }
pre { margin: 0; padding: .8rem 1rem; background: var(--soft); border: 1px solid var(--line);
  border-radius: 6px; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
.status { display: inline-block; margin: 0 0 .8rem; padding: .15rem .6rem; border-radius: 999px;
  font-weight: 600; font-size: .85rem; color: #fff; background: var(--ok); }
.status.failed { background: var(--bad); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.empty { color: var(--muted); font-style: italic; margin: 0; }
.stderr pre { background: var(--warn-soft); }
.error { border: 1px solid var(--bad); border-left-width: 6px; border-radius: 6px; background: var(--bad-soft); padding: .8rem 1rem; }
.error h2 { color: var(--bad); border: 0; margin-top: 0; }
.error p { margin: 0 0 .6rem; font-weight: 600; overflow-wrap: anywhere; }
.error pre { background: #fff; border-color: #ffcecb; }
.figure { margin: 1.2rem 0 2rem; padding: 1rem; border: 1px solid var(--line); border-radius: 8px; break-inside: avoid-page; }
.figure .meta { margin: 0 0 .8rem; color: var(--muted); font-size: .85rem; overflow-wrap: anywhere; }
.figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); background: #fff; }
.note { color: var(--muted); font-size: .85rem; margin: .4rem 0; }
.note.warning { color: #9a6700; }
dl.axis-list { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem; margin: 0 0 .5rem; font-size: .9rem; }
dl.axis-list dt { color: var(--muted); }
dl.axis-list dd { margin: 0; }
.scale { color: var(--muted); }
table { border-collapse: collapse; margin: .4rem 0 .8rem; font-size: .85rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding-bottom: .3rem; }
th, td { border: 1px solid var(--line); padding: .2rem .6rem; text-align: right; }
thead th { background: var(--soft); text-align: center; }
tbody th { text-align: left; font-weight: 500; background: #fbfcfd; }
.problems td, .problems th, .files td, .files th { text-align: left; }
footer { margin-top: 3rem; color: var(--muted); font-size: .8rem; }
a { color: #0969da; overflow-wrap: anywhere; }
@media print {
  body { padding: 0; font-size: 11pt; }
  main { max-width: none; }
  pre { white-space: pre-wrap; }
  .figure, table, .error { break-inside: avoid; }
  a { color: inherit; }
}
`;
