"""The ``min``/``max`` assertion."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.helpers.checks import AGES, one

# --- range -------------------------------------------------------------------------------


def test_range_breach_both_sides() -> None:
    r = one(AGES, {"column": "age", "min": 0, "max": 120}, "range")
    assert r.status == "fail"
    assert r.message == (
        "`age` has 1 value below the minimum 0 (min -5) and 2 values above the maximum 120 "
        "(max 150)."
    )
    assert (r.observed, r.expected) == ("-5..150", "[0, 120]")
    assert r.examples == ("-5", "150", "130")


def test_range_above_only_matches_the_documented_sentence() -> None:
    r = one(pd.DataFrame({"age": [1, 150, 151, 150]}), {"column": "age", "max": 120}, "range")
    assert r.message == "`age` has 3 values above the maximum 120 (max 151)."
    assert (r.expected, r.examples) == ("≤ 120", ("151", "150"))


def test_range_pass_and_inclusive_bounds() -> None:
    r = one(pd.DataFrame({"x": [0.0, 0.5, 1.0]}), {"column": "x", "min": 0, "max": 1}, "range")
    assert (r.status, r.message) == ("pass", "`x` is within [0, 1] (observed 0 to 1).")


def test_range_counts_infinity_as_out_of_range() -> None:
    r = one(pd.DataFrame({"x": [1.0, np.inf]}), {"column": "x", "max": 10}, "range")
    assert (r.status, r.examples) == ("fail", ("inf",))


def test_range_of_a_text_column_with_numbers_checks_the_numbers() -> None:
    df = pd.DataFrame({"x": ["5", "50", "oops"]})
    r = one(df, {"column": "x", "max": 10}, "range")
    assert (r.status, r.observed) == ("fail", "5..50")


def test_range_of_a_column_that_is_not_numeric() -> None:
    r = one(pd.DataFrame({"x": ["a", "b"]}), {"column": "x", "min": 0}, "range")
    assert r.status == "fail"
    assert r.message == (
        "`x` is not numeric or dates (dtype str); its range ≥ 0 cannot be checked."
    )


def test_range_of_dates() -> None:
    df = pd.DataFrame({"when": pd.to_datetime(["2023-12-31", "2024-01-05", "2024-01-09"])})
    r = one(df, {"column": "when", "min": "2024-01-01"}, "range")
    assert r.message == "`when` has 1 value below the minimum 2024-01-01 (min 2023-12-31)."
    assert (r.observed, r.examples) == ("2023-12-31..2024-01-09", ("2023-12-31",))


def test_range_of_date_strings() -> None:
    df = pd.DataFrame({"when": ["2024-01-01", "2024-03-01T12:00:00", None]})
    r = one(df, {"column": "when", "max": "2024-02-01"}, "range")
    assert r.examples == ("2024-03-01T12:00:00",)


def test_range_of_an_all_null_column_passes() -> None:
    r = one(pd.DataFrame({"x": [np.nan, np.nan]}), {"column": "x", "min": 0}, "range")
    assert (r.status, r.observed) == ("pass", "no values")
