"""Statistics over seeds: summaries against NumPy and SciPy, verdicts from intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from fitwell.experiments.stats import paired_differences, summarize, verdict


def test_summary_matches_numpy_and_scipy():
    values = [97.0, 98.5, 96.5, 97.8, 98.1]
    s = summarize(values)
    low, high = scipy_stats.t.interval(0.95, df=4, loc=np.mean(values),
                                       scale=scipy_stats.sem(values))
    assert (s.n, s.mean, s.std) == (5, pytest.approx(np.mean(values)),
                                    pytest.approx(np.std(values, ddof=1)))
    assert (s.ci_low, s.ci_high) == (pytest.approx(low), pytest.approx(high))
    one = summarize([3.0])
    assert one.mean == 3.0 and math.isnan(one.std) and math.isnan(one.ci_low)
    assert summarize([]).n == 0


def test_verdicts_read_the_interval():
    assert verdict(summarize([1.0, 1.2, 0.9, 1.1])) == "helps"
    assert verdict(summarize([-1.0, -1.2, -0.9, -1.1])) == "hurts"
    assert verdict(summarize([1.0, -1.0, 0.5, -0.4])) == "no measurable effect"
    assert verdict(summarize([5.0])) == "no measurable effect"
    assert paired_differences({0: 2.0, 1: 3.0, 2: 1.0}, {0: 1.0, 1: 1.0}) == [1.0, 2.0]
