from __future__ import annotations

import json
import math
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlci.data.profile import profile_frame

GRID = [f"{0.05 * i:.2f}" for i in range(21)]


def col(values: object, dtype: str | None = None) -> dict:
    return profile_frame(pd.DataFrame({"c": pd.Series(values, dtype=dtype)}))["columns"]["c"]


def interval_counts(x: np.ndarray, edges: list[float]) -> list[int]:
    """Counts per (-inf, e1], (e1, e2], ..., (e_last, inf) by explicit comparisons."""
    bounds = [-np.inf, *edges, np.inf]
    return [int(((x > lo) & (x <= hi)).sum()) for lo, hi in pairwise(bounds)]


# --- numeric -----------------------------------------------------------------------------


def test_numeric_profile_matches_numpy() -> None:
    x = np.random.default_rng(1).gamma(2.0, 3.0, size=1_001)
    p = col(x)
    assert (p["kind"], p["dtype"], p["logical_type"]) == ("numeric", "float64", "number")
    assert (p["count"], p["nulls"], p["nan"], p["inf"], p["finite"]) == (1001, 0, 0, 0, 1001)
    assert p["min"] == x.min() and p["max"] == x.max()
    assert p["mean"] == pytest.approx(x.mean(), rel=1e-12)
    assert p["std"] == pytest.approx(np.std(x, ddof=1), rel=1e-12)
    assert p["std"] == pytest.approx(pd.Series(x).std(), rel=1e-12)
    assert list(p["quantiles"]) == GRID
    for key, value in p["quantiles"].items():
        assert value == pytest.approx(pd.Series(x).quantile(float(key)), rel=1e-12)


def test_decile_bins_and_their_counts() -> None:
    x = np.random.default_rng(2).normal(size=1_000)
    bins = col(x)["bins"]
    expected_edges = np.quantile(x, [0.1 * i for i in range(1, 10)])
    assert bins["edges"] == pytest.approx(expected_edges.tolist(), rel=1e-12)
    assert bins["counts"] == interval_counts(x, bins["edges"])
    assert bins["counts"] == [100] * 10


def test_bins_collapse_repeated_edges_and_count_right_closed() -> None:
    # 101 values: the deciles fall exactly on sorted positions 10, 20, ..., 90
    x = np.array([2] * 20 + [0] * 51 + [1] * 30, dtype=float)
    bins = col(x)["bins"]
    assert bins["edges"] == [0.0, 1.0, 2.0]
    # (-inf, 0] holds the zeros, (0, 1] the ones, (1, 2] the twos, (2, inf) nothing
    assert bins["counts"] == [51, 30, 20, 0]


def test_nulls_nan_and_inf() -> None:
    # pandas' NaN is Arrow's null: both are nulls; "nan" counts NaN values Arrow keeps as such
    p = col([1.0, np.nan, np.inf, -np.inf, 3.0, None])
    assert (p["count"], p["nulls"], p["nan"], p["inf"], p["finite"]) == (4, 2, 0, 2, 2)
    # infinities are excluded from the moments and quantiles
    assert (p["min"], p["max"], p["mean"], p["std"]) == (1.0, 3.0, 2.0, math.sqrt(2))
    assert p["quantiles"]["0.50"] == 2.0
    assert sum(p["bins"]["counts"]) == 2


def test_integer_column() -> None:
    p = col([3, 1, 2])
    assert (p["dtype"], p["logical_type"], p["mean"], p["std"]) == ("int64", "integer", 2.0, 1.0)


def test_nullable_integer_column() -> None:
    p = col([1, None, 3], dtype="Int64")
    assert (p["kind"], p["logical_type"]) == ("numeric", "integer")
    assert (p["count"], p["nulls"], p["nan"], p["mean"]) == (2, 1, 0, 2.0)


def test_one_value_has_no_std_and_all_null_has_no_moments() -> None:
    assert col([5.0])["std"] is None
    p = col([np.nan, np.nan])
    assert (p["count"], p["nulls"], p["min"], p["mean"], p["std"]) == (0, 2, None, None, None)
    assert set(p["quantiles"].values()) == {None}
    assert p["bins"] == {"edges": [], "counts": [0], "exact": True}


# --- categorical, boolean, datetime ------------------------------------------------------


