"""Column checks: a column's presence, and one result per assertion in order."""

from __future__ import annotations

from mlci.results import CheckResult
from tests.helpers.checks import AGES, one, run

# --- presence ----------------------------------------------------------------------------


def test_missing_column_fails_and_skips_its_other_assertions() -> None:
    results = run(AGES, {"column": "plan", "type": "string", "allowed": ["a"]})
    assert results == [
        CheckResult(
            dataset="eval",
            check="missing_column",
            column="plan",
            status="fail",
            severity="error",
            message="Column `plan` is missing from dataset 'eval'.",
            observed="absent",
            expected="present",
        )
    ]


def test_missing_column_with_warn_severity_warns() -> None:
    r = one(AGES, {"column": "plan", "severity": "warn"}, "missing_column")
    assert (r.status, r.severity) == ("warn", "warn")


def test_optional_missing_column_is_skipped() -> None:
    r = one(AGES, {"column": "plan", "required": False, "type": "string"}, "missing_column")
    assert r.status == "skipped"
    assert r.message == "Optional column `plan` is absent; its checks were skipped."


def test_present_column_passes_presence() -> None:
    r = one(AGES, {"column": "age"}, "missing_column")
    assert (r.status, r.message) == ("pass", "Column `age` is present.")


def test_one_result_per_assertion_in_order() -> None:
    spec = {
        "column": "age",
        "type": "integer",
        "nullable": True,
        "max_null_fraction": 0.5,
        "min": 0,
        "allowed": [10],
        "unique": True,
    }
    checks = [r.check for r in run(AGES, spec)]
    assert checks == [
        "missing_column",
        "type",
        "nullable",
        "null_fraction",
        "range",
        "allowed",
        "unique",
    ]


def test_unique_false_asserts_nothing() -> None:
    assert [r.check for r in run(AGES, {"column": "age", "unique": False})] == ["missing_column"]
