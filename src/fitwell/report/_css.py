"""The stylesheets of the two reports, each inlined in its page: the run report's
(cards, badges, a figure grid that folds on narrow screens) and the sweep and ablation
report's (compact tables)."""

__all__ = ["RUN_REPORT_CSS", "EXPERIMENT_REPORT_CSS"]

#: The run report's styles (:func:`fitwell.report.write_report`).
RUN_REPORT_CSS = """
:root {
  --ink: #0f172a; --soft: #475569; --muted: #64748b; --line: #e2e8f0; --bg: #f8fafc;
  --card: #ffffff; --accent: #2563eb;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
        "Noto Sans", "DejaVu Sans", sans-serif;
}
main { max-width: 1080px; margin: 0 auto; padding: 48px 28px 64px; }
header { margin-bottom: 36px; }
.eyebrow {
  margin: 0 0 6px; font-size: 13px; font-weight: 600; letter-spacing: .08em;
  text-transform: uppercase; color: var(--accent);
}
h1 { margin: 0; font-size: 34px; line-height: 1.2; letter-spacing: -.01em; }
h2 { margin: 0 0 16px; font-size: 22px; line-height: 1.3; }
h3 { margin: 0; font-size: 19px; }
.intro { margin: 14px 0 0; max-width: 72ch; font-size: 17px; color: var(--soft); }
section { margin-top: 40px; }
.card {
  background: var(--card); border: 1px solid var(--line); border-radius: 12px;
  padding: 24px; box-shadow: 0 1px 2px rgba(15, 23, 42, .04);
}
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-size: 14.5px; }
th, td { padding: 10px 12px; text-align: left; vertical-align: top; }
thead th {
  font-size: 12px; font-weight: 600; letter-spacing: .04em; text-transform: uppercase;
  color: var(--muted); border-bottom: 1px solid var(--line); white-space: nowrap;
}
tbody tr.main + tr.main td, tbody tr.message + tr.main td { border-top: 1px solid var(--line); }
tr.main:has(+ tr.message) td { padding-bottom: 2px; }
tr.message td { padding-top: 0; color: var(--soft); font-size: 14px; }
td.strong { font-weight: 600; }
.note { margin: 14px 0 0; font-size: 13px; color: var(--muted); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.name { font-weight: 600; }
td.name a { color: var(--ink); text-decoration: none; }
td.name a:hover { text-decoration: underline; }
.badge {
  display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 12.5px;
  font-weight: 600; line-height: 1.6; white-space: nowrap; border: 1px solid transparent;
}
.verdict-good-fit { color: #15803d; background: #dcfce7; border-color: #bbf7d0; }
.verdict-overfitting { color: #c2410c; background: #ffedd5; border-color: #fed7aa; }
.verdict-underfitting { color: #a16207; background: #fef9c3; border-color: #fde68a; }
.verdict-diverged { color: #b91c1c; background: #fee2e2; border-color: #fecaca; }
.verdict-unknown { color: var(--soft); background: #f1f5f9; border-color: var(--line); }
.comparison-text { margin: 0 0 20px; color: var(--soft); max-width: 75ch; }
.comparison-text ul { margin: 0; padding-left: 20px; }
.run-head { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
.verdict-line {
  margin: 12px 0 20px; padding: 12px 16px; border-left: 4px solid currentColor;
  border-radius: 0 8px 8px 0; font-size: 15.5px;
}
.verdict-line span { color: var(--ink); }
.facts {
  display: flex; flex-wrap: wrap; gap: 6px 24px; margin: 0 0 20px; padding: 0;
  list-style: none; color: var(--soft); font-size: 14.5px;
}
.facts b { color: var(--ink); font-weight: 600; font-variant-numeric: tabular-nums; }
.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 24px; }
.grid figure { margin: 0 0 24px; }
figure { margin: 0 auto 24px; }
figure img {
  display: block; width: 100%; height: auto; border: 1px solid var(--line);
  border-radius: 8px; background: #fff;
}
figcaption { margin-top: 8px; font-size: 13.5px; color: var(--muted); }
details { margin-top: 4px; font-size: 14px; }
summary { cursor: pointer; color: var(--soft); font-weight: 600; }
details table { margin-top: 8px; font-size: 13.5px; }
details td { padding: 4px 12px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
details tbody tr + tr td { border-top: none; }
footer { margin-top: 48px; font-size: 13px; color: var(--muted); text-align: center; }
@media (max-width: 760px) {
  main { padding: 28px 16px 48px; }
  .grid { grid-template-columns: 1fr; }
  h1 { font-size: 27px; }
}
@media print {
  body { background: #fff; }
  .card { box-shadow: none; break-inside: avoid; }
}
"""

#: The sweep and ablation reports' styles.
EXPERIMENT_REPORT_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#0f172a;max-width:1100px;
margin:2rem auto;padding:0 1rem;line-height:1.45}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;
border-bottom:1px solid #e2e8f0;padding-bottom:.2rem}
p.meta{color:#475569;font-size:.9rem;margin-top:0}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{padding:.25rem .6rem;border-bottom:1px solid #e2e8f0;text-align:right;white-space:nowrap}
th{background:#f8fafc}td.l,th.l{text-align:left}tr.best td{background:#ecfdf5}
figure{margin:1rem 0}figure img{max-width:100%}figcaption{color:#475569;font-size:.85rem}
.helps{color:#15803d;font-weight:600}.hurts{color:#b91c1c;font-weight:600}
.none{color:#475569}pre{background:#f8fafc;padding:.6rem;overflow-x:auto;font-size:.8rem}
"""
