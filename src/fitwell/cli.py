"""The ``fitwell`` command.

Exit codes: 0 success; 2 a usage or input error (one clear line on stderr, no
traceback); 1 an unexpected failure (with ``--verbose``, the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback

__all__ = ["main"]

EXAMPLES = {
    "demo": "examples:\n  fitwell demo\n  fitwell demo --out my-demo --quiet",
    "train": (
        "examples:\n"
        "  fitwell train improved --data digits\n"
        "  fitwell train recipes/challenge.toml --data digits --set dropout=0.3\n"
        "  fitwell train my.toml --data houses.csv --target price --out runs/houses\n"
        "  fitwell train production --data wine --set hidden_layer_sizes=[256,128]"),
    "evaluate": "examples:\n  fitwell evaluate fitwell-output/improved/model.npz --data digits",
    "predict": ("examples:\n"
                "  fitwell predict runs/houses/model.npz --data new.csv --out predictions.csv\n"
                "  fitwell predict model.npz --data digits --proba --out proba.csv"),
    "schedules": "examples:\n  fitwell schedules\n  fitwell schedules --epochs 50 --out lr.png",
    "gradcheck": "examples:\n  fitwell gradcheck",
}


class UsageError(Exception):
    """Bad command-line usage; reported in one line with exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _input_errors():
    """Exception types that mean "your input is wrong" (exit 2), not "fitwell broke"."""
    from sklearn.utils._param_validation import InvalidParameterError

    from .data import DataError
    from .io import ModelFileError
    from .recipe import RecipeError

    return (UsageError, RecipeError, DataError, ModelFileError, InvalidParameterError,
            FileNotFoundError, ValueError)


# -- output helpers ----------------------------------------------------------------------
class _Console:
    def __init__(self, quiet=False, verbose=False):
        self.quiet, self.verbose = quiet, verbose

    def print(self, text=""):
        if not self.quiet:
            print(text, flush=True)


def _points(value):
    return f"{100 * value:6.1f}"


def format_runs_table(runs) -> str:
    """A plain-text table of runs: scores, gap, epochs, best epoch, time."""
    metric = runs[0].metric if runs else "accuracy"
    unit = "%" if metric == "accuracy" else "R²×100"
    name_width = max(8, *(len(r.name) for r in runs))
    header = (f"{'run':<{name_width}}  {'train':>6}  {'valid':>6}  {'test':>6}  {'gap':>5}  "
              f"{'epochs':>6}  {'best':>4}  {'time':>6}")
    lines = [f"{metric} ({unit}); gap = train − test in points", header, "─" * len(header)]
    for r in runs:
        lines.append(f"{r.name:<{name_width}}  {_points(r.train_score)}  {_points(r.val_score)}  "
                     f"{_points(r.test_score)}  {r.gap:5.1f}  {r.epochs_run:6d}  "
                     f"{r.best_epoch:4d}  {r.fit_time:5.2f}s")
    return "\n".join(lines)


def _callbacks(console):
    if console.quiet:
        return []
    from .training import ProgressBar

    return [ProgressBar()]


def _write_report(out_dir, runs, title, intro, console):
    from .report import write_report

    path = write_report(out_dir, runs, title, intro=intro)
    console.print(f"report: {path}")
    return path


