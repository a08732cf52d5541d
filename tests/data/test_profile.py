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
    p = col([1.0, np.nan, np.inf, -np.inf, 3.0, None])
    assert (p["count"], p["nulls"], p["nan"], p["inf"], p["finite"]) == (4, 2, 2, 2, 2)
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
    assert p["bins"] == {"edges": [], "counts": [0]}


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
    # JSON booleans with nulls come as objects; still booleans
    p = col([True, None, False, True], dtype="object")
    assert (p["kind"], p["dtype"], p["nulls"], p["top"]) == (
        "boolean",
        "object",
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
