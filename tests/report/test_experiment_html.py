"""The sweep and ablation reports (fitwell.report.experiment_html), written from stand-in
results with exactly the attributes the report reads: tables, verdicts, figures embedded,
text escaped — and no need of fitwell.experiments at all."""

from __future__ import annotations

import base64
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

matplotlib = pytest.importorskip("matplotlib")

from report_data import ablation, grid_sweep, search_sweep  # noqa: E402

from fitwell.report import write_ablation_report, write_sweep_report  # noqa: E402


def _images(page):
    return [base64.b64decode(data) for data in re.findall(r"base64,([A-Za-z0-9+/=]+)", page)]


def _self_contained(page):
    return ("http://" not in page and "https://" not in page and "<script" not in page
            and "<link" not in page)


def test_sweep_report_of_a_grid(tmp_path):
    path = write_sweep_report(grid_sweep(), str(tmp_path))
    assert path == os.path.join(str(tmp_path), "report.html")
    page = Path(path).read_text(encoding="utf-8")
    images = _images(page)
    assert len(images) == 3 and all(png[:4] == b"\x89PNG" for png in images)
    for heading in ("Heat-map", "Validation score per parameter",
                    "Learning curves of the best and worst configurations", "Failed trials"):
        assert f"<h2>{heading}</h2>" in page, heading
    assert "<title>fitwell sweep: base &lt;line&gt; on digits</title>" in page
    assert "study &#x27;sweep-study&#x27; in postgresql://me:***@db.example/x" in page
    assert "2 seeds (0, 1)" in page
    assert "7 of 8 trials complete, 1 failed, 2 interrupted attempts rerun." in page
    assert "dropout=0.2 alpha=0.01 — written to best_recipe.toml" in page
    best = re.search(r'<tr class="best">(.*?)</tr>', page).group(1)
    assert '<td class="l">dropout=0.2 alpha=0.01</td>' in best
    assert "<td>100.0 ± 1.0</td><td>97.0 ± 1.0</td><td>[95.0, 99.0]</td>" in best
    assert "[—]" not in page and "<td>93.0</td><td>—</td>" in page  # one seed: no interval
    assert "ParameterError: &lt;boom&gt;" in page
    assert _self_contained(page)


def test_sweep_report_of_a_search_has_no_heat_map(tmp_path):
    page = Path(write_sweep_report(search_sweep(), str(tmp_path))).read_text(encoding="utf-8")
    assert len(_images(page)) == 2 and "Heat-map" not in page
    assert "Failed trials" not in page and "interrupted" not in page


def test_sweep_report_with_nothing_complete_has_no_figures(tmp_path):
    result = grid_sweep()
    result.rows = [{**row, "seeds": 0} for row in result.rows]
    page = Path(write_sweep_report(result, str(tmp_path))).read_text(encoding="utf-8")
    assert _images(page) == [] and "Chosen by" not in page


def test_ablation_report(tmp_path):
    path = write_ablation_report(ablation(), str(tmp_path))
    page = Path(path).read_text(encoding="utf-8")
    assert len(_images(page)) == 1
    verdicts = re.findall(r'<li class="(\w+)">([^<]*)</li>', page)
    assert [kind for kind, _ in verdicts] == ["helps", "hurts", "none"]
    assert verdicts[0][1] == "dropout &lt;p&gt;: helps: +1.5 points"
    assert ("<td>+1.5</td><td>[1.0, 2.0]</td><td>+1.0</td><td>[0.5, 1.5]</td><td>-0.8</td>"
            "<td>[-1.3, -0.3]</td>") in page
    assert '<td class="l">full</td><td class="l">—</td>' in page
    assert "fitwell ablation: base &lt;line&gt; on digits" in page and _self_contained(page)


def test_ablation_report_without_contributions_has_no_figure(tmp_path):
    nan = (math.nan,) * 3
    page = Path(write_ablation_report(ablation(deltas=(nan, nan, nan)), str(tmp_path))
                ).read_text(encoding="utf-8")
    assert _images(page) == [] and page.count("<td>—</td><td>—</td>") == 9


def test_reports_need_no_experiments_and_leave_no_pyplot_figure_open(tmp_path):
    """With ``fitwell.experiments`` unimportable and pyplot imported, all three reports
    are written and no figure stays open."""
    code = f"""
import sys
sys.modules["fitwell.experiments"] = None  # any import of it now fails
sys.path.insert(0, {str(Path(__file__).parent)!r})
import matplotlib.pyplot as plt
from report_data import ablation, grid_sweep, make_run
from fitwell.report import write_ablation_report, write_report, write_sweep_report
write_sweep_report(grid_sweep(), {str(tmp_path)!r})
write_ablation_report(ablation(), {str(tmp_path)!r})
write_report({str(tmp_path / "runs")!r}, [make_run("a"), make_run("b")], "t")
assert plt.get_fignums() == [], plt.get_fignums()
assert not any(name.startswith("fitwell.experiments") and sys.modules[name] is not None
               for name in sys.modules)
"""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, env=env)
    assert (tmp_path / "report.html").exists() and (tmp_path / "runs" / "report.html").exists()
