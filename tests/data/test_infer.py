"""Schema inference: a profile in, a reviewable schema file out, that mlci's own loader reads and
that the data it was inferred from passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from mlci.data.checks import run_checks
from mlci.data.infer import infer_schema, key_candidates, scalar_text, schema_changes
from mlci.data.profile import profile_frame
from mlci.data.schema_file import load_schema_file
from mlci.yamlfile import _Loader, load_yaml

N = 60


def frame() -> pd.DataFrame:
    """60 rows whose every inferred number can be worked out by hand (see EXPECTED)."""
    return pd.DataFrame(
        {
            "id": range(N),
            "price": [1.0 + 0.5 * i if i < 57 else None for i in range(N)],
            "temp": [-5 + 0.25 * i for i in range(N)],
            "plan": ["basic", "pro", "enterprise"] * 20,
            "code": [f"C{i % 30:02d}" for i in range(N)],
            "flag": [i % 2 == 0 for i in range(N)],
            "when": pd.date_range("2024-01-01", periods=N),
            "label": [0, 0, 0, 1] * 15,
            "empty": [None] * N,
        }
    )


# price: 57 values 1..29 (span 28): 1 - 2.8 < 0 but no value is negative -> 0; 29 + 2.8 = 31.8;
#        3 nulls of 60 = 5%, twice that -> 0.1
# temp: -5..9.75 (span 14.75): -5 - 1.475 = -6.475 -> -6.48 (3 digits, down); 11.225 -> 11.3 (up)
# label: 0/1 integers: 1 + 0.1 -> 2 (whole numbers, up); rarest class 25%, half -> 0.125 -> 0.12
EXPECTED = """\
# Data schema of dataset 'train' (data/train.csv), inferred by mlci from 60 rows. Review every
# constraint: the comment beside it says what was observed. A breached constraint fails the run; add
# `severity: warn` to a column to be warned instead. Running `mlci schema infer` again shows what
# would change, and never overwrites this file unless given --write.
version: 1
new_columns: warn             # a column not listed below is reported as a warning
row_count:
  min: 30                     # observed 60 rows: fails below half of that
columns:
  # integer · 60 values · 60 distinct · 0 to 59
  id:
    type: integer             # int64
    nullable: false           # no nulls in 60 rows
    unique: true              # key candidate: 60 values, all distinct
  # number · 57 values · 57 distinct · 1 to 29
  price:
    type: number              # float64
    max_null_fraction: 0.1    # 3 nulls in 60 rows (5%): twice that, rounded up
    min: 0                    # observed 1, minus 10% of the span, not below 0
    max: 31.8                 # observed 29, plus 10% of the span
  # number · 60 values · 60 distinct · -5 to 9.75
  temp:
    type: number              # float64
    nullable: false           # no nulls in 60 rows
    min: -6.48                # observed -5, minus 10% of the span
    max: 11.3                 # observed 9.75, plus 10% of the span
  # string · 60 values · 3 distinct
  plan:
    type: string              # str
    nullable: false           # no nulls in 60 rows
    allowed: [basic, enterprise, pro]  # the 3 values seen (the rarest 20 times); any other fails
  # string · 60 values · 30 distinct
  code:
    type: string              # str
    nullable: false           # no nulls in 60 rows
    min_length: 3             # every value has 3 characters
    max_length: 3             # every value has 3 characters
  # boolean · 60 values · 2 distinct · 50% true
  flag:
    type: boolean             # bool
    nullable: false           # no nulls in 60 rows
  # datetime · 60 values · 2024-01-01T00:00:00 to 2024-02-29T00:00:00
  when:
    type: datetime            # datetime64[us]
    nullable: false           # no nulls in 60 rows
  # integer · 60 values · 2 distinct · 0 to 1
  label:
    type: integer             # int64
    nullable: false           # no nulls in 60 rows
    min: 0                    # observed 0, minus 10% of the span, not below 0
    max: 2                    # observed 1, plus 10% of the span
  # string · 0 values
  empty:
    nullable: true            # all 60 values are null: the type cannot be told

