"""A self-contained HTML report of one or more training runs.

:func:`write_report` saves every figure as a PNG next to ``report.html`` and
embeds the same images in the page as base64 ``data:`` URIs, with the styles
inline: the page has no external resource and no JavaScript, so it opens offline,
from an e-mail attachment or a CI artefact alike. Every piece of text is escaped.
"""

from __future__ import annotations

import base64
import html
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .._version import __version__
from . import plots

__all__ = ["write_report", "figure_names", "slugify", "REPORT_FILE"]

#: The name of the page :func:`write_report` writes.
REPORT_FILE = "report.html"


def slugify(name, fallback="run"):
    """A lowercase ASCII file-name part: ``"Improved (v2)" -> "improved-v2"``."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return text or fallback


def _slugs(runs):
    """One distinct slug per run, in order (``baseline``, ``baseline-2``, ...)."""
    seen, slugs = {}, []
    for run in runs:
        base = slugify(run.name)
        seen[base] = seen.get(base, 0) + 1
        slug = base if seen[base] == 1 else f"{base}-{seen[base]}"
        while slug in slugs:
            seen[base] += 1
            slug = f"{base}-{seen[base]}"
        slugs.append(slug)
    return slugs


@dataclass(frozen=True)
class _Figure:
    filename: str
    kind: str  # "loss", "score", "lr", "comparison", "gap"
    run: object = None


def _plan(runs):
    """Every figure of the report, in page order."""
    runs = list(runs)
    figures = []
    if len(runs) >= 2:
        figures += [_Figure("comparison.png", "comparison"), _Figure("gap.png", "gap")]
    for run, slug in zip(runs, _slugs(runs), strict=True):
        figures += [_Figure(f"{kind}_{slug}.png", kind, run) for kind in ("loss", "score", "lr")]
    return figures


def figure_names(runs):
    """The PNG file names :func:`write_report` writes for ``runs``, in page order.

    ``loss_<run>.png``, ``score_<run>.png`` and ``lr_<run>.png`` for every run
    (``<run>`` is the run name made file-safe by :func:`slugify`, with ``-2``,
    ``-3`` ... appended to repeated names); with two runs or more, also
    ``comparison.png`` and ``gap.png``.

    Parameters
    ----------
    runs : sequence of fitwell.experiments.RunResult

    Returns
    -------
    list of str
    """
    return [figure.filename for figure in _plan(runs)]


# Figure sizes (inches) chosen for the page: at 96 CSS px per inch the loss and
# score plots fill half the content width, the learning rate all of it.
_PAIR_SIZE = (5.4, 3.6)
_WIDE_SIZE = (10.6, 2.9)


def _draw(figure, runs):
    run = figure.run
    if figure.kind == "comparison":
        return plots.ComparisonDisplay.from_runs(runs)
    if figure.kind == "gap":
        return plots.GapBarDisplay.from_runs(runs)
    best = getattr(run, "best_epoch", None) or None
    if figure.kind == "loss":
        return plots.LossCurveDisplay.from_history(run.history, best_epoch=best, name=run.name,
                                                   ax=plots._styled_axes(_PAIR_SIZE))
    if figure.kind == "score":
        return plots.ScoreCurveDisplay.from_history(run.history, best_epoch=best, name=run.name,
                                                    metric=_metric(run),
                                                    ax=plots._styled_axes(_PAIR_SIZE))
    return plots.LearningRateDisplay.from_history(run.history, name=run.name,
                                                  ax=plots._styled_axes(_WIDE_SIZE))


def _metric(run):
    return getattr(run, "metric", "accuracy") or "accuracy"


def _metric_name(run):
    return "accuracy" if _metric(run) == "accuracy" else _metric(run)


def _caption(figure, runs):
    if figure.kind == "comparison":
        return (f"Loss (top) and {_metric_name(runs[0])} (bottom) per epoch, one column per "
                "run; the axes in a row share their range. Dashed lines mark each run's best "
                "epoch.")
    if figure.kind == "gap":
        return (f"Final train, validation and test {_metric_name(runs[0])} of each run. The "
                "label above each group is the train–test gap in points, coloured by verdict.")
    run = figure.run
    best = getattr(run, "best_epoch", None)
    marked = f" The dashed line marks the best epoch ({best})." if best else ""
    if figure.kind == "loss":
        return f"Training and validation loss of {run.name} per epoch.{marked}"
    if figure.kind == "score":
        return f"Training and validation {_metric_name(run)} of {run.name} per epoch.{marked}"
    return f"Learning rate used at each epoch of {run.name}."


def _score(value, metric):
    if value is None or not math.isfinite(value):
        return "—"
    return f"{100 * value:.1f}%" if metric == "accuracy" else f"{value:.3f}"


def _number(value, fmt):
    return "—" if value is None or not math.isfinite(value) else format(value, fmt)


def _verdict_class(kind):
    return "verdict-" + slugify(kind or "unknown", fallback="unknown")


_CSS = """
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


