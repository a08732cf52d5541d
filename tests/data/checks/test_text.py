"""Assertions on values as written: pattern, date format, length."""

from __future__ import annotations

import pandas as pd

from tests.helpers.checks import one

# --- text: pattern, date format, length ----------------------------------------------------

CODES = pd.DataFrame({"code": ["ABC-1", "abc-2", "XYZ-33", None, "Q", "abc-2"]})


def test_pattern_is_a_full_match() -> None:
    r = one(CODES, {"column": "code", "pattern": "[A-Z]{3}-[0-9]+"}, "pattern")
    assert (r.status, r.observed, r.expected) == (
        "fail",
        "3 not matching",
        "matches `[A-Z]{3}-[0-9]+`",
    )
    assert r.message == (
        "`code` has 3 values (60%) that do not match the pattern `[A-Z]{3}-[0-9]+`, "
        "e.g. 'abc-2', 'Q'."
    )
    assert r.examples == ("'abc-2'", "'Q'")
    ok = one(CODES, {"column": "code", "pattern": "(?i)[a-z]{1,3}(-[0-9]+)?"}, "pattern")
    assert (ok.status, ok.message) == (
        "pass",
        "All values of `code` match the pattern `(?i)[a-z]{1,3}(-[0-9]+)?`.",
    )


def test_pattern_beyond_re2_uses_python_regex() -> None:
    # a look-behind: RE2 (Arrow) has none, Python's re does
    r = one(CODES, {"column": "code", "pattern": "[A-Z]+-(?<=-)[0-9]+"}, "pattern")
    assert (r.status, r.examples) == ("fail", ("'abc-2'", "'Q'"))


def test_pattern_on_numbers_matches_their_text() -> None:
    df = pd.DataFrame({"zip": [12345, 1234, 99999]})
    r = one(df, {"column": "zip", "pattern": "[0-9]{5}", "severity": "warn"}, "pattern")
    assert (r.status, r.examples) == ("warn", ("1234",))


def test_date_format() -> None:
    df = pd.DataFrame({"day": ["2024-01-31", "2024-02-30", "31/01/2024", None, "2024-1-5"]})
    r = one(df, {"column": "day", "date_format": "%Y-%m-%d"}, "date_format")
    assert r.status == "fail"
    assert r.message == (
        "`day` has 2 values (50%) that are not dates in the format %Y-%m-%d, "
        "e.g. '2024-02-30', '31/01/2024'."
    )
    ok = one(df.iloc[[0]], {"column": "day", "date_format": "%Y-%m-%d"}, "date_format")
    assert (ok.status, ok.message) == (
        "pass",
        "All values of `day` are dates in the format %Y-%m-%d.",
    )


def test_date_format_of_a_datetime_column_passes() -> None:
    df = pd.DataFrame({"when": pd.to_datetime(["2024-01-01"])})
    r = one(df, {"column": "when", "date_format": "%d.%m.%Y"}, "date_format")
    assert r.status == "pass" and "stored as dates already" in r.message


def test_string_length() -> None:
    df = pd.DataFrame({"name": ["Ann", "Bo", "Christopher", None, "Eve"]})
    r = one(df, {"column": "name", "min_length": 3, "max_length": 10}, "length")
    assert (r.status, r.observed, r.expected) == ("fail", "2..11", "3..10 characters")
    assert r.message == (
        "`name` has 2 values (50%) of a length outside 3..10 characters (observed 2..11), "
        "e.g. 'Bo', 'Christopher'."
    )
    r = one(df, {"column": "name", "max_length": 11}, "length")
    assert (r.status, r.message) == (
        "pass",
        "The lengths of `name` are within ≤ 11 characters (observed 2..11).",
    )


def test_length_counts_characters_not_bytes() -> None:
    r = one(pd.DataFrame({"w": ["größe", "日本"]}), {"column": "w", "max_length": 5}, "length")
    assert r.status == "pass"