# `label` looks like the label (2 classes; the rarest, "1", has 25% of the rows: fails below half of
# that). To check its class balance, uncomment the line below.
# label: {column: label, min_class_share: 0.12, new_labels: warn}
"""


def infer(df: pd.DataFrame, **kw: Any) -> Any:
    return infer_schema(profile_frame(df), **kw)


def columns_of(df: pd.DataFrame, **kw: Any) -> dict[str, Any]:
    doc: dict[str, Any] = infer(df, **kw).document()["columns"]
    return doc


def write_and_load(tmp_path: Path, text: str) -> tuple[dict[str, Any], ...]:
    path = tmp_path / "schema.yml"
    path.write_text(text, encoding="utf-8")
    return load_schema_file(path)


def test_the_inferred_text_of_a_hand_made_frame() -> None:
    text = infer(frame(), dataset="train", source="data/train.csv").text()
    assert text == EXPECTED


def test_the_text_loads_with_mlcis_loader_to_the_document(tmp_path: Path) -> None:
    draft = infer(frame(), dataset="train", source="data/train.csv")
    write_and_load(tmp_path, draft.text())  # validated against data-schema.schema.json
    doc, _ = load_yaml(tmp_path / "schema.yml")
    assert doc == draft.document()
    assert yaml.safe_load(draft.text()) == draft.document()  # and by a YAML 1.1 reader


def test_the_data_passes_the_schema_inferred_from_it(tmp_path: Path) -> None:
    df = frame()
    specs = write_and_load(tmp_path, infer(df, target="label").text())
    results = run_checks("train", df, list(specs))
    skipped = [r.check for r in results if r.status == "skipped"]
    assert skipped == ["new_labels"]  # no baseline to compare the classes with
    assert {r.status for r in results if r.check != "new_labels"} == {"pass"}
    assert {
        "label_balance",
        "type",
        "nullable",
        "null_fraction",
        "range",
        "allowed",
        "unique",
        "length",
    } <= {r.check for r in results}


def test_a_breach_of_each_inferred_constraint_fails(tmp_path: Path) -> None:
    df = frame()
    specs = write_and_load(tmp_path, infer(df).text())
    bad = df.copy()
    bad.loc[0, "temp"] = 50.0  # above 11.3
    bad.loc[1, "plan"] = "gold"  # not allowed
    bad.loc[2, "id"] = 3  # a duplicate key
    bad.loc[3, "code"] = "C1"  # too short
    bad.loc[4:20, "price"] = None  # 20 nulls of 60 > 0.1
    failed = {
        (r.check, r.column) for r in run_checks("train", bad, list(specs)) if r.status == "fail"
    }
    assert failed == {
        ("range", "temp"),
        ("allowed", "plan"),
        ("unique", "id"),
        ("length", "code"),
        ("null_fraction", "price"),
    }


def test_the_same_profile_gives_the_same_text() -> None:
    assert infer(frame()).text() == infer(frame()).text()


# --- the rules one by one --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nulls", "expected"),
    [
        (0, {"nullable": False}),
        (1, {"max_null_fraction": 0.01}),  # 0.1% x 2 = 0.2% -> at least 0.01
        (7, {"max_null_fraction": 0.02}),  # 0.7% x 2 = 1.4% -> rounded up to 0.02
        (35, {"max_null_fraction": 0.07}),  # exactly 3.5% x 2 = 7%: not rounded up to 0.08
        (500, {"max_null_fraction": 1.0}),  # 50% x 2
        (501, {"nullable": True}),  # more than half null: no fraction
    ],
)
def test_nulls(nulls: int, expected: dict[str, Any]) -> None:
    values = [None] * nulls + ["a", "b", "c", "d"] * 250
    column = columns_of(pd.DataFrame({"x": values[:1000]}))["x"]
    assert {k: v for k, v in column.items() if k in ("nullable", "max_null_fraction")} == expected


@pytest.mark.parametrize(
    ("values", "bounds"),
    [
        ([0.2, 3.1], (0, 3.39)),  # 0.2 - 0.29 < 0, no negative values -> 0
        ([-3.1, -0.2], (-3.39, 0)),  # and no positive values -> max 0
        ([-1.0, 1.0], (-1.2, 1.2)),
        ([1001.0, 1002.0], (1000, 1010)),  # 3 significant digits, outwards
        ([123456.0, 987654.0], (37000, 1080000)),  # 37,036.2 and 1,074,073.8, outwards
        ([0.001234, 0.001236], (0.00123, 0.00124)),
        ([5.0, 5.0], (4.5, 5.5)),  # constant: 10% of the value
        ([0.0, 0.0], (0, 0)),
    ],
)
def test_ranges_are_widened_and_rounded_outwards(
    values: list[float], bounds: tuple[float, float]
) -> None:
    column = columns_of(pd.DataFrame({"x": values * 30}))["x"]
    assert (column["min"], column["max"]) == bounds


def test_integer_ranges_are_whole_numbers() -> None:
    column = columns_of(pd.DataFrame({"age": [18, 95] * 30}))["age"]
    # 18 - 7.7 = 10.3 -> 10; 95 + 7.7 = 102.7 -> 103
    assert (column["type"], column["min"], column["max"]) == ("integer", 10, 103)
    assert all(isinstance(column[k], int) for k in ("min", "max"))


def test_no_range_with_infinities() -> None:
    column = columns_of(pd.DataFrame({"x": [1.0, np.inf] * 30}))["x"]
    assert "min" not in column and "max" not in column
    text = infer(pd.DataFrame({"x": [1.0, np.inf] * 30})).text()
    assert "30 infinite (no range)" in text


def test_float_column_of_whole_numbers_says_integer_fits() -> None:
    text = infer(pd.DataFrame({"n": [1.0, None, 3.0] * 20})).text()
    note = "# float64; every value is a whole number: `integer` fits too\n"
    assert "    type: number              " + note in text


@pytest.mark.parametrize(
    ("levels", "repeats", "allowed"),
    [
        (20, 5, True),  # 20 values, each 5 times
        (21, 5, False),  # more than 20 values
        (10, 4, False),  # fewer than 5 rows per value on average
    ],
)
def test_allowed_values(levels: int, repeats: int, allowed: bool) -> None:
    values = [f"v{i:02d}" for i in range(levels)] * repeats
    column = columns_of(pd.DataFrame({"c": values}))["c"]
    assert ("allowed" in column) is allowed
    if allowed:
        assert column["allowed"] == sorted(set(values))


def test_allowed_values_are_quoted_when_yaml_would_read_them_otherwise(tmp_path: Path) -> None:
    values = ["yes", "no", "012", "1.5", "null", "a b", "x: y", "#tag", ""] * 10
    draft = infer(pd.DataFrame({"c": values}))
    specs = write_and_load(tmp_path, draft.text())
    column = next(s for s in specs if s.get("column") == "c")
    assert column["allowed"] == sorted(set(values))


def test_a_long_allowed_list_is_one_value_per_line() -> None:
    values = [f"category-number-{i:02d}" for i in range(12)] * 5
    text = infer(pd.DataFrame({"c": values})).text()
    assert "    allowed:                  # the 12 values seen" in text
    assert "      - category-number-00\n      - category-number-01\n" in text


def test_unique_needs_50_values_and_no_nulls() -> None:
    assert columns_of(pd.DataFrame({"k": range(50)}))["k"].get("unique") is True
    assert "unique" not in columns_of(pd.DataFrame({"k": range(49)}))["k"]
    assert "unique" not in columns_of(pd.DataFrame({"k": [*range(60), None]}))["k"]
    assert "unique" not in columns_of(pd.DataFrame({"k": [*range(59), 0]}))["k"]
    # distinct floats are measurements, not keys
    assert "unique" not in columns_of(pd.DataFrame({"x": np.linspace(0, 1, 60)}))["x"]


def test_an_estimated_distinct_count_is_only_a_hint_unless_counted() -> None:
    df = pd.DataFrame({"k": np.arange(20_000)})  # over 10,000 distinct numbers: estimated
    profile = profile_frame(df)
    assert key_candidates(profile) == ["k"]
    hinted = infer_schema(profile)
    assert "unique" not in hinted.document()["columns"]["k"]
    assert "    # unique: true            # about " in hinted.text()
    assert "no range" not in hinted.text() and "min:" in hinted.text()  # a hint keeps the range
    counted = infer_schema(profile, unique={"k": True}).document()["columns"]["k"]
    assert counted == {"type": "integer", "nullable": False, "unique": True}
    refuted = infer_schema(profile, unique={"k": False})
    assert "unique" not in refuted.text()


def test_label_section_with_a_target() -> None:
    df = pd.DataFrame({"y": ["a"] * 90 + ["b"] * 7 + ["c"] * 3, "x": range(100)})
    draft = infer(df, target="y")
    assert draft.document()["label"] == {
        "column": "y",
        "min_class_share": 0.015,
        "new_labels": "warn",
    }
    assert '# label: 3 classes; the rarest, "c", has 3% of the rows' in draft.text()
    assert draft.document()["columns"]["y"] == {"type": "string", "nullable": False}  # no allowed


def test_no_label_section_for_a_regression_target() -> None:
    df = pd.DataFrame({"y": [1, 2, 3] * 20})
    assert "label" not in infer(df, target="y", task="regression").document()
    assert "label" in infer(df, target="y", task="multiclass").document()
    assert "label" not in infer(pd.DataFrame({"y": np.linspace(0, 1, 60)}), target="y").document()


def test_label_hint_only_for_label_like_names() -> None:
    assert "looks like the label" not in infer(pd.DataFrame({"plan": [0, 1] * 30})).text()
    assert "looks like the label" in infer(pd.DataFrame({"churned": [0, 1] * 30})).text()
    assert "looks like the label" in infer(pd.DataFrame({"fraud_label": ["n", "y"] * 30})).text()


def test_a_merged_profile_from_json_works(tmp_path: Path) -> None:
    import json

    from mlci.data.profile import merge_profiles

    a, b = frame().iloc[:30], frame().iloc[30:]
    merged = json.loads(json.dumps(merge_profiles(profile_frame(a), profile_frame(b))))
    write_and_load(tmp_path, infer_schema(merged).text())
    assert infer_schema(merged).document()["columns"]["temp"] == {
        "type": "number",
        "nullable": False,
        "min": -6.48,
        "max": 11.3,
    }


def test_awkward_column_names_round_trip(tmp_path: Path) -> None:
    names = ["a b", "x: y", "#c", "line\nbreak", "sep\u2028arator", "ü", "012", "true", "- d"]
    df = pd.DataFrame({n: [1, 2] * 30 for n in names})
    specs = write_and_load(tmp_path, infer(df).text())
    assert specs[0]["columns_present"] == names


def test_an_empty_profile() -> None:
    draft = infer_schema({"profile_version": 2, "rows": 0, "columns": {}})
    assert draft.document() == {"version": 1, "new_columns": "warn", "columns": {}}
    assert yaml.safe_load(draft.text()) == draft.document()


# --- YAML scalars ---------------------------------------------------------------------------


@given(st.text(max_size=30))
def test_scalar_text_round_trips_through_both_yaml_readers(text: str) -> None:
    line = f"k: {scalar_text(text)}\n"
    assert yaml.safe_load(line)["k"] == text
    loader = _Loader(line)  # mlci's YAML 1.2 reader (load_yaml reads it from files)
    try:
        assert loader.get_single_data()["k"] == text
    finally:
        loader.dispose()


@pytest.mark.parametrize("value", [0.0001234, 1e-7, 1.5e20, 2.39, -6.48, 538000, 12])
def test_numbers_read_back_as_numbers(value: float) -> None:
    assert yaml.safe_load(f"k: {scalar_text(value)}")["k"] == value


# --- what changed ---------------------------------------------------------------------------


def test_schema_changes_name_each_constraint() -> None:
    old = {
        "version": 1,
        "row_count": {"min": 100},
        "columns": {
            "age": {"type": "integer", "min": 0, "max": 103},
            "plan": {"allowed": ["basic", "pro"], "nullable": False},
            "gone": None,
        },
    }
    new = {
        "version": 1,
        "row_count": {"min": 150},
        "columns": {
            "age": {"type": "integer", "min": 0, "max": 110, "unique": True},
            "plan": {"allowed": ["basic", "gold", "pro"], "max_null_fraction": 0.02},
            "new": {"type": "string"},
        },
    }
    assert schema_changes(old, new) == [
        "row_count.min: 100 → 150 (narrowed)",
        "columns.age.max: 103 → 110 (widened)",
        "columns.age.unique: added (true)",
        "columns.plan.allowed: + gold",
        "columns.plan.nullable: removed (was false)",
        "columns.plan.max_null_fraction: added (0.02)",
        "columns.gone: removed (not in the data)",
        "columns.new: added",
    ]


def test_no_changes_between_equal_documents() -> None:
    doc = infer(frame()).document()
    assert schema_changes(doc, doc) == []
