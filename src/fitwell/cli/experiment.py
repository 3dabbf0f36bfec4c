"""``fitwell sweep`` and ``fitwell ablate``: experiments over seeds, persistent and
resumable; the command writes their data files and asks the report for the HTML."""

from __future__ import annotations

from ..data import load_dataset
from ..experiments.ablation import execute_ablation, plan_ablation, write_ablation_outputs
from ..experiments.sweep import execute_sweep, plan_sweep, write_sweep_outputs
from ..experiments.workers import WorkerOptions
from ..report import write_ablation_report, write_sweep_report
from .arguments import (
    add_data_arguments,
    add_no_report,
    add_out,
    add_recipe_arguments,
    add_split_arguments,
    positive_float,
    positive_int,
)
from .console import trial_progress

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
  fitwell ablate fashion --data fashion-mnist --train-rows 10000 --set max_iter=20 --jobs 2

Runs the full recipe, the recipe with each technique it uses removed one at a time
(dropout, penalties, normalisation, schedule, early stopping, augmentation, clipping,
label smoothing) and the plain recipe with all of them removed."""


def _shared_arguments(p, kind):
    add_recipe_arguments(p, set_help="override a recipe key first, e.g. --set max_iter=50 "
                                     "(repeatable)")
    add_data_arguments(p)
    p.add_argument("--seeds", type=positive_int, default=5,
                   help="seeds per configuration, each a separate trial (default 5)")
    p.add_argument("--jobs", type=positive_int, default=1,
                   help="worker processes on this machine (default 1)")
    p.add_argument("--storage", metavar="URL",
                   help="database of the study, shared by every worker and machine "
                        "(default: sqlite file study.db in the output folder), e.g. "
                        "postgresql://user:pass@host/db")
    p.add_argument("--study", metavar="NAME",
                   help="study name (default: derived from the recipe, data and settings, so "
                        "the same command resumes the same study)")
    add_out(p, f"{kind}-RECIPE")
    add_split_arguments(p, seed_note=", the same for every trial")
    p.add_argument("--grace-period", type=positive_float, default=60.0, metavar="SECONDS",
                   help="a trial of a worker on another machine silent this long is taken "
                        "over (default 60; dead workers on this machine are noticed at once)")
    add_no_report(p)


def register(add):
    """Add ``sweep`` and ``ablate``."""
    p = add("sweep", "Run a grid or a TPE search over recipe keys, every configuration with "
                     "several seeds, persistent and resumable; choose by validation score.",
            SWEEP_EXAMPLES, cmd_sweep)
    _shared_arguments(p, "sweep")
    p.add_argument("--grid", action="append", metavar="KEY=V1,V2,...",
                   help="values of a recipe key (TOML, like --set); with --search tpe also "
                        "LOW:HIGH or LOW:HIGH:log (repeatable)")
    p.add_argument("--search", choices=("grid", "tpe"), default="grid",
                   help="every grid combination, or Optuna's TPE sampler (default grid)")
    p.add_argument("--trials", type=positive_int,
                   help="configurations a TPE search tries (default 20)")

    p = add("ablate", "Remove each regularisation technique of a recipe in turn and measure "
                      "its contribution over seeds.", ABLATE_EXAMPLES, cmd_ablate)
    _shared_arguments(p, "ablate")


def _options(args):
    return WorkerOptions(grace_period=args.grace_period,
                         heartbeat_interval=min(5.0, args.grace_period / 4))


def _data(args):
    """The data as the experiment takes it: a name or path, or, for a table's text
    column, the loaded :class:`~fitwell.data.Dataset`."""
    if args.text_column is None:
        return args.data
    return load_dataset(args.data, target=args.target, task=args.task,
                        text_column=args.text_column)


def _plan_options(args):
    return dict(overrides=args.set or (), target=args.target, task=args.task,
                test_size=args.test_size, split_seed=args.split_seed, scale=not args.no_scale,
                train_rows=args.train_rows, storage=args.storage, study=args.study,
                out=args.out, seeds=args.seeds)


def _run(plan, execute, args, console, what, n_configs):
    """Print the header, execute the plan (resumably) and return its result."""
    experiment = plan.experiment
    console.print(f"{what} of recipe {plan.inputs.recipe_name!r} on {experiment.data_name}: "
                  f"{n_configs} × {len(experiment.seeds)} seeds = "
                  f"{n_configs * len(experiment.seeds)} trials, {args.jobs} worker"
                  f"{'s' if args.jobs > 1 else ''}")
    console.print(f"study {plan.study_name!r} in {plan.storage_label}")
    try:
        result = execute(plan, jobs=args.jobs, options=_options(args),
                         on_progress=trial_progress(console))
    except KeyboardInterrupt:
        console.error("run the same command again to resume; finished trials are kept")
        raise
    console.print()
    console.print(result.format())
    console.print()
    return result


def _counts(result, n_complete):
    return (f"{n_complete} trials complete, {result.n_failed} failed"
            + (f", {result.n_interrupted} cut-off attempts rerun"
               if result.n_interrupted else ""))


def _write(paths, result, out, write_report, args, console):
    if not args.no_report:
        paths["report"] = write_report(result, out)
    console.print(f"wrote {', '.join(sorted(paths))} in {out}")


def cmd_sweep(args, console) -> int:
    """``fitwell sweep``."""
    plan = plan_sweep(args.recipe, _data(args), args.grid or (), search=args.search,
                      trials=args.trials, **_plan_options(args))
    n_configs = plan.experiment.n_trials or len(plan.experiment.configurations)
    result = _run(plan, execute_sweep, args, console,
                  "TPE search" if args.search == "tpe" else "grid sweep", n_configs)
    console.print(_counts(result, result.n_complete))
    for record in [r for r in result.records if r["status"] == "error"][:5]:
        console.print(f"  failed: {record['unit']}: {record['error']}")
    paths = write_sweep_outputs(result, plan.out)
    if result.best is not None:
        console.print(f"best by validation: {result.best['label']} → {paths['best_recipe']}")
    _write(paths, result, plan.out, write_sweep_report, args, console)
    return 0


def cmd_ablate(args, console) -> int:
    """``fitwell ablate``."""
    plan = plan_ablation(args.recipe, _data(args), **_plan_options(args))
    result = _run(plan, execute_ablation, args, console, "ablation",
                  len(plan.experiment.configurations))
    for line in result.verdicts():
        console.print(line)
    console.print()
    console.print(_counts(result, sum(r["seeds"] for r in result.rows)))
    _write(write_ablation_outputs(result, plan.out), result, plan.out, write_ablation_report,
           args, console)
    return 0