def _e(value):
    return html.escape(str(value), quote=True)


def _runs_table(runs, slugs):
    head = ("<thead><tr><th>Run</th><th class=\"num\">Train</th><th class=\"num\">Validation"
            "</th><th class=\"num\">Test</th><th class=\"num\">Gap (pts)</th>"
            "<th class=\"num\">Epochs</th><th class=\"num\">Best epoch</th>"
            "<th class=\"num\">Fit time</th><th>Verdict</th></tr></thead>")
    rows = []
    for run, slug in zip(runs, slugs, strict=True):
        metric = _metric(run)
        verdict = getattr(run, "verdict", None)
        kind = getattr(verdict, "kind", None)
        message = getattr(verdict, "message", "") or ""
        badge = (f"<span class=\"badge {_verdict_class(kind)}\">{_e(kind)}</span>"
                 if kind else "—")
        rows.append(
            "<tr class=\"main\">"
            f"<td class=\"name\"><a href=\"#run-{_e(slug)}\">{_e(run.name)}</a></td>"
            f"<td class=\"num\">{_score(run.train_score, metric)}</td>"
            f"<td class=\"num\">{_score(run.val_score, metric)}</td>"
            f"<td class=\"num\">{_score(run.test_score, metric)}</td>"
            f"<td class=\"num strong\">{_number(run.gap, '.1f')}</td>"
            f"<td class=\"num\">{_e(getattr(run, 'epochs_run', '—'))}</td>"
            f"<td class=\"num\">{_e(getattr(run, 'best_epoch', '—'))}</td>"
            f"<td class=\"num\">{_number(getattr(run, 'fit_time', math.nan), '.2f')} s</td>"
            f"<td>{badge}</td></tr>")
        if message:
            rows.append(f"<tr class=\"message\"><td colspan=\"9\">{_e(_reason(message, kind))}"
                        "</td></tr>")
    metric_note = ("Scores are accuracies." if all(_metric(r) == "accuracy" for r in runs)
                   else "Scores are accuracies (%) or R² values.")
    return (f"<div class=\"table-wrap\"><table>{head}<tbody>{''.join(rows)}</tbody></table>"
            f"</div><p class=\"note\">{_e(metric_note)} The gap is train − test, in points."
            "</p>")


def _reason(message, kind):
    """The verdict message without its leading ``"<kind>: "`` (the badge says it)."""
    prefix = f"{kind}: " if kind else ""
    text = message[len(prefix):] if prefix and message.startswith(prefix) else message
    return text[:1].upper() + text[1:]


def _figure_html(figure, runs, image):
    data, width = image
    caption = _caption(figure, runs)
    return (f"<figure style=\"max-width:{width}px\"><img src=\"data:image/png;base64,{data}\" "
            f"width=\"{width}\" alt=\"{_e(caption)}\"><figcaption>{_e(caption)}</figcaption>"
            "</figure>")


def _comparison_html(comparison):
    if comparison is None:
        return ""
    if isinstance(comparison, str):
        return f"<div class=\"comparison-text\"><p>{_e(comparison)}</p></div>"
    items = "".join(f"<li>{_e(item)}</li>" for item in comparison)
    return f"<div class=\"comparison-text\"><ul>{items}</ul></div>"


def _params_html(params):
    if not params:
        return ""
    rows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(_short(v))}</td></tr>"
                   for k, v in sorted(params.items(), key=lambda kv: str(kv[0])))
    return f"<details><summary>Settings</summary><table><tbody>{rows}</tbody></table></details>"