def test_string_column_top_values_ties_by_value() -> None:
    p = col(["b", "a", "c", "a", "b", None, "d"])
    assert (p["kind"], p["logical_type"], p["dtype"]) == ("categorical", "string", "str")
    assert (p["count"], p["nulls"], p["distinct"], p["other"]) == (6, 1, 4, 0)
    assert p["top"] == [["a", 2], ["b", 2], ["c", 1], ["d", 1]]


def test_top_is_capped_at_twenty_with_the_rest_in_other() -> None:
    values = [f"v{i:02d}" for i in range(30) for _ in range(30 - i)]  # v00 x30 ... v29 x1
    p = col(values)
    assert len(p["top"]) == 20
    assert p["top"][0] == ["v00", 30] and p["top"][-1] == ["v19", 11]
    assert p["other"] == sum(range(1, 11)) and p["distinct"] == 30
    assert sum(c for _, c in p["top"]) + p["other"] == p["count"] == len(values)


def test_category_dtype() -> None:
    s = pd.Categorical(["x", "y", "x"], categories=["x", "y", "never"])
    p = col(s)
    assert (p["kind"], p["logical_type"], p["dtype"]) == ("categorical", "category", "category")
    assert p["top"] == [["x", 2], ["y", 1]] and p["distinct"] == 2


def test_boolean_dtypes() -> None:
    p = col([True, False, True])
    assert (p["kind"], p["logical_type"]) == ("boolean", "boolean")
    assert p["top"] == [["True", 2], ["False", 1]]
    # JSON booleans with nulls come as objects; still booleans (Arrow's bool with nulls)
    p = col([True, None, False, True], dtype="object")
    assert (p["kind"], p["dtype"], p["nulls"], p["top"]) == (
        "boolean",
        "bool",
        1,
        [["True", 2], ["False", 1]],
    )


def test_datetime_column() -> None:
    p = col(pd.to_datetime(["2024-03-01", None, "2023-12-31T08:30"], format="ISO8601"))
    assert (p["kind"], p["logical_type"], p["count"], p["nulls"]) == ("datetime", "datetime", 2, 1)
    assert (p["min"], p["max"]) == ("2023-12-31T08:30:00", "2024-03-01T00:00:00")
    p = col(pd.to_datetime(["2024-03-01T10:00+02:00"], utc=True))
    assert p["max"] == "2024-03-01T08:00:00+00:00"


def test_mixed_object_column_is_categorical_by_string_value() -> None:
    p = col([1, "1", "x", None], dtype="object")
    assert (p["kind"], p["logical_type"], p["top"]) == (
        "categorical",
        "string",
        [["1", 2], ["x", 1]],
    )


# --- the whole frame ---------------------------------------------------------------------


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "z": [1.5, np.inf, None],
            "größe | `x`": ["a", "b", "a"],
            "flag": [True, False, True],
            "when": pd.to_datetime(["2024-01-01", None, "2024-01-02"]),
        }
    )


def test_frame_profile_is_json_safe_ordered_and_deterministic() -> None:
    p = profile_frame(frame())
    assert p["rows"] == 3
    assert list(p["columns"]) == ["z", "größe | `x`", "flag", "when"]
    text = json.dumps(p, allow_nan=False, sort_keys=True)  # no NaN/inf anywhere
    assert json.loads(text) == p
    assert json.dumps(profile_frame(frame()), sort_keys=True) == text


def test_only_plain_json_types() -> None:
    def walk(v: object) -> None:
        assert type(v) in (dict, list, str, int, float, bool, type(None)), type(v)
        if isinstance(v, dict):
            for k, x in v.items():
                assert type(k) is str
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(profile_frame(frame()))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300),
            st.just(float("nan")),
            st.just(float("inf")),
        ),
        max_size=60,
    )
)
def test_numeric_profile_invariants(values: list[float]) -> None:
    x = np.asarray(values, dtype=float)
    p = col(x)
    finite = x[np.isfinite(x)]
    assert p["count"] + p["nulls"] == len(x)
    assert p["finite"] + p["inf"] == p["count"]
    assert sum(p["bins"]["counts"]) == len(finite)
    assert p["bins"]["counts"] == interval_counts(finite, p["bins"]["edges"])
    assert p["bins"]["edges"] == sorted(set(p["bins"]["edges"]))
    quantiles = [q for q in p["quantiles"].values() if q is not None]
    assert quantiles == sorted(quantiles)
    assert len(quantiles) == (21 if len(finite) else 0)
    json.dumps(p, allow_nan=False)


