from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlci.data.checks import run_checks
from mlci.errors import ConfigError
from mlci.results import CheckResult


def run(df: pd.DataFrame, *specs: Mapping[str, Any], **kw: Any) -> list[CheckResult]:
    return run_checks("eval", df, list(specs), **kw)


def only(results: list[CheckResult], name: str) -> CheckResult:
    found = [r for r in results if r.check == name]
    assert len(found) == 1, [r.check for r in results]
    return found[0]


def one(df: pd.DataFrame, spec: Mapping[str, Any], name: str, **kw: Any) -> CheckResult:
    return only(run(df, spec, **kw), name)


AGES = pd.DataFrame({"age": [10, 150, -5, 130, np.nan, 40]})


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


# --- allowed -----------------------------------------------------------------------------

PLANS = pd.DataFrame({"plan": ["basic", "gold", "pro", "gold", "silver", None, "basic", "pro"]})


def test_allowed_values() -> None:
    r = one(PLANS, {"column": "plan", "allowed": ["basic", "pro", "enterprise"]}, "allowed")
    assert r.status == "fail"
    assert r.message == (
        "`plan` has 3 values (42.9%) outside the allowed set, more than the tolerated 0%, "
        "e.g. 'gold', 'silver'."
    )
    assert r.examples == ("'gold' ×2", "'silver' ×1")
    assert (r.observed, r.expected) == ("3 unseen (42.9%)", "≤ 0% outside [basic, pro, enterprise]")


def test_allowed_within_the_tolerated_share() -> None:
    spec = {"column": "plan", "allowed": ["basic", "pro"], "max_unseen_fraction": 0.5}
    r = one(PLANS, spec, "allowed")
    assert r.status == "pass"
    assert r.message.endswith("within the tolerated 50%, e.g. 'gold', 'silver'.")


def test_allowed_all_known() -> None:
    spec = {"column": "plan", "allowed": ["basic", "pro", "gold", "silver"]}
    r = one(PLANS, spec, "allowed")
    assert (r.status, r.message, r.examples) == ("pass", "All values of `plan` are allowed.", ())


def test_allowed_matches_numbers_across_types() -> None:
    df = pd.DataFrame({"n": [1.0, 2.0, np.nan], "s": ["1", "2", "3"]})
    assert one(df, {"column": "n", "allowed": [1, 2]}, "allowed").status == "pass"
    r = one(df, {"column": "s", "allowed": [1, 2]}, "allowed")
    assert (r.status, r.examples) == ("fail", ("'3' ×1",))


def test_allowed_examples_are_capped_at_five_by_count() -> None:
    df = pd.DataFrame({"c": list("abbcccddddeeeeeffffff")})
    r = one(df, {"column": "c", "allowed": []}, "allowed")
    assert r.examples == ("'f' ×6", "'e' ×5", "'d' ×4", "'c' ×3", "'b' ×2")


# --- unique ------------------------------------------------------------------------------


def test_unique() -> None:
    df = pd.DataFrame({"id": [1, 2, 2, 3, 3, 3, None]})
    r = one(df, {"column": "id", "unique": True}, "unique")
    assert r.status == "fail"
    assert r.message == "`id` has 2 duplicated values (5 rows), e.g. 2, 3."
    assert (r.observed, r.examples) == ("2 duplicated values", ("3 ×3", "2 ×2"))


def test_unique_ignores_nulls() -> None:
    df = pd.DataFrame({"id": ["a", None, None]})
    r = one(df, {"column": "id", "unique": True}, "unique")
    assert (r.status, r.message) == ("pass", "All values of `id` are unique.")


# --- row count, unique key, overlap ------------------------------------------------------


def test_row_count() -> None:
    r = one(AGES, {"row_count": {"min": 10}}, "row_count")
    assert (r.status, r.column, r.observed, r.expected) == ("fail", None, "6", "≥ 10")
    assert r.message == "Dataset 'eval' has 6 rows, fewer than the minimum 10."
    r = one(AGES, {"row_count": {"max": 5}, "severity": "warn"}, "row_count")
    assert (r.status, r.message) == ("warn", "Dataset 'eval' has 6 rows, more than the maximum 5.")
    r = one(AGES, {"row_count": {"min": 6, "max": 1000}}, "row_count")
    assert (r.status, r.message) == ("pass", "Dataset 'eval' has 6 rows (6..1,000).")


KEYS = pd.DataFrame(
    {"user": [1, 1, 2, 2, 2, 3, None], "day": ["mon", "tue", "mon", "mon", "tue", "mon", "mon"]}
)


def test_unique_key_compound() -> None:
    r = one(KEYS, {"unique_key": ["user", "day"]}, "unique_key")
    assert (r.status, r.column) == ("fail", None)
    assert r.message == "The key [`user`, `day`] has 1 duplicated key (2 rows), e.g. (2, 'mon')."
    assert r.examples == ("(2, 'mon') ×2",)


