"""The command on tables: the penguins CSV (text categories, empty cells, a boolean column)
trained, evaluated, predicted on raw new rows and exported; a missing column refused."""

from __future__ import annotations

import csv
import json

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
from fitwell_command import assert_input_error, fitwell

import fitwell as fw


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    path = tmp_path_factory.mktemp("recipes") / "quick.toml"
    path.write_text('name = "quick"\nhidden_layer_sizes = [16]\nmax_iter = 30\n'
                    'normalization = "batch"\nrandom_state = 0\nlearning_rate_init = 0.01\n')
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory, quick, penguins_csv):
    out = tmp_path_factory.mktemp("penguins-run")
    result = fitwell("train", quick, "--data", penguins_csv, "--target", "species", "--out",
                     out, "--no-report")
    assert result.returncode == 0, result.stderr
    return out, result.stdout


def _new_table(path, drop=None):
    rows = pd.DataFrame({
        "island": ["Atlantis", "Dream", "Biscoe"], "bill_length_mm": [47.0, None, 46.0],
        "bill_depth_mm": [15.1, 18.2, 14.8], "flipper_length_mm": [215, 195, 220],
        "body_mass_g": [5000, None, 5200], "sex": ["female", None, "male"],
        "tagged": [True, None, False], "year": [2009, 2008, 2007], "note": ["x", "y", "z"]})
    rows.drop(columns=drop or []).to_csv(path, index=False)
    return path


def test_penguins_train_from_the_command(trained):
    out, stdout = trained
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test"] > 0.9
    assert "quick" in stdout and ("good fit" in stdout or "overfitting" in stdout)


def test_predict_on_a_raw_table_with_an_unseen_category_and_gaps(trained, tmp_path):
    out, _ = trained
    path = _new_table(tmp_path / "new.csv")
    result = fitwell("predict", out / "model.npz", "--data", path, "--proba", "--out",
                     tmp_path / "p.csv")
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "p.csv") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["proba_Adelie", "proba_Chinstrap", "proba_Gentoo"]
    proba = np.array(rows[1:], dtype=float)
    assert proba.shape == (3, 3) and np.allclose(proba.sum(axis=1), 1, atol=1e-4)
    assert proba[0].argmax() == 2 and proba[2].argmax() == 2  # Gentoo-sized birds


def test_a_table_without_a_trained_column_is_refused(trained, tmp_path):
    out, _ = trained
    path = _new_table(tmp_path / "lacking.csv", drop=["flipper_length_mm"])
    result = fitwell("predict", out / "model.npz", "--data", path, "--out", tmp_path / "p.csv")
    assert_input_error(result, "lacks the columns ['flipper_length_mm']")
    result = fitwell("predict", out / "model.npz", "--data", "iris", "--out", tmp_path / "p.csv")
    assert_input_error(result, "trained on a table with the columns")


def test_evaluate_and_export_the_table_model(trained, tmp_path, penguins_csv):
    out, _ = trained
    result = fitwell("evaluate", out / "model.npz", "--data", penguins_csv, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["accuracy"] > 0.9
    result = fitwell("export", out / "model.npz", tmp_path / "m.onnx")
    assert result.returncode == 0, result.stderr
    assert "inputs bill_length_mm" in result.stdout and "outputs label, probabilities" in \
        result.stdout
    model = fw.load(out / "model.npz")
    table = pd.read_csv(penguins_csv).drop(columns="species")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"))
    _, proba = session.run(None, fw.onnx_inputs(model, table))
    assert np.abs(proba - model.predict_proba(table)).max() < 1e-5


def test_export_refuses_what_is_not_a_model(tmp_path, penguins_csv):
    assert_input_error(fitwell("export", penguins_csv, tmp_path / "m.onnx"),
                       "not a readable fitwell model file")
    assert_input_error(fitwell("export", tmp_path / "absent.npz", tmp_path / "m.onnx"),
                       "no such model file")


def test_a_numeric_csv_trains_to_the_same_numbers_as_before(tmp_path, quick):
    """All-numeric, gap-free tables: the ColumnTransformer computes what the StandardScaler
    path did, so the same data as .npz and as .csv give identical scores."""
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True)
    np.savez(tmp_path / "wine.npz", X=X, y=y)
    pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]).assign(y=y).to_csv(
        tmp_path / "wine.csv", index=False, float_format="%.17g")
    scores = []
    for data, extra in (("wine.npz", []), ("wine.csv", ["--target", "y"])):
        result = fitwell("train", quick, "--data", tmp_path / data, *extra, "--out",
                         tmp_path / data[-3:], "--no-report", "-q")
        assert result.returncode == 0, result.stderr
        metrics = json.loads((tmp_path / data[-3:] / "metrics.json").read_text())
        scores.append((metrics["train"], metrics["validation"], metrics["test"],
                       metrics["epochs_run"]))
    assert scores[0] == scores[1]