def _short(value, limit=120):
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _run_html(run, slug, figures, runs, images):
    verdict = getattr(run, "verdict", None)
    kind = getattr(verdict, "kind", None)
    message = getattr(verdict, "message", "") or ""
    metric = _metric(run)
    badge = (f"<span class=\"badge {_verdict_class(kind)}\">{_e(kind)}</span>" if kind else "")
    facts = [("test", _score(run.test_score, metric)),
             ("gap", f"{_number(run.gap, '.1f')} pts"),
             ("epochs", _e(getattr(run, "epochs_run", "—"))),
             ("best epoch", _e(getattr(run, "best_epoch", "—"))),
             ("fit time", f"{_number(getattr(run, 'fit_time', math.nan), '.2f')} s")]
    facts_html = "".join(f"<li>{_e(label)} <b>{value}</b></li>" for label, value in facts)
    by_kind = {figure.kind: figure for figure in figures}
    pair = "".join(_figure_html(by_kind[k], runs, images[by_kind[k].filename])
                   for k in ("loss", "score"))
    lr = _figure_html(by_kind["lr"], runs, images[by_kind["lr"].filename])
    verdict_html = (f"<p class=\"verdict-line {_verdict_class(kind)}\"><span>"
                    f"{_e(_reason(message, kind))}</span></p>" if message else "")
    return (f"<section id=\"run-{_e(slug)}\" class=\"card\">"
            f"<div class=\"run-head\"><h2 style=\"margin:0\">{_e(run.name)}</h2>{badge}</div>"
            f"{verdict_html}<ul class=\"facts\">{facts_html}</ul>"
            f"<div class=\"grid\">{pair}</div>{lr}"
            f"{_params_html(getattr(run, 'params', None))}</section>")


def write_report(out_dir, runs, title, *, intro=None, comparison=None, dpi=150):
    """Write the figures of ``runs`` as PNGs and a self-contained ``report.html``.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Folder to write into (created if missing); existing files of the same
        names are replaced.
    runs : sequence of fitwell.experiments.RunResult
        One run or more, e.g. a baseline and an improved recipe.
    title : str
        The page title.
    intro : str, optional
        A paragraph under the title.
    comparison : str or sequence of str, optional
        A paragraph (or a list of points) shown above the comparison figures,
        e.g. what changed between the runs and what it did to the gap.
    dpi : int, default=150
        Resolution of the PNGs.

    Returns
    -------
    pathlib.Path
        The path of ``report.html``. The PNGs lie next to it, named as
        :func:`figure_names` says.
    """
    runs = list(runs)
    if not runs:
        raise ValueError("write_report: runs must hold at least one RunResult, got none")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = _plan(runs)
    images = {}
    with plots._detached_figures():
        for figure in figures:
            display = _draw(figure, runs)
            path = plots.save_figure(display, out_dir / figure.filename, dpi=dpi)
            plots._release(display.figure_)
            width = round(display.figure_.get_figwidth() * 96)  # CSS pixels at print size
            images[figure.filename] = (base64.b64encode(path.read_bytes()).decode("ascii"),
                                       width)

    slugs = _slugs(runs)
    parts = ["<!DOCTYPE html>", "<html lang=\"en\">", "<head>", "<meta charset=\"utf-8\">",
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
             f"<meta name=\"generator\" content=\"fitwell {_e(__version__)}\">",
             f"<title>{_e(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
             "<main>", "<header><p class=\"eyebrow\">fitwell report</p>",
             f"<h1>{_e(title)}</h1>"]
    if intro:
        parts.append(f"<p class=\"intro\">{_e(intro)}</p>")
    parts.append("</header>")
    parts.append(f"<section><h2>Runs</h2><div class=\"card\">{_runs_table(runs, slugs)}"
                 "</div></section>")
    shared = [f for f in figures if f.run is None]
    if shared:
        body = "".join(_figure_html(f, runs, images[f.filename]) for f in shared)
        parts.append(f"<section><h2>Comparison</h2><div class=\"card\">"
                     f"{_comparison_html(comparison)}{body}</div></section>")
    elif comparison is not None:
        parts.append(f"<section><h2>Comparison</h2><div class=\"card\">"
                     f"{_comparison_html(comparison)}</div></section>")
    for run, slug in zip(runs, slugs, strict=True):
        own = [f for f in figures if f.run is run]
        parts.append(_run_html(run, slug, own, runs, images))
    parts += [f"<footer>Generated by fitwell {_e(__version__)}. Images are embedded; this "
              "page needs no network.</footer>", "</main>", "</body>", "</html>"]
    report = out_dir / REPORT_FILE
    report.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return report