# --- Arrow input ---------------------------------------------------------------------------

import pyarrow as pa  # noqa: E402

from mlci.data.profile import (  # noqa: E402
    STORED_VALUES,
    Profiler,
    merge_profiles,
    profile_table,
)
from mlci.data.sketch import rank_error_bound  # noqa: E402


def arrow_col(arr: pa.Array) -> dict:
    return profile_table(pa.table({"c": arr}))["columns"]["c"]


def test_arrow_nan_is_a_null_counted_apart() -> None:
    p = arrow_col(pa.array([1.0, float("nan"), None, 3.0], from_pandas=False))
    assert (p["count"], p["nulls"], p["nan"], p["finite"], p["mean"]) == (2, 2, 1, 2, 2.0)


def test_profile_version_and_mergeable_state() -> None:
    profile = profile_table(pa.table({"x": [1.5, 2.5], "s": ["a", "b"]}))
    assert profile["profile_version"] == 2
    assert set(profile["columns"]["x"]) >= {"values", "sketch", "distinct", "distinct_exact"}
    assert profile["columns"]["x"]["sketch"] == {"m2": 0.5}  # values stand in for the sketches
    assert profile["columns"]["s"]["values"] == {"complete": True, "counts": [["a", 1], ["b", 1]]}


def test_integer_values_are_counted_exactly_and_give_exact_quantiles_beyond_100k() -> None:
    x = np.random.default_rng(3).integers(0, 7, size=150_001)
    p = arrow_col(pa.array(x))
    expected = [[int(v), int(c)] for v, c in zip(*np.unique(x, return_counts=True), strict=True)]
    assert sorted(p["values"]["counts"]) == expected
    assert (p["distinct"], p["distinct_exact"], p["bins"]["exact"]) == (7, True, True)
    for key, value in p["quantiles"].items():
        assert value == pytest.approx(np.quantile(x, float(key)), abs=1e-12)
    assert p["bins"]["counts"] == interval_counts(x.astype(float), p["bins"]["edges"])


def test_up_to_10k_distinct_numbers_stay_counted_exactly_across_batches() -> None:
    """8,000 distinct values, each batch holding most of them: the union fits, so the counts
    stay exact (batches of 131,072 rows once gave up at the second batch)."""
    x = np.random.default_rng(5).integers(0, 8_000, size=300_000)
    profiler = Profiler()
    for batch in pa.table({"c": x}).to_batches(max_chunksize=131_072):
        profiler.update_batch(batch)
    p = profiler.finish()["columns"]["c"]
    assert (p["distinct"], p["distinct_exact"], p["bins"]["exact"]) == (8_000, True, True)
    for key, value in p["quantiles"].items():
        assert value == pytest.approx(np.quantile(x, float(key)), abs=1e-12)
    assert p["bins"]["counts"] == interval_counts(x.astype(float), p["bins"]["edges"])
    # one more distinct value than 10,000 switches to the distinct sketch without losing any
    y = np.concatenate([np.arange(6_000), np.arange(4_000, 10_001)])
    profiler = Profiler()
    for batch in pa.table({"c": y}).to_batches(max_chunksize=6_000):
        profiler.update_batch(batch)
    p = profiler.finish()["columns"]["c"]
    assert (p["distinct"], p["distinct_exact"]) == (10_001, False)


def test_beyond_100k_values_quantiles_and_bins_come_from_the_sketch_within_its_bound() -> None:
    x = np.random.default_rng(4).normal(size=150_000)
    p = profile_table(pa.table({"c": x}).combine_chunks())["columns"]["c"]
    assert (p["bins"]["exact"], p["distinct_exact"], "values" in p) == (False, False, False)
    xs = np.sort(x)
    bound = rank_error_bound(2048) * len(x)
    for key, value in p["quantiles"].items():
        rank = np.searchsorted(xs, value, side="right")
        assert abs(rank - float(key) * len(x)) <= bound + 1
    assert sum(p["bins"]["counts"]) == len(x)
    exact = interval_counts(x, p["bins"]["edges"])
    assert max(abs(a - b) for a, b in zip(p["bins"]["counts"], exact, strict=True)) <= 2 * bound
    assert p["distinct"] == pytest.approx(len(x), rel=0.05)  # HyperLogLog


