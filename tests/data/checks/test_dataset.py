"""Dataset checks: row count, keys, overlap, duplicates, labels, columns present."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.helpers.checks import AGES, baseline_of, one, run

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


# --- row count change, duplicate rows, labels ----------------------------------------------


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


def test_a_label_check_alone_warns_on_new_labels() -> None:
    base = baseline_of(pd.DataFrame({"y": ["cat", "dog"] * 10}))
    r = one(LABELS, {"label": "y"}, "new_labels", baseline=base)
    assert (r.status, r.severity) == ("warn", "warn")
