"""Column views and the names of Arrow types (mlci.data.columns)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from mlci.data.columns import ColumnView, column_kind, dtype_name


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
