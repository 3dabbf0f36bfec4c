"""Self-contained HTML reports of sweeps and ablations: tables, verdicts and figures
embedded as base64 PNGs — one file, no external resources, readable offline.

The report draws what it is handed: a result object read by attribute (each writer lists
the attributes it reads) whose rows are plain dicts of scores in points.
"""

from __future__ import annotations

import datetime
import math
import os

from ._css import EXPERIMENT_REPORT_CSS
from ._html import Cell, Row, bullets, document, element, png_figure, table, write_page
from ._style import detached_figures, figure_png, release
from .experiment_plots import (
    AblationContributionsDisplay,
    BestWorstCurvesDisplay,
    ParameterEffectsDisplay,
    SweepHeatmapDisplay,
)

__all__ = ["write_sweep_report", "write_ablation_report"]

_DPI = 110


def _pm(mean, std):
    if mean is None or math.isnan(mean):
        return "—"
    return f"{mean:.1f}" if math.isnan(std) else f"{mean:.1f} ± {std:.1f}"


def _interval(low, high):
    return "—" if math.isnan(low) else f"[{low:.1f}, {high:.1f}]"


def _signed(value):
    return "—" if math.isnan(value) else f"{value:+.1f}"


def _meta(result, kind):
    e = result.experiment
    return (f"{kind} of recipe {e.recipe_name!r} on {e.data_name}; {len(e.seeds)} seeds "
            f"({', '.join(map(str, e.seeds))}); study {result.study_name!r} in "
            f"{result.storage_label}; written "
            f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}")


def _table(header, rows, left=(0,), highlight=()):
    """A compact table: the columns in ``left`` left-aligned, the rows whose index is in
    ``highlight`` shaded."""
    def cells(values):
        return [Cell(value, "l" if i in left else None) for i, value in enumerate(values)]

    return table(cells(header), [Row(cells(row), "best" if r in highlight else None)
                                 for r, row in enumerate(rows)])


def _figure(display, caption):
    png = figure_png(display, dpi=_DPI, house_style=False)
    release(display.figure_)
    return png_figure(png, caption)


def _page(title, parts):
    return document(title, [element("h1", title), *parts], css=EXPERIMENT_REPORT_CSS)


def _is_range(value):
    """A search range (``low``, ``high``, ``log``), as opposed to a list of values."""
    return all(hasattr(value, name) for name in ("low", "high", "log"))


def _sweep_figures(result, keys):
    done_rows = [r for r in result.rows if r["seeds"]]
    if not done_rows:
        return []
    parts = []
    grid_keys = [k for k in keys if result.experiment.space is None]
    if len(grid_keys) == 2:
        parts += [element("h2", "Heat-map"), _figure(
            SweepHeatmapDisplay.from_rows(done_rows, grid_keys[1], grid_keys[0]),
            "mean validation accuracy of every grid cell")]
    if keys:
        space = result.experiment.space or {}
        ranges = [k for k, v in space.items() if _is_range(v)]
        log_keys = [k for k in ranges if space[k].log]
        parts += [element("h2", "Validation score per parameter"), _figure(
            ParameterEffectsDisplay.from_rows(done_rows, keys, log_keys=log_keys,
                                              continuous_keys=ranges),
            "each point is one configuration (mean and 95 % interval over seeds)")]
    best, worst = result.best, result.worst
    if best is not None and worst is not None:
        parts += [element("h2", "Learning curves of the best and worst configurations"),
                  _figure(BestWorstCurvesDisplay.from_histories(
                      best["label"], result.histories(best), worst["label"],
                      result.histories(worst)),
                      "training (blue) and validation (orange) accuracy per epoch")]
    return parts


