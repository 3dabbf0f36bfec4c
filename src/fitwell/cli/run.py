"""``fitwell demo``, ``train``, ``evaluate`` and ``predict``: single runs and saved models."""

from __future__ import annotations

import csv
import json
import os
import time
from dataclasses import dataclass

import numpy as np

from .._files import atomic_write
from ..data import DataError, Dataset, classic_split, load_dataset
from ..data.load import TEXT_SETS, text_column_of
from ..errors import ModelFileError
from ..experiments import fit_and_evaluate
from ..io import load, read_metadata, save
from ..recipe import dump_recipe, load_recipe, with_image_shape
from ..report import write_report
from ..tabular import TablePreprocessor, is_table, read_table
from ..tabular.columns import as_numbers
from ..tabular.read import TABLE_SUFFIXES
from ..text import AugmentingPipeline
from .arguments import (
    UsageError,
    add_data_arguments,
    add_no_report,
    add_out,
    add_recipe_arguments,
    add_split_arguments,
)
from .console import format_runs_table, progress_callbacks

__all__ = ["register", "cmd_demo", "cmd_train", "cmd_evaluate", "cmd_predict", "DEMOS"]

_DATA_TITLES = {"digits": "scikit-learn's digits", "fashion-mnist": "Fashion-MNIST"}

EXAMPLES = {
    "demo": ("examples:\n  fitwell demo\n  fitwell demo --out my-demo --quiet\n"
             "  fitwell demo --data fashion-mnist --out fashion-demo"),
    "train": (
        "examples:\n"
        "  fitwell train improved --data digits\n"
        "  fitwell train recipes/challenge.toml --data digits --set dropout=0.3\n"
        "  fitwell train my.toml --data houses.csv --target price --out runs/houses\n"
        "  fitwell train production --data wine --set hidden_layer_sizes=[256,128]\n"
        "  fitwell train text_eda --data reviews.csv --text-column review --target label\n"
        "  fitwell train text_eda --data rotten-tomatoes"),
    "evaluate": "examples:\n  fitwell evaluate fitwell-output/improved/model.npz --data digits",
    "predict": ("examples:\n"
                "  fitwell predict runs/houses/model.npz --data new.csv --out predictions.csv\n"
                "  fitwell predict model.npz --data digits --proba --out proba.csv\n"
                "  fitwell predict model.npz --data new.csv --text-column review --out p.csv"),
}


def register(add):
    """Add ``demo``, ``train``, ``evaluate`` and ``predict`` (``add(name, help, epilog,
    handler)`` makes a subcommand's parser)."""
    p = add("demo", "Train the plain baseline and the regularised network on digits (or "
                    "Fashion-MNIST), compare them and write a report.", EXAMPLES["demo"],
            cmd_demo)
    p.add_argument("--data", choices=sorted(DEMOS), default="digits",
                   help="digits (seconds, the default) or fashion-mnist (70,000 images from "
                        "Debian's dataset-fashion-mnist package; minutes)")
    p.add_argument("--out", default=os.path.join("fitwell-output", "demo"),
                   help="output folder (default: fitwell-output/demo)")
    add_no_report(p)

    p = add("train", "Train a recipe on a dataset and save the model, metrics, history and "
                     "report.", EXAMPLES["train"], cmd_train)
    add_recipe_arguments(p)
    add_data_arguments(p)
    add_out(p, "RECIPE_NAME")
    add_split_arguments(p)
    add_no_report(p)

    p = add("evaluate", "Score a saved model on a dataset.", EXAMPLES["evaluate"], cmd_evaluate)
    p.add_argument("model", help="a model.npz written by 'fitwell train'")
    add_data_arguments(p)
    p.add_argument("--json", action="store_true", help="print the result as JSON")

    p = add("predict", "Write a saved model's predictions for a dataset to a CSV file.",
            EXAMPLES["predict"], cmd_predict)
    p.add_argument("model", help="a model.npz written by 'fitwell train'")
    add_data_arguments(p)
    p.add_argument("--proba", action="store_true", help="class probabilities instead of labels")
    p.add_argument("--out", required=True, help="the CSV file to write")


def _write_report(out_dir, runs, title, intro, console):
    path = write_report(out_dir, runs, title, intro=intro)
    console.print(f"report: {path}")
    return path


@dataclass(frozen=True)
class Demo:
    """One walkthrough: a dataset, the plain recipe, the regularised one, and how to say it."""

    data: str
    baseline: str
    regularised: str
    rows: str
    intro: str


