"""Column views and the names of Arrow types (mlci.data.columns)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlci.data.columns import (
    COUNTING_SPAN,
    ColumnView,
    column_kind,
    dtype_name,
    sorted_by_counting,
)


@pytest.mark.parametrize(
    ("arr", "name"),
    [
        (pa.array([1.0]), "float64"),
        (pa.array([1], pa.int32()), "int32"),
        (pa.array(["a"]), "str"),
        (pa.array(["a"], pa.large_string()), "str"),
        (pa.array([True]), "bool"),
        (pa.array(["a"]).dictionary_encode(), "category"),
        (pa.array([0], pa.timestamp("us", "UTC")), "datetime64[us, UTC]"),
        (pa.nulls(1), "null"),
    ],
)
def test_dtype_names(arr: pa.Array, name: str) -> None:
    assert dtype_name(arr.type) == name


def test_a_view_computes_its_arrays_once_and_keeps_them() -> None:
    view = ColumnView("x", pa.array([3.0, None, 1.0, float("inf")]), row_offset=0)
    assert (view.kind, view.logical, len(view)) == ("numeric", "number", 4)
    assert view.finite_sorted.tolist() == [1.0, 3.0]
    assert view.finite_sorted is view.finite_sorted
    assert view.first_values(2) == [3.0, 1.0]


@pytest.mark.parametrize(
    ("arr", "kind"),
    [
        (pa.array([1], pa.int8()), ("numeric", "integer")),
        (pa.array([1.5]), ("numeric", "number")),
        (pa.array([True]), ("boolean", "boolean")),
        (pa.array(["a"]).dictionary_encode(), ("categorical", "category")),
        (pa.array(["a"]), ("categorical", "string")),
        (pa.array([0], pa.timestamp("s")), ("datetime", "datetime")),
    ],
)
def test_column_kinds(arr: pa.Array, kind: tuple[str, str]) -> None:
    assert column_kind(arr.type) == kind


INTEGER_TYPES = [
    pa.int8(),
    pa.int16(),
    pa.int32(),
    pa.int64(),
    pa.uint8(),
    pa.uint32(),
    pa.uint64(),
]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(INTEGER_TYPES),
    st.integers(0, 3_000),
    st.integers(-(2**20), 2**20),
    st.integers(1, 10_000),
    st.floats(0, 0.3),
    st.integers(0, 2**32 - 1),
)
def test_integers_sorted_by_counting_equal_numpys_sort(
    t: pa.DataType, n: int, low: int, span: int, null_share: float, seed: int
) -> None:
    """Oracle: np.sort of the same values as floats, for every integer type, nulls included."""
    info = np.iinfo(t.to_pandas_dtype())
    span = min(span, int(info.max) - int(info.min))
    low = min(max(low, int(info.min)), int(info.max) - span)
    rng = np.random.default_rng(seed)
    values = rng.integers(low, low + span, size=n, endpoint=True)
    mask = rng.random(n) < null_share
    arr = pa.array(values, type=t, mask=mask)
    view = ColumnView("x", arr, 0)
    oracle = np.sort(values[~mask].astype(np.float64))
    np.testing.assert_array_equal(view.finite_sorted, oracle)
    counted = sorted_by_counting(arr)
    if counted is not None:  # counting applies to long, narrow columns only
        assert len(oracle) >= 1024 and span < COUNTING_SPAN * len(oracle)
        np.testing.assert_array_equal(counted, oracle)


def test_long_narrow_integers_are_counted() -> None:
    ages = pa.array(np.random.default_rng(1).integers(0, 120, size=5_000), mask=None)
    counted = sorted_by_counting(ages)
    assert counted is not None
    np.testing.assert_array_equal(counted, np.sort(ages.to_numpy().astype(np.float64)))


def test_wide_or_huge_integers_are_sorted_as_floats() -> None:
    wide = pa.array(np.arange(2_000, dtype=np.int64) * 10_000)  # span 5,000 × the values
    huge = pa.array(np.full(2_000, 2**64 - 1, dtype=np.uint64))  # beyond int64
    for arr in (wide, huge):
        assert sorted_by_counting(arr) is None
        oracle = np.sort(arr.to_numpy().astype(np.float64))
        np.testing.assert_array_equal(ColumnView("x", arr, 0).finite_sorted, oracle)
