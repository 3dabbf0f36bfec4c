"""``fitwell sweep`` and ``fitwell ablate``: registered into the ``fitwell`` command by
:func:`register`."""

from __future__ import annotations

import argparse
import sys

__all__ = ["register", "cmd_sweep", "cmd_ablate"]

SWEEP_EXAMPLES = """examples:
  fitwell sweep improved --data digits --grid dropout=0,0.1,0.3,0.5 --grid alpha=0,1e-3,1e-2
  fitwell sweep challenge --data digits --grid dropout=0,0.2 --seeds 5 --jobs 2
  fitwell sweep improved --data digits --search tpe --trials 30 \\
      --grid dropout=0:0.6 --grid alpha=1e-5:1e-1:log --grid normalization=batch,layer,none
  # many machines: run the same command on each, sharing one study
  fitwell sweep improved --data digits --grid dropout=0,0.3 \\
      --storage postgresql://user:pass@db-host/fitwell --study dropout-digits

Interrupt it and run the same command again: finished trials are kept, a trial that was
cut off is run again. Selection is by validation score; the chosen configuration is
written to OUT/best_recipe.toml, ready for 'fitwell train'."""

ABLATE_EXAMPLES = """examples:
  fitwell ablate challenge --data digits --seeds 5
  fitwell ablate my.toml --data houses.csv --target price --jobs 2

Runs the full recipe, the recipe with each technique it uses removed one at a time
(dropout, penalties, normalisation, schedule, early stopping, augmentation, clipping,
label smoothing) and the plain recipe with all of them removed."""


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _shared_arguments(p, data_arguments, kind):
    from ..cli import _fraction

    p.add_argument("recipe", help="a recipe .toml file or a shipped recipe name")
    data_arguments(p)
    p.add_argument("--seeds", type=_positive_int, default=5,
                   help="seeds per configuration, each a separate trial (default 5)")
    p.add_argument("--jobs", type=_positive_int, default=1,
                   help="worker processes on this machine (default 1)")
    p.add_argument("--storage", metavar="URL",
                   help="database of the study, shared by every worker and machine "
                        "(default: sqlite file study.db in the output folder), e.g. "
                        "postgresql://user:pass@host/db")
    p.add_argument("--study", metavar="NAME",
                   help="study name (default: derived from the recipe, data and settings, so "
                        "the same command resumes the same study)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a recipe key first, e.g. --set max_iter=50 (repeatable)")
    p.add_argument("--out", help=f"output folder (default: fitwell-output/{kind}-RECIPE)")
    p.add_argument("--no-scale", action="store_true", help="do not standardise the features")
    p.add_argument("--test-size", type=_fraction, default=0.2,
                   help="fraction of rows held out for testing (default 0.2)")
    p.add_argument("--split-seed", type=int, default=42,
                   help="random_state of the train/validation/test split, the same for every "
                        "trial (default 42)")
    p.add_argument("--grace-period", type=_positive_float, default=60.0, metavar="SECONDS",
                   help="a trial of a worker on another machine silent this long is taken "
                        "over (default 60; dead workers on this machine are noticed at once)")
    p.add_argument("--no-report", action="store_true", help="skip the HTML report and plots")


def register(sub, add, data_arguments):
    """Add ``sweep`` and ``ablate`` to the ``fitwell`` sub-command parser."""
    p = add("sweep", "Run a grid or a TPE search over recipe keys, every configuration with "
                     "several seeds, persistent and resumable; choose by validation score.")
    p.epilog = SWEEP_EXAMPLES
    _shared_arguments(p, data_arguments, "sweep")
    p.add_argument("--grid", action="append", metavar="KEY=V1,V2,...",
                   help="values of a recipe key (TOML, like --set); with --search tpe also "
                        "LOW:HIGH or LOW:HIGH:log (repeatable)")
    p.add_argument("--search", choices=("grid", "tpe"), default="grid",
                   help="every grid combination, or Optuna's TPE sampler (default grid)")
    p.add_argument("--trials", type=_positive_int,
                   help="configurations a TPE search tries (default 20)")
    p.set_defaults(handler=cmd_sweep)

    p = add("ablate", "Remove each regularisation technique of a recipe in turn and measure "
                      "its contribution over seeds.")
    p.epilog = ABLATE_EXAMPLES
    _shared_arguments(p, data_arguments, "ablate")
    p.set_defaults(handler=cmd_ablate)


