"""A self-contained HTML report of one or more training runs.

:func:`write_report` saves every figure as a PNG next to ``report.html`` and
embeds the same images in the page as base64 ``data:`` URIs, with the styles
inline: the page has no external resource and no JavaScript, so it opens offline,
from an e-mail attachment or a CI artefact alike. Every piece of text is escaped.

A run is read by attribute; any object with these will do (such as
:class:`fitwell.experiments.RunResult`):

- ``name`` (str), ``history`` (a :class:`~fitwell.training.History`),
- ``train_score``, ``val_score``, ``test_score`` (fractions), ``gap`` (points),
- optionally ``epochs_run``, ``best_epoch``, ``fit_time`` (seconds), ``metric``
  (``"accuracy"`` or a score name such as ``"R²"``), ``verdict`` (read for its ``kind``
  and ``message``) and ``params`` (a dict, shown under "Settings").
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .._version import __version__
from ..errors import ParameterError
from ._css import RUN_REPORT_CSS
from ._html import (
    Cell,
    Markup,
    Row,
    bullets,
    document,
    element,
    escape,
    png_figure,
    table,
    write_page,
)
from ._style import detached_figures, new_styled_axes, release, save_figure
from .comparison import ComparisonDisplay, GapBarDisplay
from .curves import LearningRateDisplay, LossCurveDisplay, ScoreCurveDisplay

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
    runs : sequence of run results
        Objects with a ``name`` (see the module description).

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
        return ComparisonDisplay.from_runs(runs)
    if figure.kind == "gap":
        return GapBarDisplay.from_runs(runs)
    best = getattr(run, "best_epoch", None) or None
    if figure.kind == "loss":
        return LossCurveDisplay.from_history(run.history, best_epoch=best, name=run.name,
                                             ax=new_styled_axes(_PAIR_SIZE))
    if figure.kind == "score":
        return ScoreCurveDisplay.from_history(run.history, best_epoch=best, name=run.name,
                                              metric=_metric(run), ax=new_styled_axes(_PAIR_SIZE))
    return LearningRateDisplay.from_history(run.history, name=run.name,
                                            ax=new_styled_axes(_WIDE_SIZE))


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


def _badge(kind):
    return element("span", kind, class_=f"badge {_verdict_class(kind)}")


def _verdict(run):
    """``(kind, message)`` of the run's verdict; ``(None, "")`` when it has none."""
    verdict = getattr(run, "verdict", None)
    return getattr(verdict, "kind", None), getattr(verdict, "message", "") or ""


def _reason(message, kind):
    """The verdict message without its leading ``"<kind>: "`` (the badge says it)."""
    prefix = f"{kind}: " if kind else ""
    text = message[len(prefix):] if prefix and message.startswith(prefix) else message
    return text[:1].upper() + text[1:]


_NUMBER_HEADINGS = ("Train", "Validation", "Test", "Gap (pts)", "Epochs", "Best epoch",
                    "Fit time")


def _runs_table(runs, slugs):
    header = ["Run", *(Cell(text, "num") for text in _NUMBER_HEADINGS), "Verdict"]
    rows = []
    for run, slug in zip(runs, slugs, strict=True):
        metric = _metric(run)
        kind, message = _verdict(run)
        rows.append(Row([
            Cell(element("a", run.name, href=f"#run-{slug}"), "name"),
            Cell(_score(run.train_score, metric), "num"),
            Cell(_score(run.val_score, metric), "num"),
            Cell(_score(run.test_score, metric), "num"),
            Cell(_number(run.gap, ".1f"), "num strong"),
            Cell(getattr(run, "epochs_run", "—"), "num"),
            Cell(getattr(run, "best_epoch", "—"), "num"),
            Cell(f"{_number(getattr(run, 'fit_time', math.nan), '.2f')} s", "num"),
            _badge(kind) if kind else "—"], "main"))
        if message:
            rows.append(Row([Cell(_reason(message, kind), colspan=9)], "message"))
    metric_note = ("Scores are accuracies." if all(_metric(r) == "accuracy" for r in runs)
                   else "Scores are accuracies (%) or R² values.")
    return (element("div", table(header, rows), class_="table-wrap")
            + element("p", f"{metric_note} The gap is train − test, in points.",
                      class_="note"))


