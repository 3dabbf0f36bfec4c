"""Statistics over seeds: mean, standard deviation, t intervals and paired differences.

Everything here works on plain sequences of floats (scores in points) and never
looks at how they were produced, so it is tested with hand-made numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Summary", "summarize", "paired_differences", "verdict", "format_effect"]


@dataclass(frozen=True)
class Summary:
    """Mean, sample standard deviation and a two-sided t interval of ``n`` values.

    ``std`` uses ``ddof=1``; ``ci_low``/``ci_high`` bound the mean at ``level``
    (Student's t with ``n - 1`` degrees of freedom). With fewer than two values
    the spread and the interval are ``nan``.
    """

    n: int
    mean: float
    std: float
    ci_low: float
    ci_high: float
    level: float = 0.95

    @property
    def half_width(self) -> float:
        """Half the interval's width (``nan`` when there is no interval)."""
        return (self.ci_high - self.ci_low) / 2.0


def summarize(values, level=0.95) -> Summary:
    """Summarise ``values``, ignoring ``nan``.

    Examples
    --------
    >>> s = summarize([1.0, 2.0, 3.0])
    >>> round(s.mean, 3), round(s.std, 3), round(s.ci_low, 3), round(s.ci_high, 3)
    (2.0, 1.0, -0.484, 4.484)
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    xs = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    n = len(xs)
    if n == 0:
        return Summary(0, math.nan, math.nan, math.nan, math.nan, level)
    mean = math.fsum(xs) / n
    if n == 1:
        return Summary(1, mean, math.nan, math.nan, math.nan, level)
    std = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))
    from scipy.stats import t

    half = float(t.ppf(0.5 + level / 2.0, df=n - 1)) * std / math.sqrt(n)
    return Summary(n, mean, std, mean - half, mean + half, level)


def paired_differences(first: dict, second: dict) -> list[float]:
    """``first[seed] - second[seed]`` for every seed present (and finite) in both.

    Pairing by seed removes the part of the noise both runs share (the same
    initial weights, the same shuffling), which is what makes an ablation with
    five seeds informative.
    """
    out = []
    for seed in sorted(set(first) & set(second)):
        a, b = first[seed], second[seed]
        if a is None or b is None or math.isnan(a) or math.isnan(b):
            continue
        out.append(float(a) - float(b))
    return out


def verdict(summary: Summary) -> str:
    """``"helps"`` when the interval lies above 0, ``"hurts"`` when below, else
    ``"no measurable effect"`` (also when there is no interval: fewer than 2 seeds)."""
    if summary.n >= 2 and not math.isnan(summary.ci_low):
        if summary.ci_low > 0:
            return "helps"
        if summary.ci_high < 0:
            return "hurts"
    return "no measurable effect"


def format_effect(summary: Summary, unit="points") -> str:
    """``"+1.2 ± 0.4 points"`` (the ± is the half-width of the interval)."""
    if summary.n == 0:
        return "n/a"
    if math.isnan(summary.half_width):
        return f"{summary.mean:+.1f} {unit} (one seed, no interval)"
    return f"{summary.mean:+.1f} ± {summary.half_width:.1f} {unit}"