def _options(args):
    from .engine import WorkerOptions

    return WorkerOptions(grace_period=args.grace_period,
                         heartbeat_interval=min(5.0, args.grace_period / 4))


def _progress(console):
    state = {"last": -1, "time": 0.0}

    def report(done, total):
        import time

        now = time.monotonic()
        if done == state["last"] or (done < total and now - state["time"] < 2.0):
            return
        state["last"], state["time"] = done, now
        console.print(f"  {done}/{total} trials done")

    return report


def _header(console, plan, n_configs, jobs, what):
    from .storage import safe_url

    experiment = plan.experiment
    console.print(f"{what} of recipe {plan.inputs.recipe_name!r} on {experiment.data_name}: "
                  f"{n_configs} × {len(experiment.seeds)} seeds = "
                  f"{n_configs * len(experiment.seeds)} trials, {jobs} worker"
                  f"{'s' if jobs > 1 else ''}")
    console.print(f"study {plan.study_name!r} in {safe_url(plan.storage_url)}")


def _interrupted():
    print("fitwell: run the same command again to resume; finished trials are kept",
          file=sys.stderr)


def _data_kwargs(args):
    return dict(overrides=args.set or (), target=args.target, task=args.task,
                test_size=args.test_size, split_seed=args.split_seed, scale=not args.no_scale,
                storage=args.storage, study=args.study, out=args.out, seeds=args.seeds)


def cmd_sweep(args, console) -> int:
    """``fitwell sweep``."""
    from .sweep import execute_sweep, plan_sweep, write_sweep_outputs

    plan = plan_sweep(args.recipe, args.data, args.grid or (), search=args.search,
                      trials=args.trials, **_data_kwargs(args))
    n_configs = plan.experiment.n_trials or len(plan.experiment.configurations)
    _header(console, plan, n_configs, args.jobs,
            "TPE search" if args.search == "tpe" else "grid sweep")
    try:
        result = execute_sweep(plan, jobs=args.jobs, options=_options(args),
                               on_progress=_progress(console))
    except KeyboardInterrupt:
        _interrupted()
        raise
    console.print()
    console.print(result.format())
    console.print()
    console.print(f"{result.n_complete} trials complete, {result.n_failed} failed"
                  + (f", {result.n_interrupted} cut-off attempts rerun"
                     if result.n_interrupted else ""))
    for record in [r for r in result.records if r["status"] == "error"][:5]:
        console.print(f"  failed: {record['unit']}: {record['error']}")
    paths = write_sweep_outputs(result, plan.out, report=not args.no_report)
    if result.best is not None:
        console.print(f"best by validation: {result.best['label']} → {paths['best_recipe']}")
    console.print(f"wrote {', '.join(sorted(paths))} in {plan.out}")
    return 0


def cmd_ablate(args, console) -> int:
    """``fitwell ablate``."""
    from .ablation import execute_ablation, plan_ablation, write_ablation_outputs

    plan = plan_ablation(args.recipe, args.data, **_data_kwargs(args))
    _header(console, plan, len(plan.experiment.configurations), args.jobs, "ablation")
    try:
        result = execute_ablation(plan, jobs=args.jobs, options=_options(args),
                                  on_progress=_progress(console))
    except KeyboardInterrupt:
        _interrupted()
        raise
    console.print()
    console.print(result.format())
    console.print()
    for line in result.verdicts():
        console.print(line)
    console.print()
    console.print(f"{sum(r['seeds'] for r in result.rows)} trials complete, "
                  f"{result.n_failed} failed"
                  + (f", {result.n_interrupted} cut-off attempts rerun"
                     if result.n_interrupted else ""))
    paths = write_ablation_outputs(result, plan.out, report=not args.no_report)
    console.print(f"wrote {', '.join(sorted(paths))} in {plan.out}")
    return 0
