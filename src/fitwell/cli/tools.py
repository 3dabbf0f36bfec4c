"""``fitwell schedules`` and ``fitwell gradcheck``: the engine's tools."""

from __future__ import annotations

import os

from ..optim import schedules as s
from ..report import ScheduleComparisonDisplay, save_figure
from ..testing import check_all
from .arguments import UsageError

__all__ = ["register", "all_schedules", "cmd_schedules", "cmd_gradcheck"]

EXAMPLES = {
    "schedules": "examples:\n  fitwell schedules\n  fitwell schedules --epochs 50 --out lr.png",
    "gradcheck": "examples:\n  fitwell gradcheck",
}

#: the fewest epochs that show every schedule's shape
_MIN_EPOCHS = 4


def register(add):
    """Add ``schedules`` and ``gradcheck``."""
    p = add("schedules", "Plot every learning-rate schedule side by side to a PNG.",
            EXAMPLES["schedules"], cmd_schedules)
    p.add_argument("--epochs", type=int, default=100, help="epochs to plot (default 100)")
    p.add_argument("--out", default="schedules.png", help="PNG file (default schedules.png)")

    p = add("gradcheck", "Check every layer's and loss's backward pass against central "
                         "differences and print the relative errors.",
            EXAMPLES["gradcheck"], cmd_gradcheck)
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs")


def all_schedules(epochs, base_lr=0.1):
    """One instance of every schedule, sized for ``epochs``, for the comparison plot."""
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
    if args.epochs < _MIN_EPOCHS:
        raise UsageError(f"--epochs must be at least {_MIN_EPOCHS}, got {args.epochs}")
    display = ScheduleComparisonDisplay.from_schedules(all_schedules(args.epochs),
                                                       epochs=args.epochs)
    directory = os.path.dirname(args.out)
    if directory:
        os.makedirs(directory, exist_ok=True)
    save_figure(display, args.out)
    console.print(f"wrote {args.out}")
    return 0


def cmd_gradcheck(args, console):
    results = check_all(seed=args.seed)
    width = max(len(r.name) for r in results)
    lines = [f"{'check':<{width}}  {'max rel. error':>14}  result", "─" * (width + 24)]
    lines += [f"{r.name:<{width}}  {r.max_rel_error:14.2e}  {'ok' if r.passed else 'FAILED'}"
              for r in results]
    failed = [r for r in results if not r.passed]
    lines.append(f"\n{len(results) - len(failed)} passed, {len(failed)} failed "
                 "(float64 central differences)")
    console.result("\n".join(lines))
    return 1 if failed else 0
