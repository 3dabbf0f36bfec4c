"""A fitted table preprocessing as plain arrays + JSON and back: the same numbers, and a
corrupt description refused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitwell.errors import ModelFileError
from fitwell.tabular import tabular_preprocessor
from fitwell.tabular.store import from_plain, to_plain


def _round_trip(pre):
    spec, arrays = to_plain(pre)
    spec = json.loads(json.dumps(spec))  # what a model file holds
    assert all(a.dtype.kind in "fU" for a in arrays.values())  # plain arrays, no objects
    return from_plain(spec, arrays)


@pytest.mark.parametrize("scale", [True, False])
def test_the_rebuilt_transformer_gives_identical_numbers(penguins, scale):
    table = penguins(200).drop(columns="species")
    pre = tabular_preprocessor(table, scale=scale).fit(table.iloc[:150])
    again = _round_trip(pre)
    new = penguins(50, seed=1).drop(columns="species")
    new.loc[0, "island"] = "Atlantis"
    np.testing.assert_array_equal(again.transform(new), pre.transform(new))
    assert list(again.get_feature_names_out()) == list(pre.get_feature_names_out())


_cells = st.one_of(st.none(), st.sampled_from(["a", "b", "c d", "é"]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_round_trip_of_random_tables(data):
    """Random small tables of numbers, booleans and text with gaps."""
    n = data.draw(st.integers(2, 8))
    numbers = data.draw(st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6)), min_size=n,
                                 max_size=n).filter(lambda v: any(x is not None for x in v)))
    flags = data.draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n)
                      .filter(lambda v: any(x is not None for x in v)))
    text = data.draw(st.lists(_cells, min_size=n, max_size=n)
                     .filter(lambda v: any(x is not None for x in v)))
    table = pd.DataFrame({"n": pd.Series(numbers, dtype=float),
                          "f": pd.Series(flags, dtype=object), "t": pd.Series(text, dtype=object)})
    pre = tabular_preprocessor(table).fit(table)
    np.testing.assert_array_equal(_round_trip(pre).transform(table), pre.transform(table))


@pytest.mark.parametrize("damage, fragment", [
    (lambda s, a: s.update(version=7), "unknown version"),
    (lambda s, a: s["kinds"].update(numeric=["nope"]), "every kind"),
    (lambda s, a: s["kinds"]["categorical"].pop(), "exactly one kind"),
    (lambda s, a: a.update({"numeric/median": np.zeros(9)}), "must hold"),
    (lambda s, a: a.pop("categories/0"), "text categories"),
    (lambda s, a: a.update({"categories/0": np.array(["b", "a", "a"])}), "not among|sorted"),
    (lambda s, a: a.update({"extra": np.zeros(1)}), "unexpected arrays"),
])
def test_a_corrupt_description_is_a_model_file_error(penguins, damage, fragment):
    table = penguins(60).drop(columns="species")
    spec, arrays = to_plain(tabular_preprocessor(table).fit(table))
    damage(spec, arrays)
    with pytest.raises(ModelFileError, match=fragment):
        from_plain(spec, arrays)