def test_unique_key_passes_when_unique() -> None:
    r = one(KEYS.iloc[:3], {"unique_key": ["user", "day"], "severity": "warn"}, "unique_key")
    assert (r.status, r.message) == ("pass", "The key [`user`, `day`] is unique.")


def test_unique_key_with_a_missing_column() -> None:
    r = one(KEYS, {"unique_key": ["user", "hour"]}, "unique_key")
    assert (r.status, r.observed) == ("fail", "column missing")
    assert r.message == "The key [`user`, `hour`] cannot be checked: column `hour` is missing."


def test_overlap_counts_leaked_rows() -> None:
    eval_df = pd.DataFrame({"id": [1, 2, 3, 4, None]})
    train = pd.DataFrame({"id": [3.0, 4.0, 9.0, np.nan]})  # float: the id has nulls in train
    spec = {"no_overlap_with": "train", "key": ["id"]}
    r = one(eval_df, spec, "overlap", others={"train": train})
    assert (r.status, r.column, r.observed) == ("fail", "id", "2 rows (40%)")
    assert r.message == (
        "2 rows of 'eval' (40%) have a key `id` that also appears in 'train' (leakage), e.g. 3, 4."
    )
    assert r.examples == ("3", "4")


def test_overlap_compound_key_and_pass() -> None:
    eval_df = pd.DataFrame({"u": [1, 1], "d": ["mon", "tue"]})
    train = pd.DataFrame({"u": [1, 2], "d": ["tue", "mon"]})
    spec = {"no_overlap_with": "train", "key": ["u", "d"], "severity": "warn"}
    r = one(eval_df, spec, "overlap", others={"train": train})
    assert (r.status, r.examples, r.column) == ("warn", ("(1, 'tue')",), None)
    r = one(eval_df.iloc[:1], spec, "overlap", others={"train": train})
    assert (r.status, r.message) == (
        "pass",
        "No row of 'eval' shares its key [`u`, `d`] with 'train'.",
    )


def test_overlap_with_missing_key_column_or_dataset() -> None:
    spec = {"no_overlap_with": "train", "key": ["id"]}
    r = one(AGES, spec, "overlap", others={"train": pd.DataFrame({"id": [1]})})
    assert r.message == (
        "Overlap with 'train' cannot be checked: key column `id` is missing from 'eval'."
    )
    r = one(AGES, spec, "overlap")
    assert r.status == "skipped"
    assert r.message == "Dataset 'train' is not available, so overlap with it was not checked."


# --- schema files: columns_present -------------------------------------------------------


def test_columns_present_and_new_columns() -> None:
    df = pd.DataFrame({"id": [1], "age": [2], "größe": [3]})
    results = run(df, {"columns_present": ["id", "age", "plan"], "new_columns": "warn"})
    summary = [(r.check, r.column, r.status, r.severity) for r in results]
    assert summary == [
        ("missing_column", "id", "pass", "error"),
        ("missing_column", "age", "pass", "error"),
        ("missing_column", "plan", "fail", "error"),
        ("new_column", "größe", "warn", "warn"),
    ]
    assert results[3].message == "Column `größe` of dataset 'eval' is not in its schema."


def test_new_columns_error_allow_and_none() -> None:
    df = pd.DataFrame({"id": [1], "extra": [2]})
    r = one(df, {"columns_present": ["id"], "new_columns": "error"}, "new_column")
    assert (r.status, r.severity) == ("fail", "error")
    assert [r.check for r in run(df, {"columns_present": ["id"], "new_columns": "allow"})] == [
        "missing_column"
    ]
    r = one(df, {"columns_present": ["id", "extra"], "new_columns": "error"}, "new_column")
    assert (r.status, r.column) == ("pass", None)
    assert r.message == "Dataset 'eval' has no columns beyond the 2 in its schema."


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


# --- row count change, duplicate rows, labels ----------------------------------------------


def baseline_of(df: pd.DataFrame) -> dict[str, Any]:
    from mlci.data.profile import profile_frame

    return profile_frame(df)


def test_row_count_change_against_the_baseline() -> None:
    spec = {"row_count": {"min": 1, "max_change": 0.2}}
    base = baseline_of(pd.DataFrame({"x": range(10)}))
    results = run(AGES, spec, baseline=base)
    assert [r.check for r in results] == ["row_count", "row_count_change"]
    r = results[1]
    assert (r.status, r.observed, r.expected) == ("fail", "10 → 6 (−40%)", "change ≤ 20%")
    assert r.message == (
        "Dataset 'eval' has 6 rows, −40% against the baseline's 10: more than the allowed 20%."
    )
    r = one(AGES, {"row_count": {"max_change": 0.5}}, "row_count_change", baseline=base)
    assert r.status == "pass"
    r = one(AGES, {"row_count": {"max_change": 0.5}}, "row_count_change")
    assert (r.status, r.message) == (
        "skipped",
        "No baseline profile, so the change of the row count was not checked.",
    )


