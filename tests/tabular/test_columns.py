"""Column kinds and the cell converters: what each column is, and clear refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fitwell.errors import DataError
from fitwell.tabular.columns import as_booleans, as_numbers, as_text, column_kinds, is_missing


def test_penguin_columns_by_kind(penguins):
    kinds = column_kinds(penguins(60).drop(columns="species"))
    assert kinds == {
        "numeric": ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g",
                    "year"],
        "boolean": ["tagged"], "categorical": ["island", "sex"],
        "missing": ["bill_length_mm", "body_mass_g", "sex", "tagged"]}


def test_high_cardinality_text_is_refused_by_name():
    table = pd.DataFrame({"name": [f"bird {i}" for i in range(60)], "x": np.arange(60.0)})
    with pytest.raises(DataError, match=r"text columns \['name \(60 values\)'\]"):
        column_kinds(table)
    assert column_kinds(table, max_categories=60)["categorical"] == ["name"]


def test_empty_columns_and_unnamed_columns_are_refused():
    with pytest.raises(DataError, match=r"columns \['blank'\] have no values"):
        column_kinds(pd.DataFrame({"blank": [None, " "], "x": [1.0, 2.0]}))
    with pytest.raises(DataError, match="column names must be text"):
        column_kinds(pd.DataFrame(np.zeros((3, 2))))


def test_converters_read_gaps_as_missing():
    table = pd.DataFrame({"n": ["1.5", None, " "], "b": ["TRUE", "false", None],
                          "t": ["a ", pd.NA, "b"]}, dtype=object)
    np.testing.assert_array_equal(as_numbers(table[["n"]]).ravel(), [1.5, np.nan, np.nan])
    np.testing.assert_array_equal(as_booleans(table[["b"]]).ravel(), [1.0, 0.0, np.nan])
    text = as_text(table[["t"]]).ravel()
    assert text[0] == "a" and text[2] == "b" and text[1] != text[1]
    np.testing.assert_array_equal(is_missing(table), [[0, 0, 0], [1, 0, 1], [1, 1, 0]])


def test_converters_name_the_bad_cell():
    with pytest.raises(DataError, match=r"column 'n' holds numbers, but row 1 has 'abc'"):
        as_numbers(pd.DataFrame({"n": ["1", "abc"]}))
    with pytest.raises(DataError, match="infinite value in row 0"):
        as_numbers(pd.DataFrame({"n": [np.inf, 1.0]}))
    with pytest.raises(DataError, match=r"column 'b' holds True/False, but row 0 has 'maybe'"):
        as_booleans(pd.DataFrame({"b": ["maybe"]}))
