"""What the command prints: the only place in fitwell that writes to the terminal."""

from __future__ import annotations

import sys
import time

__all__ = ["Console", "format_runs_table", "progress_callbacks", "trial_progress"]


class Console:
    """Prints to standard output unless ``quiet``; errors go to standard error always."""

    def __init__(self, quiet=False):
        self.quiet = quiet

    def print(self, text=""):
        if not self.quiet:
            print(text, flush=True)

    def result(self, text):
        """Print what the user asked for (a JSON line, a table), even when quiet."""
        print(text, flush=True)

    @staticmethod
    def error(text):
        print(f"fitwell: {text}", file=sys.stderr, flush=True)


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


def progress_callbacks(console) -> list:
    """Training callbacks that show progress (none when quiet)."""
    if console.quiet:
        return []
    from ..training import ProgressBar

    return [ProgressBar()]


def trial_progress(console, every_s=2.0):
    """An ``on_progress(done, total)`` that prints at most every ``every_s`` seconds (and
    always the last count)."""
    state = {"last": -1, "time": 0.0}

    def report(done, total):
        now = time.monotonic()
        if done == state["last"] or (done < total and now - state["time"] < every_s):
            return
        state["last"], state["time"] = done, now
        console.print(f"  {done}/{total} trials done")

    return report
