"""The optimisers' argument checks (their updates are checked against PyTorch in
test_oracle_optim.py and against the compiled path in test_compiled_updates.py)."""

from __future__ import annotations

import numpy as np
import pytest

from fitwell import optim
from fitwell.errors import ParameterError

_W = {"w": np.ones(3)}


BAD_CONSTRUCTORS = [
    (lambda: optim.SGD(_W, lr=-0.1), r"SGD: lr must be .*got -0\.1"),
    (lambda: optim.Adam(_W, lr=-0.1), r"Adam: lr must be .*got -0\.1"),
    (lambda: optim.AdamW(_W, lr=-0.1), r"AdamW: lr must be .*got -0\.1"),
    (lambda: optim.Adam(_W, betas=(1.0, 0.9)), r"Adam: betas\[0\] must be .*got 1\.0"),
    (lambda: optim.SGD(_W, lr=0.1, nesterov=True), r"SGD: nesterov=True requires momentum > 0"),
    (lambda: optim.SGD({}, lr=0.1), r"SGD: params must be a non-empty dict"),
]


@pytest.mark.parametrize(("make", "message"), BAD_CONSTRUCTORS,
                         ids=[f"{i}" for i in range(len(BAD_CONSTRUCTORS))])
def test_constructors_validate_their_arguments(make, message):
    with pytest.raises(ParameterError, match=message):
        make()
