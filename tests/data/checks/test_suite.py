"""The suite: presence once per column, unknown mappings, malformed data, results."""

from __future__ import annotations

import pandas as pd
import pytest

from mlci.errors import ConfigError
from tests.helpers.checks import AGES, one, run


def test_presence_is_reported_once_per_column_worst_first() -> None:
    df = pd.DataFrame({"id": [1]})
    results = run(
        df,
        {"column": "plan", "severity": "warn"},
        {"column": "id"},
        {"columns_present": ["id", "plan"], "new_columns": "allow"},
    )
    presence = [(r.column, r.status) for r in results if r.check == "missing_column"]
    assert presence == [("plan", "fail"), ("id", "pass")]


def test_markdown_column_names_are_kept_verbatim() -> None:
    name = "| `x` **y** @team"
    r = one(pd.DataFrame({name: [1, 1]}), {"column": name, "unique": True}, "unique")
    assert r.column == name and f"`{name}`" in r.message


def test_unknown_check_mapping() -> None:
    with pytest.raises(ConfigError, match=r"^Check 2 of dataset 'eval' is not a known check"):
        run(AGES, {"row_count": {"min": 1}}, {"colum": "age"})


def test_results_serialise() -> None:
    results = run(AGES, {"column": "age", "min": 0, "type": "integer"}, {"row_count": {"min": 1}})
    assert all(isinstance(r.to_dict()["examples"], list) for r in results)


# --- malformed data: a clear report, never a crash -----------------------------------------


def test_checks_on_an_all_null_column_report_clearly() -> None:
    df = pd.DataFrame({"x": [None, None, None]})
    spec = {
        "column": "x",
        "type": "number",
        "min": 0,
        "allowed": ["a"],
        "unique": True,
        "pattern": "a",
        "min_length": 1,
        "not_constant": True,
    }
    results = {r.check: r for r in run(df, spec)}
    assert results["type"].status == "pass"
    assert results["range"].message == "`x` has no values to compare with the range ≥ 0."
    assert results["allowed"].status == "pass"
    assert results["unique"].status == "pass"
    assert results["length"].observed == "no values"
    assert results["not_constant"].status == "fail"


def test_unicode_and_markdown_column_names_in_new_checks() -> None:
    name = "größe | **x** `y`"
    df = pd.DataFrame({name: ["a", "a"]})
    r = one(df, {"column": name, "pattern": "b"}, "pattern")
    assert r.column == name and f"`{name}`" in r.message
