"""The ``type`` assertion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlci.errors import ConfigError
from tests.helpers.checks import AGES, one, run

# --- type --------------------------------------------------------------------------------


def frame_of_types() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "int": [1, 2, 3],
            "int_with_nulls": [1.0, np.nan, 3.0],  # how CSV reads an int column with nulls
            "float": [1.0, 2.5, 3.0],
            "nullable_int": pd.array([1, None, 3], dtype="Int64"),
            "str": ["a", "b", None],
            "bool": [True, False, True],
            "bool_obj": pd.Series([True, None, False], dtype=object),
            "date_str": ["2024-01-01", "2024-01-02T10:00:00", None],
            "datetime": pd.to_datetime(["2024-01-01", "2024-01-02", None]),
            "mixed": pd.Series(["a", 1, None], dtype=object),
            "cat": pd.Categorical(["x", "y", "x"]),
        }
    )


PASSES = {
    "integer": {"int", "int_with_nulls", "nullable_int"},
    "number": {"int", "int_with_nulls", "float", "nullable_int"},
    # an object column of mixed types is read as text (as JSON lines with mixed types are)
    "string": {"str", "date_str", "mixed"},
    "boolean": {"bool", "bool_obj"},
    "datetime": {"date_str", "datetime"},
    "category": set(frame_of_types().columns),
}


@pytest.mark.parametrize("expected", sorted(PASSES))
def test_type_semantics(expected: str) -> None:
    df = frame_of_types()
    specs = [{"column": c, "type": expected} for c in df.columns]
    passed = {r.column for r in run(df, *specs) if r.check == "type" and r.status == "pass"}
    assert passed == PASSES[expected]


def test_type_fail_names_the_offending_values() -> None:
    r = one(frame_of_types(), {"column": "float", "type": "integer"}, "type")
    assert r.status == "fail"
    assert r.message == "`float` should be integer but 1 of its 3 values is not, e.g. 2.5."
    assert (r.observed, r.expected, r.examples) == ("number (dtype float64)", "integer", ("2.5",))


def test_type_fail_of_the_whole_dtype() -> None:
    df = pd.DataFrame({"age": ["young", "old", "young"]})
    r = one(df, {"column": "age", "type": "number"}, "type")
    assert r.message == "`age` should be number but is string (dtype str), e.g. 'young', 'old'."
    assert r.examples == ("'young'", "'old'")


def test_type_of_strings_that_are_partly_numbers() -> None:
    df = pd.DataFrame({"age": ["1", "2", "n/a", "4"]})
    r = one(df, {"column": "age", "type": "number"}, "type")
    assert r.message == "`age` should be number but 1 of its 4 values is not, e.g. 'n/a'."


def test_type_of_unparsable_dates() -> None:
    df = pd.DataFrame({"when": ["2024-01-01", "2024-02-30", "soon", None]})
    r = one(df, {"column": "when", "type": "datetime"}, "type")
    assert r.message == (
        "`when` should be datetime but 2 of its 3 values are not, e.g. '2024-02-30', 'soon'."
    )


def test_type_pass_message() -> None:
    r = one(frame_of_types(), {"column": "int_with_nulls", "type": "integer"}, "type")
    assert (r.status, r.message) == (
        "pass",
        "`int_with_nulls` is integer as expected (dtype float64).",
    )


def test_long_examples_are_truncated_to_40_characters() -> None:
    df = pd.DataFrame({"x": ["y" * 100]})
    r = one(df, {"column": "x", "type": "number"}, "type")
    assert r.examples == ("'" + "y" * 38 + "…",)
    assert len(r.examples[0]) == 40


def test_integer_type_of_text_names_the_non_integers() -> None:
    df = pd.DataFrame({"n": ["1", "2.5", "x", "4"]})
    r = one(df, {"column": "n", "type": "integer"}, "type")
    assert r.message == "`n` should be integer but 2 of its 4 values are not, e.g. '2.5', 'x'."
    # text that is all integers is still text
    r = one(pd.DataFrame({"n": ["1", "2"]}), {"column": "n", "type": "integer"}, "type")
    assert r.message == "`n` should be integer but is string (dtype str), e.g. '1', '2'."


def test_unknown_type() -> None:
    with pytest.raises(ConfigError, match=r"^Unknown column type 'int'\. Expected one of integer"):
        run(AGES, {"column": "age", "type": "int"})