def _figure_html(figure, runs, image):
    png, width = image
    return png_figure(png, _caption(figure, runs), width=width)


def _comparison_html(comparison):
    if comparison is None:
        return ""
    content = (element("p", comparison) if isinstance(comparison, str)
               else bullets(list(comparison)))
    return element("div", content, class_="comparison-text")


def _params_html(params):
    if not params:
        return ""
    rows = [[key, _short(value)]
            for key, value in sorted(params.items(), key=lambda kv: str(kv[0]))]
    return element("details", Markup(element("summary", "Settings") + table((), rows)))


def _short(value, limit=120):
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _run_html(run, slug, figures, runs, images):
    kind, message = _verdict(run)
    metric = _metric(run)
    facts = [("test", _score(run.test_score, metric)),
             ("gap", f"{_number(run.gap, '.1f')} pts"),
             ("epochs", getattr(run, "epochs_run", "—")),
             ("best epoch", getattr(run, "best_epoch", "—")),
             ("fit time", f"{_number(getattr(run, 'fit_time', math.nan), '.2f')} s")]
    facts_html = bullets([Markup(f"{escape(label)} {element('b', value)}")
                          for label, value in facts], class_="facts")
    by_kind = {figure.kind: figure for figure in figures}
    pair = "".join(_figure_html(by_kind[k], runs, images[by_kind[k].filename])
                   for k in ("loss", "score"))
    lr = _figure_html(by_kind["lr"], runs, images[by_kind["lr"].filename])
    head = element("h2", run.name, style="margin:0") + (_badge(kind) if kind else "")
    verdict_html = (element("p", element("span", _reason(message, kind)),
                            class_=f"verdict-line {_verdict_class(kind)}") if message else "")
    content = (element("div", Markup(head), class_="run-head") + verdict_html + facts_html
               + element("div", Markup(pair), class_="grid") + lr
               + _params_html(getattr(run, "params", None)))
    return element("section", Markup(content), id=f"run-{slug}", class_="card")


def _section(heading, content):
    return element("section", Markup(element("h2", heading)
                                     + element("div", Markup(content), class_="card")))


def write_report(out_dir, runs, title, *, intro=None, comparison=None, dpi=150):
    """Write the figures of ``runs`` as PNGs and a self-contained ``report.html``.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Folder to write into (created if missing); existing files of the same
        names are replaced.
    runs : sequence of run results
        One run or more, e.g. a baseline and an improved recipe; read by attribute
        (see the module description).
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
        raise ParameterError("write_report: runs must hold at least one run result, got none; "
                             "pass a list of runs")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = _plan(runs)
    images = {}
    with detached_figures():
        for figure in figures:
            display = _draw(figure, runs)
            path = save_figure(display, out_dir / figure.filename, dpi=dpi)
            release(display.figure_)
            width = round(display.figure_.get_figwidth() * 96)  # CSS pixels at print size
            images[figure.filename] = (path.read_bytes(), width)

    slugs = _slugs(runs)
    body = ["<main>", '<header><p class="eyebrow">fitwell report</p>', element("h1", title)]
    if intro:
        body.append(element("p", intro, class_="intro"))
    body.append("</header>")
    body.append(_section("Runs", _runs_table(runs, slugs)))
    shared = [f for f in figures if f.run is None]
    if shared or comparison is not None:
        body.append(_section("Comparison", _comparison_html(comparison) + "".join(
            _figure_html(f, runs, images[f.filename]) for f in shared)))
    for run, slug in zip(runs, slugs, strict=True):
        own = [f for f in figures if f.run is run]
        body.append(_run_html(run, slug, own, runs, images))
    body += [element("footer", f"Generated by fitwell {__version__}. Images are embedded; "
                     "this page needs no network."), "</main>"]
    head = ['<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta name="generator" content="fitwell {escape(__version__)}">']
    return write_page(out_dir / REPORT_FILE, document(title, body, css=RUN_REPORT_CSS, head=head))