def write_sweep_report(result, out) -> str:
    """Write ``report.html`` for a sweep's result into the folder ``out``.

    Parameters
    ----------
    result : sweep result
        Read by attribute, such as :class:`fitwell.experiments.sweep.SweepResult`:
        ``experiment`` (its ``recipe_name``, ``data_name``, ``seeds``, ``units()`` and
        ``space``: ``None`` for a grid, else key -> list of values or a range with
        ``low``, ``high`` and ``log``), ``study_name``, ``storage_label`` (the storage
        with its password masked), ``n_complete``, ``n_failed``, ``n_interrupted``,
        ``rows`` (one dict per configuration, best validation first: ``rank``,
        ``label``, ``overrides``, ``seeds``, ``failed`` and ``<m>_mean``, ``<m>_std``,
        ``<m>_ci_low``, ``<m>_ci_high`` for ``m`` in train, val, test, gap, in points),
        ``records`` (one dict per trial: ``trial``, ``unit``, ``status``, ``error``),
        ``params_keys`` (the swept keys), ``best`` and ``worst`` (rows or ``None``) and
        ``histories(row)`` (one dict of ``train_score``/``val_score`` lists per seed).
    out : str or os.PathLike
        An existing folder.

    Returns
    -------
    str
        The path of the page.
    """
    title = (f"fitwell sweep: {result.experiment.recipe_name} on "
             f"{result.experiment.data_name}")
    parts = [element("p", _meta(result, "sweep"), class_="meta")]
    done, total = result.n_complete, len(result.experiment.units())
    summary = (f"{done} of {total} trials complete, {result.n_failed} failed"
               + (f", {result.n_interrupted} interrupted attempts rerun"
                  if result.n_interrupted else "") + ". ")
    if result.best is not None:
        summary += (f"Chosen by mean validation score (never by test): {result.best['label']} "
                    "— written to best_recipe.toml.")
    parts.append(element("p", summary))
    header = ["#", "configuration", "seeds", "failed", "train", "validation", "val 95 % CI",
              "test", "test 95 % CI", "gap", "gap 95 % CI"]
    rows = [[row["rank"], row["label"], row["seeds"], row["failed"],
             _pm(row["train_mean"], row["train_std"]), _pm(row["val_mean"], row["val_std"]),
             _interval(row["val_ci_low"], row["val_ci_high"]),
             _pm(row["test_mean"], row["test_std"]),
             _interval(row["test_ci_low"], row["test_ci_high"]),
             _pm(row["gap_mean"], row["gap_std"]),
             _interval(row["gap_ci_low"], row["gap_ci_high"])] for row in result.rows]
    parts += [element("h2", "Configurations, best validation first"),
              element("p", "Accuracy in %, mean ± standard deviation over seeds, with the 95 % "
                      "t interval of the mean; gap = train − test in points.", class_="meta"),
              _table(header, rows, left=(1,), highlight=(0,))]
    failed = [r for r in result.records if r["status"] == "error"]
    if failed:
        parts += [element("h2", "Failed trials"),
                  _table(["trial", "unit", "error"],
                         [[r["trial"], r["unit"], r["error"]] for r in failed], left=(1, 2))]
    with detached_figures():
        parts += _sweep_figures(result, result.params_keys)
    path = os.path.join(out, "report.html")
    write_page(path, _page(title, parts))
    return path


def write_ablation_report(result, out) -> str:
    """Write ``report.html`` for an ablation's result into the folder ``out``.

    Parameters
    ----------
    result : ablation result
        Read by attribute, such as :class:`fitwell.experiments.ablation.AblationResult`:
        ``experiment`` (its ``recipe_name``, ``data_name`` and ``seeds``), ``study_name``,
        ``storage_label`` (the storage with its password masked), ``rows`` (one dict per
        variant: ``config``, ``variant``, ``removed``, ``seeds``, ``failed``,
        ``<m>_mean`` and ``<m>_std`` for ``m`` in train, val, test, gap, and for the
        removed techniques ``technique``, ``verdict`` and ``delta_<m>_mean``,
        ``delta_<m>_ci_low``, ``delta_<m>_ci_high`` for ``m`` in val, test, gap, in
        points), ``contributions`` (the rows other than ``"full"``) and ``verdicts()``
        (one line per contribution).
    out : str or os.PathLike
        An existing folder.

    Returns
    -------
    str
        The path of the page.
    """
    title = (f"fitwell ablation: {result.experiment.recipe_name} on "
             f"{result.experiment.data_name}")
    contributions = result.contributions
    parts = [
        element("p", _meta(result, "ablation"), class_="meta"),
        element("p", "The full recipe, the recipe with each technique it uses removed one at "
                "a time, and the plain recipe with all of them removed, each with the same "
                "seeds. A contribution is full − without it, paired by seed; the verdict "
                "reads the validation accuracy's 95 % interval. Variants with early "
                "stopping pick their epoch on the validation set, so their validation "
                "score is slightly optimistic: the test column is the independent check."),
        element("h2", "Verdicts"),
        bullets(result.verdicts(), item_classes=[
            {"helps": "helps", "hurts": "hurts"}.get(row["verdict"], "none")
            for row in contributions]),
        element("h2", "Variants"),
        _table(["variant", "removed", "seeds", "failed", "train", "validation", "test", "gap"],
               [[r["variant"], r["removed"] or "—", r["seeds"], r["failed"],
                 _pm(r["train_mean"], r["train_std"]), _pm(r["val_mean"], r["val_std"]),
                 _pm(r["test_mean"], r["test_std"]), _pm(r["gap_mean"], r["gap_std"])]
                for r in result.rows], left=(0, 1)),
        element("h2", "Contributions (points, mean and 95 % interval)"),
        _table(["technique", "Δ validation", "Δ validation CI", "Δ test", "Δ test CI", "Δ gap",
                "Δ gap CI", "verdict"],
               [[r["technique"],
                 *(v for m in ("val", "test", "gap") for v in (
                     _signed(r[f"delta_{m}_mean"]),
                     _interval(r[f"delta_{m}_ci_low"], r[f"delta_{m}_ci_high"]))),
                 r["verdict"]] for r in contributions], left=(0, 7))]
    if any(not math.isnan(r["delta_val_mean"]) for r in contributions):
        with detached_figures():
            parts.append(_figure(AblationContributionsDisplay.from_rows(result.rows),
                                 "bars: mean paired contribution; whiskers: 95 % interval"))
    path = os.path.join(out, "report.html")
    write_page(path, _page(title, parts))
    return path