def test_duplicate_rows() -> None:
    df = pd.DataFrame({"a": [1, 1, 2, 1, None, None], "b": ["x", "x", "x", "x", None, None]})
    r = one(df, {"no_duplicate_rows": True}, "duplicate_rows")
    assert (r.status, r.observed, r.column) == ("fail", "3 duplicated rows", None)
    assert r.message == "Dataset 'eval' has 3 rows (50%) that repeat an earlier row, e.g. (1, 'x')."
    assert r.examples == ("(1, 'x') ×3", "(None, None) ×2")
    r = one(df.drop_duplicates(), {"no_duplicate_rows": True}, "duplicate_rows")
    assert (r.status, r.message) == ("pass", "No row of 'eval' is a duplicate of another.")


LABELS = pd.DataFrame({"y": ["cat"] * 90 + ["dog"] * 8 + ["emu"] * 2})


def test_label_balance() -> None:
    r = one(LABELS, {"label": "y", "min_class_share": 0.05}, "label_balance")
    assert (r.status, r.observed, r.expected) == (
        "fail",
        "3 classes, smallest 2%",
        "every class ≥ 5%",
    )
    assert r.message == "1 class of `y` has less than 5% of the rows: 'emu' 2%."
    ok = one(LABELS, {"label": "y", "min_class_share": 0.02}, "label_balance")
    assert (ok.status, ok.message) == ("pass", "Every class of `y` has at least 2% of the rows.")


def test_new_labels_against_the_baseline() -> None:
    base = baseline_of(pd.DataFrame({"y": ["cat", "dog"] * 10}))
    r = one(LABELS, {"label": "y", "new_labels": "warn"}, "new_labels", baseline=base)
    assert (r.status, r.severity, r.examples) == ("warn", "warn", ("'emu' ×2",))
    assert r.message == "`y` has 1 class the baseline did not have: 'emu' ×2."
    r = one(LABELS, {"label": "y", "new_labels": "error"}, "new_labels")
    assert r.status == "skipped"


def test_integer_labels() -> None:
    df = pd.DataFrame({"y": [0] * 97 + [1] * 3})
    r = one(df, {"label": "y", "min_class_share": 0.05}, "label_balance")
    assert r.message == "1 class of `y` has less than 5% of the rows: 1 3%."
    base = baseline_of(pd.DataFrame({"y": [0, 1, 2] * 5}))
    assert (
        one(df, {"label": "y", "new_labels": "error"}, "new_labels", baseline=base).status == "pass"
    )


def test_missing_label_column() -> None:
    r = one(AGES, {"label": "y", "min_class_share": 0.1}, "label_balance")
    assert (r.status, r.message) == ("fail", "Label column `y` is missing from dataset 'eval'.")


# --- uniqueness across batches and types ---------------------------------------------------


def test_unique_strings_across_batches_with_examples_from_the_data() -> None:
    import pyarrow as pa

    from mlci.data.checks import check_table

    ids = [f"id{i}" for i in range(1_000)] + ["id7", "id7", "id500"]
    table = pa.Table.from_batches(
        pa.table({"id": ids}).to_batches(max_chunksize=100)
    )  # several batches: duplicates are found across them
    (_, r) = check_table("eval", table, [{"column": "id", "unique": True}])
    assert r.message == "`id` has 2 duplicated values (5 rows), e.g. 'id7', 'id500'."
    assert r.examples == ("'id7' ×3", "'id500' ×2")


def test_overlap_across_integer_and_text_free_types() -> None:
    eval_df = pd.DataFrame({"id": ["a", "b"], "n": [1, 2]})
    train = pd.DataFrame({"id": ["b", "c"], "n": [2.0, 3.0]})
    r = one(
        eval_df,
        {"no_overlap_with": "train", "key": ["id", "n"]},
        "overlap",
        others={"train": train},
    )
    assert (r.status, r.examples) == ("fail", ("('b', 2)",))


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


def test_a_label_check_alone_warns_on_new_labels() -> None:
    base = baseline_of(pd.DataFrame({"y": ["cat", "dog"] * 10}))
    r = one(LABELS, {"label": "y"}, "new_labels", baseline=base)
    assert (r.status, r.severity) == ("warn", "warn")


def test_physical_type() -> None:
    df = pd.DataFrame({"n": np.array([1, 2], dtype=np.int32), "s": ["a", "b"]})
    r = one(df, {"column": "n", "dtype": "int64"}, "dtype")
    assert (r.status, r.observed, r.expected) == ("fail", "int32", "int64")
    assert r.message == "`n` should be stored as int64 but is int32."
    r = one(df, {"column": "s", "dtype": "str"}, "dtype")
    assert (r.status, r.message) == ("pass", "`s` is stored as str.")
