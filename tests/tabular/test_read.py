"""Reading tables with pandas: types, gaps, quoting, encodings, and the clear errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from fitwell.errors import DataError
from fitwell.tabular import features_and_target, read_table


def _write(tmp_path, text, name="t.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_types_gaps_and_quoted_fields(tmp_path):
    path = _write(tmp_path, 'size,colour,ok,note,y\n1.5,red,True,"a, b",0\nNA,,False,'
                            '"two\nlines",1\n3,blue,,plain,0\n')
    table = read_table(path)
    assert list(table.columns) == ["size", "colour", "ok", "note", "y"]
    assert table["size"].dtype.kind == "f" and np.isnan(table["size"][1])
    assert table["colour"].isna().tolist() == [False, True, False]
    assert table["note"].tolist() == ["a, b", "two\nlines", "plain"]
    assert table["ok"].tolist()[:2] == [True, False] and table["ok"].isna()[2]


def test_other_encodings_are_read_when_named(tmp_path):
    path = _write(tmp_path, "ville,y\nSète,1\nNîmes,0\n", encoding="latin-1")
    with pytest.raises(DataError, match="not a utf-8 text file"):
        read_table(path)
    assert read_table(path, encoding="latin-1")["ville"].tolist() == ["Sète", "Nîmes"]


@pytest.mark.parametrize("text, fragment", [
    ("", "the file is empty"),
    ("a,b\n", "at least one data row"),
    ("1,2\n3,4\n", "looks like data, not a header"),
])
def test_unreadable_tables_are_refused_clearly(tmp_path, text, fragment):
    with pytest.raises(DataError, match=fragment):
        read_table(_write(tmp_path, text))


def test_a_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="cannot read the file"):
        read_table(tmp_path / "absent.csv")


def test_parquet_without_pyarrow_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(DataError, match="needs pyarrow"):
        read_table(_write(tmp_path, "x", name="t.parquet"))


def test_target_errors_name_the_problem(penguins):
    table = penguins(20)
    with pytest.raises(DataError, match="no column named 'kind'"):
        features_and_target(table, "kind")
    with pytest.raises(DataError, match="needs --target"):
        features_and_target(table, None)
    with pytest.raises(DataError, match="'sex' has 8 empty cells"):
        features_and_target(penguins(40), "sex")
    with pytest.raises(DataError, match="feature columns too"):
        features_and_target(table[["species"]], "species")


def test_integer_valued_targets_are_class_labels(penguins):
    table = penguins(30)
    X, y = features_and_target(table, "year")
    assert y.dtype == np.int64 and "year" not in X.columns
    _, species = features_and_target(table, "species")
    assert species.dtype.kind == "U"
