"""The schedules' argument checks (their values are checked against PyTorch in
test_oracle_schedules.py)."""

from __future__ import annotations

import pytest

from fitwell import schedules
from fitwell.errors import ParameterError

BAD_CONSTRUCTORS = [
    (lambda: schedules.CosineAnnealing(0.1, t_max=0),
     r"CosineAnnealing: t_max must be .*>= 1, got 0"),
    (lambda: schedules.CosineAnnealing(-0.1, t_max=10), r"CosineAnnealing: base_lr must be"),
]


@pytest.mark.parametrize(("make", "message"), BAD_CONSTRUCTORS,
                         ids=[f"{i}" for i in range(len(BAD_CONSTRUCTORS))])
def test_constructors_validate_their_arguments(make, message):
    with pytest.raises(ParameterError, match=message):
        make()