DEMOS = {
    "digits": Demo(
        "digits", "baseline", "improved", "images (8×8)",
        "The same 128-unit network trained twice on scikit-learn's digits: once plain, once "
        "with dropout 0.3, an L2 penalty, batch normalisation, a cosine schedule and early "
        "stopping. Split as in the classic walkthrough: 20 % test, then 20 % of the rest for "
        "validation, random_state=42."),
    "fashion-mnist": Demo(
        "fashion-mnist", "fashion_baseline", "fashion", "images (28×28)",
        "Fashion-MNIST: a plain 784-512-256-10 network trained with Adam for 30 epochs, then "
        "the regularised recipe (wider layers with batch normalisation, dropout, AdamW, "
        "warm-up and cosine decay, label smoothing, and shifted, flipped and erased training "
        "images). The official 10,000 test images are the test set; validation is carved, "
        "stratified, from the 60,000 training images with random_state=42."),
}


def cmd_demo(args, console):
    started = time.perf_counter()
    demo = DEMOS[getattr(args, "data", None) or "digits"]
    dataset = load_dataset(demo.data)
    baseline = load_recipe(demo.baseline)
    improved = load_recipe(demo.regularised)
    split = classic_split(dataset, test_size=0.2,
                          validation_fraction=improved.params.get("validation_fraction", 0.2),
                          random_state=42)
    console.print(f"fitwell demo — {_DATA_TITLES[demo.data]}: {len(split.y_train)} training, "
                  f"{len(split.y_val)} validation, {len(split.y_test)} test {demo.rows}")
    console.print("training the plain baseline and the regularised network ...\n")
    runs = [fit_and_evaluate(with_image_shape(dict(recipe.params), dataset.image_shape), split,
                             name=recipe.name, callbacks=progress_callbacks(console))
            for recipe in (baseline, improved)]
    console.print(format_runs_table(runs))
    console.print()
    for run in runs:
        console.print(f"{run.name}: {run.verdict.message}")
    console.print()
    better_test = runs[1].test_score > runs[0].test_score
    smaller_gap = runs[1].gap < runs[0].gap
    console.print(
        f"the regularised network {'beats' if better_test else 'does not beat'} the baseline on "
        f"test accuracy ({100 * runs[1].test_score:.1f} vs {100 * runs[0].test_score:.1f}) and its "
        f"gap is {'smaller' if smaller_gap else 'not smaller'} ({runs[1].gap:.1f} vs "
        f"{runs[0].gap:.1f} points)")
    os.makedirs(args.out, exist_ok=True)
    with atomic_write(os.path.join(args.out, "metrics.json"), encoding="utf-8") as handle:
        json.dump([r.metrics() for r in runs], handle, indent=2)
    if not args.no_report:
        _write_report(args.out, runs, "fitwell demo: baseline vs regularised", demo.intro,
                      console)
    console.print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_train(args, console):
    dataset = load_dataset(args.data, target=args.target, task=args.task,
                           text_column=args.text_column)
    recipe = load_recipe(args.recipe, overrides=args.set or (), task=dataset.task)
    params = with_image_shape(dict(recipe.params), dataset.image_shape)
    split = classic_split(dataset, test_size=args.test_size,
                          validation_fraction=params.get("validation_fraction", 0.1),
                          random_state=args.split_seed, scale=not args.no_scale,
                          train_rows=args.train_rows)
    out = args.out or os.path.join("fitwell-output", recipe.name)
    os.makedirs(out, exist_ok=True)
    console.print(f"training recipe {recipe.name!r} on {dataset.name}: {len(split.y_train)} "
                  f"training, {len(split.y_val)} validation, {len(split.y_test)} test rows")
    run = fit_and_evaluate(params, split, task=dataset.task, name=recipe.name,
                           callbacks=progress_callbacks(console))
    (run.estimator[-1] if split.texts else run.estimator).set_params(callbacks=None)
    console.print(format_runs_table([run]))
    console.print(run.verdict.message)
    model = run.estimator
    if split.scaler is not None:
        from sklearn.pipeline import make_pipeline

        model = make_pipeline(split.scaler, run.estimator)
    metadata = {"task": dataset.task, "target": dataset.target_name, "data": dataset.name,
                "features": dataset.feature_names, "recipe": recipe.name}
    if split.texts:
        metadata["text_column"] = dataset.text_column
    save(model, os.path.join(out, "model.npz"), metadata=metadata)
    with atomic_write(os.path.join(out, "metrics.json"), encoding="utf-8") as handle:
        json.dump({**run.metrics(), "data": dataset.name, "recipe": recipe.source,
                   "overrides": {k: v if not isinstance(v, tuple) else list(v)
                                 for k, v in recipe.overrides.items()}},
                  handle, indent=2, default=str)
    run.history.to_csv(os.path.join(out, "history.csv"))
    dump_recipe(params, os.path.join(out, "recipe.toml"), name=recipe.name,
                description=recipe.description,
                comment=f"resolved recipe: {recipe.source} with overrides {recipe.overrides}")
    if not args.no_report:
        _write_report(out, [run], f"fitwell: {recipe.name} on {dataset.name}",
                      recipe.description or None, console)
    console.print(f"saved model, metrics.json, history.csv and recipe.toml in {out}")
    return 0