def test_string_lengths_and_values_cut_to_200_characters() -> None:
    long = "y" * 250
    p = arrow_col(pa.array(["ab", "", None, long, long[:200] + "z" * 10]))
    assert p["length"] == {"min": 0, "max": 250, "mean": (2 + 0 + 250 + 210) / 4, "total": 462}
    assert p["top"] == [["y" * 200, 2], ["", 1], ["ab", 1]]  # the two long values share a key


def test_batches_give_the_exact_parts_of_one_batch() -> None:
    rng = np.random.default_rng(5)
    table = pa.table(
        {
            "x": pa.array(rng.normal(size=3_000), mask=rng.random(3_000) < 0.1),
            "s": pa.array(rng.choice(["a", "b", "c"], size=3_000)),
        }
    )
    whole = profile_table(table)
    profiler = Profiler()
    for batch in table.to_batches(max_chunksize=250):
        profiler.update_batch(batch)
    chunked = profiler.finish()
    assert chunked["columns"]["s"] == whole["columns"]["s"]
    for key in ("count", "nulls", "min", "max", "quantiles", "bins", "distinct"):
        assert chunked["columns"]["x"][key] == whole["columns"]["x"][key], key
    assert chunked["columns"]["x"]["mean"] == pytest.approx(whole["columns"]["x"]["mean"])


def test_all_null_column_from_a_file_is_a_categorical_without_values() -> None:
    p = arrow_col(pa.nulls(4))
    assert (p["kind"], p["count"], p["nulls"], p["distinct"], p["top"]) == (
        "categorical",
        0,
        4,
        0,
        [],
    )


def test_stored_size_per_column_stays_small() -> None:
    """The sizes docs/data-at-scale.md states (JSON characters per column, 200k-row profile)."""
    rng = np.random.default_rng(6)
    n = 200_000
    levels = np.asarray([f"level_{i:04d}" for i in range(5_000)])
    table = pa.table(
        {
            "float": rng.normal(size=n),
            "int": rng.integers(0, 90, size=n),
            "cat5000": levels[rng.integers(0, 5_000, size=n)],
            "flag": rng.random(n) < 0.3,
        }
    )
    sizes = {k: len(json.dumps(v)) for k, v in profile_table(table)["columns"].items()}
    assert sizes["float"] < 12_000
    assert sizes["int"] < 3_000
    assert sizes["cat5000"] < 32_000
    assert sizes["flag"] < 400


# --- merging -------------------------------------------------------------------------------

MAYBE_FLOAT = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
    st.just(float("inf")),
    st.none(),
)
ROWS = st.lists(
    st.tuples(
        MAYBE_FLOAT,
        st.one_of(st.integers(-5, 5), st.none()),
        st.one_of(st.sampled_from(["a", "b", "ccc", "d|`x`"]), st.none()),
        st.one_of(st.booleans(), st.none()),
    ),
    min_size=1,
    max_size=40,
)


def table_of(rows: list[tuple]) -> pa.Table:
    columns = list(zip(*rows, strict=True))
    return pa.table(
        {
            "f": pa.array(columns[0], pa.float64()),
            "i": pa.array(columns[1], pa.int64()),
            "s": pa.array(columns[2], pa.string()),
            "b": pa.array(columns[3], pa.bool_()),
        }
    )


APPROX = {"mean", "std"}


@settings(max_examples=60, deadline=None)
@given(ROWS, ROWS)
def test_merge_of_profiles_is_the_profile_of_the_union(a: list[tuple], b: list[tuple]) -> None:
    """Below the exact limits every part of a merged profile is exactly the union's (the
    moments up to float rounding)."""
    merged = merge_profiles(profile_table(table_of(a)), profile_table(table_of(b)))
    whole = profile_table(table_of(a + b))
    assert merged["rows"] == whole["rows"] == len(a) + len(b)
    for name, column in whole["columns"].items():
        got = merged["columns"][name]
        assert set(got) == set(column), name
        for key, value in column.items():
            if key in APPROX and value is not None:
                assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-9), (name, key)
            elif key == "sketch":
                assert got[key].keys() == value.keys()
            elif key == "quantiles":
                assert got[key].keys() == value.keys()
                for q, v in value.items():
                    assert got[key][q] == (v if v is None else pytest.approx(v, rel=1e-12))
            else:
                assert got[key] == value, (name, key)


