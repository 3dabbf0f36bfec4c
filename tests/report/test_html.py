"""The run report (fitwell.report.html): PNGs and the self-contained HTML page, from
stand-in run results; the page is also opened in headless Chromium, when it is installed,
to check that every embedded image decodes and that the page renders to something that is
not blank.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess

import pytest

matplotlib = pytest.importorskip("matplotlib")

from report_data import make_run  # noqa: E402

from fitwell.report import REPORT_FILE, figure_names, slugify, write_report  # noqa: E402


def test_slugs_and_figure_names():
    assert slugify("Improved (v2) <AdamW>") == "improved-v2-adamw"
    assert slugify("Réseau") == "reseau" and slugify("***") == "run"
    one = [make_run("Baseline")]
    assert figure_names(one) == ["loss_baseline.png", "score_baseline.png", "lr_baseline.png"]
    two = [make_run("Baseline"), make_run("baseline")]
    names = figure_names(two)
    assert names[:2] == ["comparison.png", "gap.png"]
    assert "loss_baseline.png" in names and "loss_baseline-2.png" in names
    assert len(set(names)) == len(names) == 8


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    runs = [make_run("Baseline <b>", best=6),
            make_run("Improved & co", best=15, train=0.97, test=0.96, kind="good fit")]
    path = write_report(out, runs, "Digits <script>alert(1)</script>",
                        intro="Does dropout close the gap? <i>yes</i>",
                        comparison=["Dropout 0.3 was added.", "The gap fell <a lot>."],
                        dpi=80)
    return path, runs


def test_write_report_writes_every_figure_and_embeds_it(report):
    path, runs = report
    assert path.name == REPORT_FILE and path.exists()
    page = path.read_text(encoding="utf-8")
    for name in figure_names(runs):
        png = path.parent / name
        assert png.read_bytes()[:4] == b"\x89PNG", name
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        assert f"data:image/png;base64,{data}" in page, f"{name} is not embedded"
    assert page.count("<img ") == len(figure_names(runs)) == 8
    assert page.count("<figcaption>") == 8


def test_report_text_is_escaped_and_complete(report):
    page = report[0].read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Baseline &lt;b&gt;" in page and "Improved &amp; co" in page
    assert "&lt;i&gt;yes&lt;/i&gt;" in page and "The gap fell &lt;a lot&gt;." in page
    assert "try &lt;dropout&gt; &amp; friends" in page
    for text in ("99.0%", "95.0%", "94.0%", "5.0", "1.25 s", "verdict-overfitting",
                 "verdict-good-fit", "<table>", "Best epoch"):
        assert text in page, text


def test_report_has_no_external_references(report):
    page = report[0].read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert "url(" not in page and "@import" not in page
    sources = re.findall(r"""\bsrc\s*=\s*["']?([^"'\s>]*)""", page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    hrefs = re.findall(r"""\bhref\s*=\s*["']?([^"'\s>]*)""", page)
    assert all(h.startswith("#") for h in hrefs)


def test_write_report_with_one_run_has_no_comparison(tmp_path):
    path = write_report(tmp_path, [make_run("solo", metric="R²")], "One")
    page = path.read_text(encoding="utf-8")
    assert not (tmp_path / "comparison.png").exists()
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(
        figure_names([make_run("solo")]))
    assert "Comparison" not in page and "0.990" in page


# ---------------------------------------------------------------------- Chromium


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("Chromium is not installed: apt-get install chromium "
                "(the .ci/run script installs it)")


def _run_chromium(binary, profile, *args, timeout=90):
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
               "--hide-scrollbars", f"--user-data-dir={profile}",
               "--virtual-time-budget=5000", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          check=False)


_IMAGE_CHECK = """<script>
window.addEventListener("load", function () {
  var images = document.images, loaded = 0;
  for (var i = 0; i < images.length; i++) {
    if (images[i].complete && images[i].naturalWidth > 0) { loaded++; }
  }
  var out = document.createElement("div");
  out.id = "fitwell-image-check";
  out.textContent = loaded + "/" + images.length;
  document.body.appendChild(out);
});
</script>"""


def test_report_renders_in_headless_chromium(report, tmp_path):
    binary = _chromium()
    path, runs = report
    probe = tmp_path / "probe.html"  # the test copy only carries the script
    probe.write_text(path.read_text(encoding="utf-8").replace(
        "</body>", _IMAGE_CHECK + "</body>"), encoding="utf-8")
    dumped = _run_chromium(binary, tmp_path / "profile-dom", "--dump-dom", probe.as_uri())
    found = re.search(r'id="fitwell-image-check">(\d+)/(\d+)<', dumped.stdout)
    assert found, f"no image count in Chromium's DOM; stderr:\n{dumped.stderr[-2000:]}"
    loaded, total = map(int, found.groups())
    assert total == len(figure_names(runs)) and loaded == total

    shot = tmp_path / "shot.png"
    taken = _run_chromium(binary, tmp_path / "profile-shot", f"--screenshot={shot}",
                          "--window-size=1280,2000", path.as_uri())
    assert shot.exists(), f"no screenshot; stderr:\n{taken.stderr[-2000:]}"
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[:2] == (2000, 1280)
    grey = pixels[..., :3].mean(axis=2)
    assert grey.std() > 0.05, "the screenshot is blank"
    assert (grey < 0.5).mean() > 0.005, "no dark text or lines in the screenshot"
