"""What the experiment tests share: a tiny recipe (each trial takes a few hundredths of
a second) and helpers that read a study back through Optuna."""

from __future__ import annotations

from collections import Counter

import optuna

#: a small, fast network; each trial takes a few hundredths of a second
TINY = {"hidden_layer_sizes": [16], "max_iter": 8, "batch_size": 64, "tol": 0.0,
        "validation_fraction": 0.25, "learning_rate_init": 0.01, "random_state": 0}


def study_of(url):
    """The one study stored at ``url``."""
    summaries = optuna.study.get_all_study_summaries(url)
    assert len(summaries) == 1
    return optuna.load_study(study_name=summaries[0].study_name, storage=url)


def units_of(trials, state="COMPLETE"):
    """How many trials in ``state`` each unit has."""
    return Counter(t.user_attrs["fitwell_unit"] for t in trials if t.state.name == state)