def test_merge_beyond_the_exact_limits_is_within_the_sketch_errors() -> None:
    rng = np.random.default_rng(7)
    a, b = rng.normal(0, 1, 30_000), rng.exponential(2.0, 50_000)
    levels = np.asarray([f"v{i}" for i in range(3_000)])
    ca, cb = levels[rng.zipf(1.3, 30_000) % 3_000], levels[rng.integers(0, 3_000, 50_000)]
    pa_, pb = (profile_table(pa.table({"x": x, "c": c})) for x, c in ((a, ca), (b, cb)))
    merged = merge_profiles(pa_, pb)
    union = np.sort(np.concatenate([a, b]))
    n = len(union)
    x = merged["columns"]["x"]
    assert (x["count"], x["min"], x["max"]) == (n, union[0], union[-1])
    assert x["mean"] == pytest.approx(union.mean(), rel=1e-12)
    assert x["std"] == pytest.approx(union.std(ddof=1), rel=1e-12)
    bound = 2 * rank_error_bound(512) * n  # each side's stored KLL sketch, k = 512
    for key, value in x["quantiles"].items():
        assert abs(np.searchsorted(union, value, side="right") - float(key) * n) <= bound + 1
    assert sum(x["bins"]["counts"]) == n
    # distinct: the merged HyperLogLog registers are exactly the union's
    whole = profile_table(pa.table({"x": np.concatenate([a, b]), "c": np.concatenate([ca, cb])}))
    assert x["sketch"]["distinct"] == whole["columns"]["x"]["sketch"]["distinct"]
    assert x["distinct"] == pytest.approx(n, rel=0.05)
    # top values: every listed count is a lower bound, within its stated error
    c = merged["columns"]["c"]
    truth = dict(zip(*np.unique(np.concatenate([ca, cb]), return_counts=True), strict=True))
    values = c["values"]
    assert values["complete"] is False and len(values["counts"]) == STORED_VALUES
    for (key, count), error in zip(values["counts"], values["errors"], strict=True):
        assert count <= truth[key] <= count + error
    listed = {k for k, _ in values["counts"]}
    assert all(v <= values["rest_max"] for k, v in truth.items() if k not in listed)
    assert c["top"][0][0] == whole["columns"]["c"]["top"][0][0]  # the heavy hitter is found


def test_merge_int_with_float_and_columns_on_one_side() -> None:
    a = profile_table(pa.table({"x": pa.array([1, 2], pa.int64()), "only_a": ["u", "v"]}))
    b = profile_table(pa.table({"x": pa.array([2.5])}))
    merged = merge_profiles(a, b)
    assert merged["columns"]["x"]["logical_type"] == "number"
    assert merged["columns"]["x"]["mean"] == pytest.approx(5.5 / 3)
    assert (merged["columns"]["only_a"]["count"], merged["columns"]["only_a"]["nulls"]) == (2, 1)


def test_merge_refuses_different_kinds() -> None:
    a = profile_table(pa.table({"x": [1.0]}))
    b = profile_table(pa.table({"x": ["1"]}))
    with pytest.raises(ValueError, match="column 'x' is numeric in one and categorical"):
        merge_profiles(a, b)


def test_a_version_1_profile_still_merges() -> None:
    old = {
        "rows": 3,
        "columns": {
            "x": {
                "kind": "numeric",
                "dtype": "float64",
                "logical_type": "number",
                "count": 3,
                "nulls": 0,
                "nan": 0,
                "inf": 0,
                "finite": 3,
                "min": 1.0,
                "max": 3.0,
                "mean": 2.0,
                "std": 1.0,
                "quantiles": {},
                "bins": {"edges": [], "counts": []},
            },
            "s": {
                "kind": "categorical",
                "dtype": "object",
                "logical_type": "string",
                "count": 3,
                "nulls": 0,
                "top": [["a", 2], ["b", 1]],
                "other": 0,
                "distinct": 2,
            },
        },
    }
    merged = merge_profiles(old, old)
    assert merged["rows"] == 6
    assert merged["columns"]["x"]["mean"] == 2.0
    assert merged["columns"]["x"]["std"] == pytest.approx(np.std([1, 2, 3] * 2, ddof=1))
    assert merged["columns"]["s"]["top"] == [["a", 4], ["b", 2]]
