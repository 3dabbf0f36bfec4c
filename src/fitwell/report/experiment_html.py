"""Self-contained HTML reports of sweeps and ablations: tables, verdicts and figures
embedded as base64 PNGs — one file, no external resources, readable offline."""

from __future__ import annotations

import base64
import datetime
import html
import math
import os

__all__ = ["HtmlDocument", "write_sweep_report", "write_ablation_report"]

_CSS = """
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


def _e(value) -> str:
    return html.escape(str(value), quote=True)


class HtmlDocument:
    """A tiny HTML builder: headings, paragraphs, tables and figures, in order."""

    def __init__(self, title):
        self.title = title
        self.parts = []

    def heading(self, text, level=2):
        self.parts.append(f"<h{level}>{_e(text)}</h{level}>")
        return self

    def paragraph(self, text, css_class=None):
        attr = f' class="{_e(css_class)}"' if css_class else ""
        self.parts.append(f"<p{attr}>{_e(text)}</p>")
        return self

    def items(self, entries):
        """A list of ``(text, css_class)`` pairs."""
        lis = "".join(f'<li class="{_e(c or "")}">{_e(t)}</li>' for t, c in entries)
        self.parts.append(f"<ul>{lis}</ul>")
        return self

    def preformatted(self, text):
        self.parts.append(f"<pre>{_e(text)}</pre>")
        return self

    def table(self, header, rows, left=(0,), highlight=()):
        """``rows`` of cell texts; columns in ``left`` are left-aligned, rows whose
        index is in ``highlight`` are shaded."""
        def cell(tag, i, value):
            cls = ' class="l"' if i in left else ""
            return f"<{tag}{cls}>{_e(value)}</{tag}>"

        head = "".join(cell("th", i, h) for i, h in enumerate(header))
        shaded = ' class="best"'
        body = "".join(
            f"<tr{shaded if r in highlight else ''}>"
            + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>"
            for r, row in enumerate(rows))
        self.parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        return self

    def figure(self, figure, caption="", dpi=110):
        """Embed a matplotlib figure as a base64 PNG."""
        from .experiment_plots import figure_png

        data = base64.b64encode(figure_png(figure, dpi=dpi)).decode("ascii")
        self.parts.append(f'<figure><img alt="{_e(caption)}" src="data:image/png;base64,{data}">'
                          f"<figcaption>{_e(caption)}</figcaption></figure>")
        return self

    def render(self) -> str:
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{_e(self.title)}</title><style>{_CSS}</style></head><body>"
                f"<h1>{_e(self.title)}</h1>" + "\n".join(self.parts) + "</body></html>\n")

    def write(self, path) -> str:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(self.render())
        return path


def _pm(mean, std):
    if mean is None or math.isnan(mean):
        return "—"
    return f"{mean:.1f}" if math.isnan(std) else f"{mean:.1f} ± {std:.1f}"


def _interval(low, high):
    return "—" if math.isnan(low) else f"[{low:.1f}, {high:.1f}]"


def _meta(result, kind):
    e = result.experiment
    from ..experiments.storage import safe_url

    return (f"{kind} of recipe {e.recipe_name!r} on {e.data_name}; {len(e.seeds)} seeds "
            f"({', '.join(map(str, e.seeds))}); study {result.study_name!r} in "
            f"{safe_url(result.storage_url)}; written "
            f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}")


def write_sweep_report(result, out) -> str:
    """Write ``report.html`` for a :class:`~fitwell.experiments.sweep.SweepResult`."""
    from . import experiment_plots as plots

    doc = HtmlDocument(f"fitwell sweep: {result.experiment.recipe_name} on "
                       f"{result.experiment.data_name}")
    doc.paragraph(_meta(result, "sweep"), "meta")
    done, total = result.n_complete, len(result.experiment.units())
    summary = (f"{done} of {total} trials complete, {result.n_failed} failed"
               + (f", {result.n_interrupted} interrupted attempts rerun"
                  if result.n_interrupted else "") + ". ")
    if result.best is not None:
        summary += (f"Chosen by mean validation score (never by test): {result.best['label']} "
                    "— written to best_recipe.toml.")
    doc.paragraph(summary)
    keys = result.params_keys
    header = ["#", "configuration", "seeds", "failed", "train", "validation", "val 95 % CI",
              "test", "test 95 % CI", "gap", "gap 95 % CI"]
    rows = [[row["rank"], row["label"], row["seeds"], row["failed"],
             _pm(row["train_mean"], row["train_std"]), _pm(row["val_mean"], row["val_std"]),
             _interval(row["val_ci_low"], row["val_ci_high"]),
             _pm(row["test_mean"], row["test_std"]),
             _interval(row["test_ci_low"], row["test_ci_high"]),
             _pm(row["gap_mean"], row["gap_std"]),
             _interval(row["gap_ci_low"], row["gap_ci_high"])] for row in result.rows]
    doc.heading("Configurations, best validation first")
    doc.paragraph("Accuracy in %, mean ± standard deviation over seeds, with the 95 % t "
                  "interval of the mean; gap = train − test in points.", "meta")
    doc.table(header, rows, left=(1,), highlight=(0,))
    failed = [r for r in result.records if r["status"] == "error"]
    if failed:
        doc.heading("Failed trials")
        doc.table(["trial", "unit", "error"], [[r["trial"], r["unit"], r["error"]]
                                               for r in failed], left=(1, 2))
    done_rows = [r for r in result.rows if r["seeds"]]
    if done_rows:
        grid_keys = [k for k in keys if result.experiment.space is None]
        if len(grid_keys) == 2:
            doc.heading("Heat-map")
            doc.figure(plots.sweep_heatmap(done_rows, grid_keys[1], grid_keys[0]),
                       "mean validation accuracy of every grid cell")
        if keys:
            from ..experiments.space import Range

            space = result.experiment.space or {}
            log_keys = [k for k, v in space.items() if isinstance(v, Range) and v.log]
            ranges = [k for k, v in space.items() if isinstance(v, Range)]
            doc.heading("Validation score per parameter")
            doc.figure(plots.parameter_effects(done_rows, keys, log_keys=log_keys,
                                               continuous_keys=ranges),
                       "each point is one configuration (mean and 95 % interval over seeds)")
        best, worst = result.best, result.worst
        if best is not None and worst is not None:
            doc.heading("Learning curves of the best and worst configurations")
            doc.figure(plots.best_worst_curves(best["label"], result.histories(best),
                                               worst["label"], result.histories(worst)),
                       "training (blue) and validation (orange) accuracy per epoch")
    return doc.write(os.path.join(out, "report.html"))


def write_ablation_report(result, out) -> str:
    """Write ``report.html`` for an :class:`~fitwell.experiments.ablation.AblationResult`."""
    from . import experiment_plots as plots

    doc = HtmlDocument(f"fitwell ablation: {result.experiment.recipe_name} on "
                       f"{result.experiment.data_name}")
    doc.paragraph(_meta(result, "ablation"), "meta")
    doc.paragraph("The full recipe, the recipe with each technique it uses removed one at a "
                  "time, and the plain recipe with all of them removed, each with the same "
                  "seeds. A contribution is full − without it, paired by seed; the verdict "
                  "reads the validation accuracy's 95 % interval. Variants with early "
                  "stopping pick their epoch on the validation set, so their validation "
                  "score is slightly optimistic: the test column is the independent check.")
    doc.heading("Verdicts")
    doc.items([(line, {"helps": "helps", "hurts": "hurts"}.get(row["verdict"], "none"))
               for line, row in zip(result.verdicts(), result.contributions, strict=True)])
    doc.heading("Variants")
    doc.table(["variant", "removed", "seeds", "failed", "train", "validation", "test", "gap"],
              [[r["variant"], r["removed"] or "—", r["seeds"], r["failed"],
                _pm(r["train_mean"], r["train_std"]), _pm(r["val_mean"], r["val_std"]),
                _pm(r["test_mean"], r["test_std"]), _pm(r["gap_mean"], r["gap_std"])]
               for r in result.rows], left=(0, 1))
    doc.heading("Contributions (points, mean and 95 % interval)")
    doc.table(["technique", "Δ validation", "Δ validation CI", "Δ test", "Δ test CI", "Δ gap",
               "Δ gap CI", "verdict"],
              [[r["technique"],
                *(v for m in ("val", "test", "gap") for v in (
                    "—" if math.isnan(r[f"delta_{m}_mean"]) else f"{r[f'delta_{m}_mean']:+.1f}",
                    _interval(r[f"delta_{m}_ci_low"], r[f"delta_{m}_ci_high"]))),
                r["verdict"]] for r in result.contributions], left=(0, 7))
    if any(not math.isnan(r["delta_val_mean"]) for r in result.contributions):
        doc.figure(plots.ablation_contributions(result.rows),
                   "bars: mean paired contribution; whiskers: 95 % interval")
    return doc.write(os.path.join(out, "report.html"))