# -- commands ----------------------------------------------------------------------------------
def cmd_demo(args, console):
    from .data import classic_split, load_dataset
    from .experiments import fit_and_evaluate
    from .recipe import load_recipe

    started = time.perf_counter()
    dataset = load_dataset("digits")
    baseline = load_recipe("baseline")
    improved = load_recipe("improved")
    split = classic_split(dataset, test_size=0.2,
                          validation_fraction=improved.params.get("validation_fraction", 0.2),
                          random_state=42)
    console.print(f"fitwell demo — scikit-learn's digits: {len(split.y_train)} training, "
                  f"{len(split.y_val)} validation, {len(split.y_test)} test images (8×8)")
    console.print("training the plain baseline and the regularised network ...\n")
    runs = [fit_and_evaluate(recipe.params, split, name=recipe.name,
                             callbacks=_callbacks(console))
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
    with open(os.path.join(args.out, "metrics.json"), "w", encoding="utf-8") as handle:
        json.dump([r.metrics() for r in runs], handle, indent=2)
    if not args.no_report:
        intro = ("The same 128-unit network trained twice on scikit-learn's digits: once plain, "
                 "once with dropout 0.3, an L2 penalty, batch normalisation, a cosine schedule "
                 "and early stopping. Split as in the classic walkthrough: 20 % test, then 20 % "
                 "of the rest for validation, random_state=42.")
        _write_report(args.out, runs, "fitwell demo: baseline vs regularised", intro, console)
    console.print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def _task_for(args, dataset_task):
    return args.task or dataset_task


def cmd_train(args, console):
    from .data import classic_split, load_dataset
    from .experiments import fit_and_evaluate
    from .io import save
    from .recipe import dump_recipe, load_recipe

    dataset = load_dataset(args.data, target=args.target, task=args.task)
    recipe = load_recipe(args.recipe, overrides=args.set or (), task=dataset.task)
    params = dict(recipe.params)
    if dataset.image_shape and params.get("augment") and not params.get("image_shape"):
        params["image_shape"] = dataset.image_shape
    split = classic_split(dataset, test_size=args.test_size,
                          validation_fraction=params.get("validation_fraction", 0.1),
                          random_state=args.split_seed, scale=not args.no_scale)
    out = args.out or os.path.join("fitwell-output", recipe.name)
    os.makedirs(out, exist_ok=True)
    console.print(f"training recipe {recipe.name!r} on {dataset.name}: {len(split.y_train)} "
                  f"training, {len(split.y_val)} validation, {len(split.y_test)} test rows")
    run = fit_and_evaluate(params, split, task=dataset.task, name=recipe.name,
                           callbacks=_callbacks(console))
    run.estimator.set_params(callbacks=None)
    console.print(format_runs_table([run]))
    console.print(run.verdict.message)
    model = run.estimator
    if split.scaler is not None:
        from sklearn.pipeline import make_pipeline

        model = make_pipeline(split.scaler, run.estimator)
    metadata = {"task": dataset.task, "target": dataset.target_name, "data": dataset.name,
                "features": dataset.feature_names, "recipe": recipe.name}
    save(model, os.path.join(out, "model.npz"), metadata=metadata)
    with open(os.path.join(out, "metrics.json"), "w", encoding="utf-8") as handle:
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


def _load_model_and_data(args, need_target):
    from .data import DataError, load_dataset
    from .io import load, read_metadata

    model = load(args.model)
    metadata = read_metadata(args.model)
    target = args.target or metadata.get("target")
    if args.data.endswith(".csv") and not need_target:
        dataset = _load_features_only(args.data, target)
    else:
        if args.data.endswith(".csv") and target is None:
            raise DataError(f"{args.data}: name the target column with --target")
        dataset = load_dataset(args.data, target=target, task=metadata.get("task"))
    return model, dataset, metadata


def _load_features_only(path, target):
    """A CSV for prediction: every column a feature, except the target if present."""
    import csv

    import numpy as np

    from .data import DataError, load_dataset

    with open(path, newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), [])
    header = [h.strip() for h in header]
    if target in header:
        return load_dataset(path, target=target)
    try:
        data = np.genfromtxt(path, delimiter=",", skip_header=1, dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise DataError(f"{path}: not a numeric CSV ({exc})") from None
    if data.size == 0:
        raise DataError(f"{path}: no data rows")
    if not np.all(np.isfinite(data)):
        raise DataError(f"{path}: contains NaN, empty or non-numeric cells")
    from .data import Dataset

    return Dataset(data, np.zeros(len(data)), "unknown", os.path.basename(path), header)


def cmd_evaluate(args, console):
    model, dataset, metadata = _load_model_and_data(args, need_target=True)
    score = model.score(dataset.X, dataset.y)
    metric = "accuracy" if metadata.get("task", dataset.task) == "classification" else "R²"
    result = {"data": dataset.name, "rows": int(len(dataset.y)), metric: float(score)}
    if args.json:
        print(json.dumps(result))
    else:
        console.print(f"{metric} on {dataset.name} ({len(dataset.y)} rows): {score:.4f}")
    return 0


def cmd_predict(args, console):
    import numpy as np

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
    import csv

    with open(args.out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in np.asarray(values):
            writer.writerow([f"{v:.6g}" if isinstance(v, float | np.floating) else v for v in row])
    console.print(f"wrote {len(values)} predictions to {args.out}")
    return 0


def all_schedules(epochs, base_lr=0.1):
    """One instance of every schedule, sized for ``epochs``, for the comparison plot."""
    from . import schedules as s

    return {
        "Constant": s.Constant(base_lr),
        "StepDecay": s.StepDecay(base_lr, step_size=max(1, epochs // 3), gamma=0.3),
        "MultiStep": s.MultiStep(base_lr, milestones=sorted({max(1, epochs // 2),
                                                             max(2, 3 * epochs // 4)}), gamma=0.2),
        "Exponential": s.Exponential(base_lr, gamma=0.01 ** (1 / max(1, epochs))),
        "CosineAnnealing": s.CosineAnnealing(base_lr, t_max=epochs),
        "Warmup + cosine": s.Warmup(s.CosineAnnealing(base_lr, t_max=max(1, epochs - epochs // 10)),
                                    warmup_steps=max(1, epochs // 10), start_factor=0.1),
        "OneCycle": s.OneCycle(base_lr, total_steps=max(4, epochs)),
        "CosineWarmRestarts": s.CosineWarmRestarts(base_lr, t_0=max(1, epochs // 7), t_mult=2),
        "ReduceLROnPlateau": s.ReduceLROnPlateau(base_lr, factor=0.3,
                                                 patience=max(1, epochs // 20)),
    }


def cmd_schedules(args, console):
    from .report import ScheduleComparisonDisplay, save_figure

    if args.epochs < 4:
        raise UsageError(f"--epochs must be at least 4, got {args.epochs}")
    display = ScheduleComparisonDisplay.from_schedules(all_schedules(args.epochs),
                                                       epochs=args.epochs)
    directory = os.path.dirname(args.out)
    if directory:
        os.makedirs(directory, exist_ok=True)
    save_figure(display, args.out)
    console.print(f"wrote {args.out}")
    return 0


def cmd_gradcheck(args, console):
    from .testing import check_all

    results = check_all(seed=args.seed)
    width = max(len(r.name) for r in results)
    print(f"{'check':<{width}}  {'max rel. error':>14}  result")
    print("─" * (width + 24))
    for r in results:
        print(f"{r.name:<{width}}  {r.max_rel_error:14.2e}  {'ok' if r.passed else 'FAILED'}")
    failed = [r for r in results if not r.passed]
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed "
          "(float64 central differences)")
    return 1 if failed else 0


# -- the parser ---------------------------------------------------------------------------------
def build_parser():
    parser = _Parser(prog="fitwell", description="Train neural networks that fit well: "
                     "recipes, the regularisation walkthrough, reports and gradient checks.",
                     formatter_class=argparse.RawDescriptionHelpFormatter,
                     epilog="run 'fitwell COMMAND --help' for each command's options")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(name, help_text):
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=EXAMPLES.get(name),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        noise = p.add_mutually_exclusive_group()
        noise.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
        noise.add_argument("-v", "--verbose", action="store_true",
                           help="more detail; tracebacks on unexpected errors")
        return p

    p = add("demo", "Train the plain baseline and the regularised network on digits, compare "
                    "them and write a report.")
    p.add_argument("--out", default=os.path.join("fitwell-output", "demo"),
                   help="output folder (default: fitwell-output/demo)")
    p.add_argument("--no-report", action="store_true", help="skip the HTML report and plots")

    p = add("train", "Train a recipe on a dataset and save the model, metrics, history and "
                     "report.")
    p.add_argument("recipe", help="a recipe .toml file or a shipped recipe name "
                                  "(baseline, improved, challenge, production, best_digits)")
    _data_arguments(p)
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a recipe key, e.g. --set dropout=0.5 (repeatable)")
    p.add_argument("--out", help="output folder (default: fitwell-output/RECIPE_NAME)")
    p.add_argument("--no-scale", action="store_true", help="do not standardise the features")
    p.add_argument("--test-size", type=_fraction, default=0.2,
                   help="fraction of rows held out for testing (default 0.2)")
    p.add_argument("--split-seed", type=int, default=42,
                   help="random_state of the train/validation/test split (default 42)")
    p.add_argument("--no-report", action="store_true", help="skip the HTML report and plots")

    p = add("evaluate", "Score a saved model on a dataset.")
    p.add_argument("model", help="a model.npz written by 'fitwell train'")
    _data_arguments(p)
    p.add_argument("--json", action="store_true", help="print the result as JSON")

    p = add("predict", "Write a saved model's predictions for a dataset to a CSV file.")
    p.add_argument("model", help="a model.npz written by 'fitwell train'")
    _data_arguments(p)
    p.add_argument("--proba", action="store_true", help="class probabilities instead of labels")
    p.add_argument("--out", required=True, help="the CSV file to write")

    p = add("schedules", "Plot every learning-rate schedule side by side to a PNG.")
    p.add_argument("--epochs", type=int, default=100, help="epochs to plot (default 100)")
    p.add_argument("--out", default="schedules.png", help="PNG file (default schedules.png)")

    p = add("gradcheck", "Check every layer's and loss's backward pass against central "
                         "differences and print the relative errors.")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    _register_experiment_commands(sub, add)
    return parser


def _register_experiment_commands(sub, add):
    """Hook for the experiment commands (sweep, ablate) when they are available."""
    try:
        from .experiments import cli as experiments_cli
    except ImportError:
        return
    experiments_cli.register(sub, add, _data_arguments)


def _data_arguments(p):
    p.add_argument("--data", required=True,
                   help="digits, breast_cancer, wine, iris, diabetes, a .csv file (with --target) "
                        "or an .npz file with arrays X and y")
    p.add_argument("--target", help="the target column of a CSV file")
    p.add_argument("--task", choices=("classification", "regression"),
                   help="override the task inferred from the target")


def _fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    return value


def _version():
    from ._version import __version__

    return f"fitwell {__version__}"


COMMANDS = {"demo": cmd_demo, "train": cmd_train, "evaluate": cmd_evaluate,
            "predict": cmd_predict, "schedules": cmd_schedules, "gradcheck": cmd_gradcheck}


def main(argv=None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    verbose = False
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        verbose = getattr(args, "verbose", False)
        console = _Console(quiet=getattr(args, "quiet", False), verbose=verbose)
        handler = COMMANDS.get(args.command) or args.handler
        return handler(args, console)
    except KeyboardInterrupt:
        print("fitwell: interrupted", file=sys.stderr)
        return 130
    except _input_errors() as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"fitwell: error: {message}", file=sys.stderr)
        return 2
    except Exception as exc:  # an unexpected failure: exit 1, traceback with --verbose
        print(f"fitwell: unexpected error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if verbose:
            traceback.print_exc()
        else:
            print("fitwell: run again with --verbose for the traceback", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
