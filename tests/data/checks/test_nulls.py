"""Assertions read from the profile: dtype, nulls, empty and constant columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.helpers.checks import AGES, one

# --- nulls -------------------------------------------------------------------------------


def test_not_nullable() -> None:
    r = one(AGES, {"column": "age", "nullable": False}, "nullable")
    assert (r.status, r.observed, r.expected) == ("fail", "1 null", "no nulls")
    assert r.message == "`age` has 1 null value (16.7%) but is not nullable."
    ok = one(AGES.dropna(), {"column": "age", "nullable": False}, "nullable")
    assert (ok.status, ok.message) == ("pass", "`age` has no nulls.")


def test_nullable_true_always_passes() -> None:
    assert one(AGES, {"column": "age", "nullable": True}, "nullable").status == "pass"


def test_max_null_fraction() -> None:
    r = one(AGES, {"column": "age", "max_null_fraction": 0.1}, "null_fraction")
    assert (r.status, r.observed, r.expected) == ("fail", "16.7%", "≤ 10%")
    assert r.message == "`age` has 16.7% nulls (1 of 6), above the maximum 10%."
    r = one(AGES, {"column": "age", "max_null_fraction": 1 / 6}, "null_fraction")
    assert r.status == "pass"  # the bound is inclusive


def test_null_fraction_counts_none_in_strings() -> None:
    df = pd.DataFrame({"plan": ["a", None, "b", None]})
    r = one(df, {"column": "plan", "max_null_fraction": 0.25, "severity": "warn"}, "null_fraction")
    assert (r.status, r.severity, r.observed) == ("warn", "warn", "50%")


# --- constant and empty columns ------------------------------------------------------------


def test_not_constant() -> None:
    df = pd.DataFrame(
        {"k": ["x", "x", None], "n": [1.0, 1.0, 1.0], "v": [1, 2, 3], "e": [None, None, None]}
    )
    r = one(df, {"column": "k", "not_constant": True}, "not_constant")
    assert (r.status, r.message, r.examples) == (
        "fail",
        "`k` has the same value 'x' in all 2 non-null rows.",
        ("'x'",),
    )
    assert one(df, {"column": "n", "not_constant": True}, "not_constant").message == (
        "`n` has the same value 1 in all 3 non-null rows."
    )
    assert one(df, {"column": "v", "not_constant": True}, "not_constant").status == "pass"
    r = one(df, {"column": "e", "not_constant": True, "severity": "warn"}, "not_constant")
    assert (r.status, r.message) == ("warn", "`e` has no values (all null), so it is constant.")


def test_not_empty() -> None:
    df = pd.DataFrame({"e": [None, None], "f": [np.nan, 1.0]})
    r = one(df, {"column": "e", "not_empty": True}, "not_empty")
    assert (r.status, r.message) == ("fail", "`e` is empty: all 2 of its values are null.")
    assert one(df, {"column": "f", "not_empty": True}, "not_empty").status == "pass"


def test_physical_type() -> None:
    df = pd.DataFrame({"n": np.array([1, 2], dtype=np.int32), "s": ["a", "b"]})
    r = one(df, {"column": "n", "dtype": "int64"}, "dtype")
    assert (r.status, r.observed, r.expected) == ("fail", "int32", "int64")
    assert r.message == "`n` should be stored as int64 but is int32."
    r = one(df, {"column": "s", "dtype": "str"}, "dtype")
    assert (r.status, r.message) == ("pass", "`s` is stored as str.")