def _load_model(path):
    """The model and its metadata; a missing file is the user's error, not a bug."""
    if not os.path.isfile(path):
        raise ModelFileError(f"{path}: no such model file; give the model.npz that "
                             "'fitwell train' wrote")
    return load(path), read_metadata(path)


def _takes_table(model) -> bool:
    """Whether the model begins with a table's preprocessing (it reads raw columns)."""
    steps = getattr(model, "steps", None)
    return bool(steps) and isinstance(steps[0][1], TablePreprocessor)


def _takes_texts(model) -> bool:
    """Whether the model is a text pipeline (it reads raw texts)."""
    return isinstance(model, AugmentingPipeline)


def _load_texts(args, metadata, need_target):
    """A dataset of texts for a text model: the bundled set, or a table's text column
    (``--text-column``, else the one the model was trained on)."""
    if args.data in TEXT_SETS:
        return load_dataset(args.data)
    column = args.text_column or metadata.get("text_column")
    if not args.data.endswith(TABLE_SUFFIXES):
        raise DataError(f"{args.data}: the model reads texts; give a .csv or .parquet file "
                        f"with the column {column!r} (--text-column) or {', '.join(TEXT_SETS)}")
    target = args.target or metadata.get("target")
    table = read_table(args.data)
    if need_target:
        if target is None or target not in table.columns:
            raise DataError(f"{args.data}: name the target column with --target")
        y = table[target].to_numpy()
    else:
        y = np.zeros(len(table))
    name = os.path.basename(args.data)
    texts = text_column_of(table, column, name)
    return Dataset(texts, y, metadata.get("task", "classification"), name, [column],
                   target, text_column=column)


def _load_model_and_data(args, need_target):
    model, metadata = _load_model(args.model)
    if _takes_texts(model):
        return model, _load_texts(args, metadata, need_target), metadata
    target = args.target or metadata.get("target")
    is_file_table = args.data.endswith(TABLE_SUFFIXES)
    if is_file_table and not need_target:
        dataset = _load_features_only(args.data, target)
    else:
        if is_file_table and target is None:
            raise DataError(f"{args.data}: name the target column with --target")
        dataset = load_dataset(args.data, target=target, task=metadata.get("task"))
    if _takes_table(model):
        if not is_table(dataset.X):
            columns = list(model.steps[0][1].feature_names_in_)
            raise DataError(f"{dataset.name}: the model was trained on a table with the columns "
                            f"{columns}; give a .csv or .parquet file with them")
        return model, dataset, metadata  # the preprocessing names any missing column
    if is_table(dataset.X):
        dataset.X = _numeric_matrix(dataset.X, dataset.name)
    expected = getattr(model, "n_features_in_", None)
    if expected is not None and dataset.X.shape[1] != expected:
        trained_on = metadata.get("data", "its data")
        raise DataError(f"{dataset.name}: {dataset.X.shape[1]} features, but the model was "
                        f"trained on {expected} features (from {trained_on}); give data with "
                        "the same columns")
    return model, dataset, metadata


def _numeric_matrix(table, name):
    """A table's cells as numbers, for a model saved without table preprocessing."""
    X = as_numbers(table)
    if np.isnan(X).any():
        raise DataError(f"{name}: contains empty cells, which this model (saved without table "
                        "preprocessing) cannot take; fill them in")
    return X


def _load_features_only(path, target):
    """A table for prediction: every column a feature, except the target if present."""
    table = read_table(path)
    if target in table.columns:
        table = table.drop(columns=[target])
    return Dataset(table, np.zeros(len(table)), "unknown", os.path.basename(path),
                   [str(c) for c in table.columns])


def cmd_evaluate(args, console):
    model, dataset, metadata = _load_model_and_data(args, need_target=True)
    score = model.score(dataset.X, dataset.y)
    metric = "accuracy" if metadata.get("task", dataset.task) == "classification" else "R²"
    result = {"data": dataset.name, "rows": int(len(dataset.y)), metric: float(score)}
    if args.json:
        console.result(json.dumps(result))
    else:
        console.print(f"{metric} on {dataset.name} ({len(dataset.y)} rows): {score:.4f}")
    return 0


def cmd_predict(args, console):
    model, dataset, metadata = _load_model_and_data(args, need_target=False)
    if args.proba:
        if not hasattr(model, "predict_proba"):
            raise UsageError("--proba needs a classifier model")
        values = model.predict_proba(dataset.X)
        classes = model.classes_ if hasattr(model, "classes_") else model[-1].classes_
        header = [f"proba_{c}" for c in classes]
    else:
        values = model.predict(dataset.X)
        values = values.reshape(len(values), -1)
        header = ["prediction"] if values.shape[1] == 1 else \
            [f"prediction_{i}" for i in range(values.shape[1])]
    directory = os.path.dirname(args.out)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with atomic_write(args.out, newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in np.asarray(values):
            writer.writerow([f"{v:.6g}" if isinstance(v, float | np.floating) else v for v in row])
    console.print(f"wrote {len(values)} predictions to {args.out}")
    return 0
