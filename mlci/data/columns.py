"""One column of one record batch (:class:`ColumnView`), read once and shared by profiling,
checks and drift; and the kind and type name of an Arrow column type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Literal, TypeVar, overload

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlci.data import arrays as A
from mlci.data.hashing import hash_array, is_text

Kind = Literal["numeric", "categorical", "boolean", "datetime"]

T = TypeVar("T")


class _lazy(Generic[T]):  # a decorator, named like functools.cached_property
    """A value computed on first access and kept on the instance, without a lock.

    ``functools.cached_property`` holds one lock per attribute for every instance up to
    Python 3.11, which would let only one thread at a time sort or hash any column. The
    values here are pure functions of the view: two threads computing one at the same time
    get equal values.
    """

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    @overload
    def __get__(self, obj: None, owner: type) -> _lazy[T]: ...

    @overload
    def __get__(self, obj: object, owner: type) -> T: ...

    def __get__(self, obj: object | None, owner: type) -> T | _lazy[T]:
        if obj is None:
            return self
        value = self.compute(obj)
        obj.__dict__[self.name] = value
        return value


class ColumnView:
    """One column of one record batch, with the derived arrays every consumer shares.

    Profiling, checks and drift all read the same views, so a column is converted to
    floats, sorted, counted or hashed at most once per batch.
    """

    def __init__(self, name: str, arr: pa.Array, row_offset: int) -> None:
        self.name = name
        self.arr = arr
        self.row_offset = row_offset
        self.kind, self.logical = column_kind(arr.type)

    def __len__(self) -> int:
        return len(self.arr)

    @_lazy
    def valid(self) -> np.ndarray:
        return A.valid(self.arr)

    @_lazy
    def floats(self) -> np.ndarray:
        """float64 values, NaN where null (numeric and boolean columns)."""
        return A.floats(self.arr)

    @_lazy
    def finite_sorted(self) -> np.ndarray:
        """The finite values, ascending (the quantile sketch, distinct values, drift bins)."""
        if pa.types.is_integer(self.arr.type):
            counted = sorted_by_counting(self.arr)
            if counted is not None:
                return counted
        values = self.floats
        return np.sort(values[np.isfinite(values)])

    @_lazy
    def value_counts(self) -> tuple[pa.Array, np.ndarray]:
        """Distinct non-null values (as text for categorical and boolean columns) and counts."""
        arr = self.arr
        if pa.types.is_boolean(arr.type):
            true = int(pc.sum(arr).as_py() or 0)
            false = len(arr) - arr.null_count - true
            pairs = [(k, c) for k, c in (("True", true), ("False", false)) if c]
            counts = np.asarray([c for _, c in pairs], dtype=np.int64)
            return A.strings([k for k, _ in pairs]), counts
        if pa.types.is_dictionary(arr.type):
            indices = A.ints(arr.indices.drop_null())
            counts = np.bincount(indices, minlength=len(arr.dictionary))
            used = np.flatnonzero(counts)
            keys = arr.dictionary.take(A.indices(used)).cast(pa.string())
            return keys, counts[used].astype(np.int64)
        if pa.types.is_null(arr.type):
            return A.strings([]), np.zeros(0, dtype=np.int64)
        counted = pc.value_counts(arr.drop_null())
        keys = counted.field("values")
        if not is_text(keys.type):
            keys = keys.cast(pa.string())
        return keys, A.ints(counted.field("counts"))

    @_lazy
    def hashes(self) -> tuple[np.ndarray, np.ndarray]:
        return hash_array(self.arr)

    @_lazy
    def texts(self) -> pa.Array:
        """The values as text (null stays null)."""
        arr = self.arr
        if pa.types.is_dictionary(arr.type):
            arr = arr.cast(arr.type.value_type)
        if is_text(arr.type):
            return arr
        if pa.types.is_null(arr.type):
            return pa.nulls(len(arr), pa.string())
        return arr.cast(pa.string())

    def first_values(self, limit: int = 50) -> list[Any]:
        """Up to ``limit`` non-null values as Python objects, in row order."""
        return [v for v in self.arr.slice(0, limit * 4).to_pylist() if v is not None][:limit]


COUNTING_SPAN = 4  # sort integers by counting while max - min < this many times the values


def sorted_by_counting(arr: pa.Array) -> np.ndarray | None:
    """The non-null values of an integer array, ascending, as float64: counted per value
    (linear time) when they span a narrow range (codes, ages, ids), else None.

    Equal to sorting the values as floats: converting integers to float64 keeps their order.
    """
    present = arr.drop_null() if arr.null_count else arr
    n = len(present)
    if n < 1024:  # np.sort is as fast
        return None
    extremes = pc.min_max(present)
    low, high = extremes["min"].as_py(), extremes["max"].as_py()
    if high - low >= COUNTING_SPAN * n or high > np.iinfo(np.int64).max:
        return None
    offsets = A.values(present).astype(np.int64) - low
    counts = np.bincount(offsets, minlength=high - low + 1)
    return np.repeat(np.arange(low, high + 1, dtype=np.int64).astype(np.float64), counts)


def column_kind(t: pa.DataType) -> tuple[Kind, str]:
    """``(kind, logical_type)`` of a column of Arrow type ``t``."""
    if pa.types.is_boolean(t):
        return "boolean", "boolean"
    if pa.types.is_integer(t):
        return "numeric", "integer"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "numeric", "number"
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return "datetime", "datetime"
    if pa.types.is_dictionary(t):
        return "categorical", "category"
    return "categorical", "string"


def dtype_name(t: pa.DataType) -> str:
    """A short, familiar name of an Arrow type: float64, int64, str, bool, category, ..."""
    if pa.types.is_floating(t):
        return f"float{t.bit_width}"
    if pa.types.is_integer(t):
        return str(t)
    if is_text(t) and not (pa.types.is_binary(t) or pa.types.is_large_binary(t)):
        return "str"
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_dictionary(t):
        return "category"
    if pa.types.is_timestamp(t):
        return f"datetime64[{t.unit}{', ' + t.tz if t.tz else ''}]"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_null(t):
        return "null"
    return str(t)
