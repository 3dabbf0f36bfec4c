"""``fitwell demo``, ``train``, ``evaluate`` and ``predict`` end to end, through a subprocess
as a user runs them, and the input errors they meet."""

from __future__ import annotations

import csv
import json
import os
import zipfile

import numpy as np
import pytest
from fitwell_command import assert_input_error, fitwell


@pytest.fixture(scope="module")
def quick_recipe(tmp_path_factory):
    path = tmp_path_factory.mktemp("recipes") / "quick.toml"
    path.write_text('name = "quick"\nhidden_layer_sizes = [16]\nmax_iter = 15\n'
                    'early_stopping = true\nvalidation_fraction = 0.2\nrandom_state = 0\n'
                    'learning_rate_init = 0.01\n')
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory, quick_recipe):
    out = tmp_path_factory.mktemp("run")
    result = fitwell("train", quick_recipe, "--data", "wine", "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    return out


def test_demo_improved_beats_baseline_and_writes_every_figure(tmp_path):
    result = fitwell("demo", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    metrics = {m["name"]: m for m in json.loads((tmp_path / "metrics.json").read_text())}
    baseline, improved = metrics["baseline"], metrics["improved"]
    assert improved["test"] > baseline["test"]
    assert improved["gap_points"] < baseline["gap_points"]
    for word in ("baseline", "improved", "train", "valid", "test", "gap", "epochs", "best"):
        assert word in result.stdout
    assert "overfitting" in result.stdout or "good fit" in result.stdout
    html = (tmp_path / "report.html").read_text()
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    for kind in ("loss", "score", "lr", "comparison", "gap"):
        assert any(name.startswith(kind) for name in pngs), (kind, pngs)
    assert html.count("data:image/png;base64,") >= len(pngs)


def test_train_writes_model_metrics_history_recipe_and_report(trained):
    for name in ("model.npz", "metrics.json", "history.csv", "recipe.toml", "report.html"):
        assert (trained / name).exists(), name
    metrics = json.loads((trained / "metrics.json").read_text())
    assert 0.5 < metrics["test"] <= 1.0
    with open(trained / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == metrics["epochs_run"]
    assert set(rows[0]) >= {"epoch", "train_loss", "val_loss", "train_score", "val_score", "lr"}
    assert "hidden_layer_sizes = [" in (trained / "recipe.toml").read_text()


def test_resolved_recipe_trains_again(trained, tmp_path):
    result = fitwell("train", trained / "recipe.toml", "--data", "wine", "--out", tmp_path, "-q")
    assert result.returncode == 0, result.stderr
    first = json.loads((trained / "metrics.json").read_text())
    second = json.loads((tmp_path / "metrics.json").read_text())
    assert first["test"] == second["test"]


def test_evaluate_and_predict(trained, tmp_path):
    result = fitwell("evaluate", trained / "model.npz", "--data", "wine", "--json")
    assert result.returncode == 0, result.stderr
    assert 0.5 < json.loads(result.stdout)["accuracy"] <= 1.0
    out = tmp_path / "proba.csv"
    result = fitwell("predict", trained / "model.npz", "--data", "wine", "--proba", "--out", out)
    assert result.returncode == 0, result.stderr
    proba = np.loadtxt(out, delimiter=",", skiprows=1)
    assert proba.shape == (178, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-4)
    labels = tmp_path / "labels.csv"
    assert fitwell("predict", trained / "model.npz", "--data", "wine", "--out", labels) \
        .returncode == 0
    assert labels.read_text().splitlines()[0] == "prediction"


def test_overrides_are_applied_and_recorded(quick_recipe, tmp_path):
    result = fitwell("train", quick_recipe, "--data", "iris", "--out", tmp_path, "-q",
                     "--no-report", "--set", "dropout=0.2", "--set", "hidden_layer_sizes=[8,8]")
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "recipe.toml").read_text()
    assert "dropout = 0.2" in text and "hidden_layer_sizes = [\n    8,\n    8,\n]" in text \
        or "hidden_layer_sizes = [8, 8]" in text


def test_csv_and_npz_data(quick_recipe, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    path = tmp_path / "data.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["a", "b", "c", "label"])
        writer.writerows([[*row, label] for row, label in zip(X, y, strict=True)])
    out = tmp_path / "csvrun"
    result = fitwell("train", quick_recipe, "--data", path, "--target", "label", "--out", out,
                     "-q", "--no-report")
    assert result.returncode == 0, result.stderr
    assert fitwell("evaluate", out / "model.npz", "--data", path).returncode == 0
    preds = tmp_path / "p.csv"
    assert fitwell("predict", out / "model.npz", "--data", path, "--out", preds).returncode == 0
    assert len(preds.read_text().splitlines()) == 81
    npz = tmp_path / "reg.npz"
    np.savez(npz, X=X, y=X @ np.array([1.0, -2.0, 0.5]))
    result = fitwell("train", quick_recipe, "--data", npz, "--out", tmp_path / "reg", "-q",
                     "--no-report")
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "reg" / "metrics.json").read_text())["metric"] == "R²"


# -- bad input: exit code 2 and one clear line ------------------------------------------------
def test_missing_data_file(quick_recipe):
    assert_input_error(fitwell("train", quick_recipe, "--data", "nope.csv", "--target", "y"),
                       "nope.csv")


def test_missing_recipe():
    assert_input_error(fitwell("train", "no-such-recipe.toml", "--data", "wine"), "not found")


def test_bad_csv(quick_recipe, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b,label\n1,2,0\n3,4,1,9\n5,6,1\n")
    assert_input_error(fitwell("train", quick_recipe, "--data", path, "--target", "label"),
                       "line 3")
    path.write_text("a,b,label\n1,2,0\n3,4\n5,6,1\n")  # a short row: its target is empty
    assert_input_error(fitwell("train", quick_recipe, "--data", path, "--target", "label"),
                       "target column 'label' has 1 empty cells")


def test_free_text_feature_column(quick_recipe, tmp_path):
    """Text categories are features now (tests/cli/test_tables.py); free text is not."""
    path = tmp_path / "text.csv"
    rows = "\n".join(f"{i},bird number {i},{i % 2}" for i in range(60))
    path.write_text("a,name,label\n" + rows + "\n")
    assert_input_error(fitwell("train", quick_recipe, "--data", path, "--target", "label"),
                       "text columns ['name (60 values)']")


def test_unknown_target_column(quick_recipe, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,label\n" + "\n".join(f"{i},{i},{i % 2}" for i in range(20)) + "\n")
    assert_input_error(fitwell("train", quick_recipe, "--data", path, "--target", "price"),
                       "price", "label")


def test_infinity_in_data(quick_recipe, tmp_path):
    """Gaps (``nan``, empty) are imputed now; an infinite value is refused."""
    path = tmp_path / "inf.csv"
    path.write_text("a,b,label\n" + "\n".join(f"{i},{'inf' if i == 3 else i},{i % 2}"
                                               for i in range(20)) + "\n")
    assert_input_error(fitwell("train", quick_recipe, "--data", path, "--target", "label"),
                       "column 'b' has an infinite value in row 3")


def test_malformed_toml(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("dropout = 0.3\nhidden_layer_sizes = [128,\n")
    assert_input_error(fitwell("train", path, "--data", "wine"), "malformed TOML")


def test_unknown_key_suggests_the_right_one(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text("max_iter = 5\ndropuot = 0.3\n")
    assert_input_error(fitwell("train", path, "--data", "wine"), "line 2", "dropuot",
                       "did you mean 'dropout'")


def test_bad_value_names_key_value_and_what_is_allowed(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("max_iter = 5\nsolver = \"sgdd\"\n")
    assert_input_error(fitwell("train", path, "--data", "wine"), "line 2", "solver", "sgdd",
                       "adam")


def test_bad_override_is_type_checked(quick_recipe):
    assert_input_error(fitwell("train", quick_recipe, "--data", "wine", "--set", "dropout=lots"),
                       "dropout")
    assert_input_error(fitwell("train", quick_recipe, "--data", "wine", "--set", "max_iter=-3"),
                       "max_iter")


def test_model_file_from_another_format_version(trained, tmp_path):
    original = trained / "model.npz"
    with np.load(original, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    header = json.loads(arrays["header"].tobytes())
    header["format_version"] = 99
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    changed = tmp_path / "v99.npz"
    np.savez(changed, **arrays)
    assert_input_error(fitwell("evaluate", changed, "--data", "wine"), "version 99")


def test_model_file_that_is_not_a_model(tmp_path):
    path = tmp_path / "junk.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a model")
    assert_input_error(fitwell("evaluate", path, "--data", "wine"))


def test_predict_with_wrong_feature_count(trained):
    assert_input_error(fitwell("predict", trained / "model.npz", "--data", "iris", "--out",
                               os.devnull), "features")


def test_a_predict_that_fails_mid_write_leaves_the_old_predictions(trained, tmp_path,
                                                                   disk_fills_up, capsys):
    """The command writes through the atomic writer: a full disk during the write leaves
    the predictions file a user already had byte for byte."""
    from fitwell.cli import main

    out = tmp_path / "predictions.csv"
    out.write_text("prediction\nthe old run\n")

    disk_fills_up(5)
    code = main(["predict", str(trained / "model.npz"), "--data", "wine", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2  # the user's disk, not a bug: one line, exit 2
    assert err.count("\n") == 1 and "No space left on device" in err and "unchanged" in err
    assert out.read_text() == "prediction\nthe old run\n"
    assert [p.name for p in tmp_path.iterdir()] == ["predictions.csv"]


def test_train_rows_trains_on_fewer_rows_and_says_so(quick_recipe, tmp_path):
    result = fitwell("train", quick_recipe, "--data", "digits", "--out", tmp_path, "--no-report",
                     "--train-rows", "300")
    assert result.returncode == 0, result.stderr
    assert "300 training, 288 validation, 360 test rows" in result.stdout
    assert_input_error(fitwell("train", quick_recipe, "--data", "digits", "--out", tmp_path,
                               "--train-rows", "5000"), "train_rows=5000", "at most 1149")
