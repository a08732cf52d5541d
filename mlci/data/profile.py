"""The profile of a dataset: a small, JSON-safe, deterministic, mergeable summary of every column.

A profile is computed in one pass over record batches (:class:`Profiler`), stored in the
record of each evaluated commit, and later compared with the data of another commit (drift)
without keeping the baseline's data. Profiles of shards merge into the profile of the whole
(:func:`merge_profiles`). Its shape::

    {"profile_version": 2, "rows": n, "columns": {name: column_profile}}

Every column profile has ``kind`` (numeric | categorical | boolean | datetime), ``dtype``,
``logical_type`` (integer | number | string | boolean | datetime | category), ``count``
(non-null values) and ``nulls``; and, by kind:

- numeric: ``nan`` (NaN values, counted as nulls), ``inf``, ``finite``; ``min``, ``max``,
  ``mean``, ``std`` over finite values; a 21-point ``quantiles`` grid and the decile
  ``bins`` (``edges``, ``counts``, ``exact``) drift compares with; ``distinct``;
  ``values`` (exact value counts when the column has at most 1,000 distinct values);
- categorical and boolean: the ``top`` 20 values with counts, ``other`` (the rest),
  ``distinct``, ``values`` (up to 1,000 values: see :class:`~mlci.data.sketch.TopValues`),
  and for text ``length`` (``min``, ``max``, ``mean`` characters);
- datetime: ``min`` and ``max`` as ISO strings.

``sketch`` holds the mergeable state (quantile sketch, distinct-count sketch, M2). What is
exact: every count (rows, nulls, NaN, inf, finite, bin counts up to 100,000 finite values,
value counts while ``values.complete``), min and max; the moments up to float rounding;
quantiles and decile edges up to 100,000 finite values. Beyond, quantiles and bin counts
come from a KLL sketch and ``distinct`` from HyperLogLog (see :mod:`mlci.data.sketch` for the
error bounds). Missing values are ``None``, never NaN.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlci.data import arrays as A
from mlci.data.hashing import hash_array, hash_float_bits, is_text
from mlci.data.sketch import Distinct, Moments, Quantiles, TopValues, weighted_quantiles

if TYPE_CHECKING:
    import pandas as pd

Kind = Literal["numeric", "categorical", "boolean", "datetime"]

PROFILE_VERSION = 2
QUANTILES = tuple(round(0.05 * i, 2) for i in range(21))  # 0.00, 0.05, ..., 1.00
DECILES = tuple(round(0.1 * i, 1) for i in range(1, 10))  # bin edges at q = 0.1 .. 0.9
TOP_K = 20
MAX_VALUE_CHARS = 200  # category values are cut to this length, to keep records small
NUMERIC_VALUES_LIMIT = 10_000  # distinct numbers counted exactly while profiling
STORED_VALUES = 1_000  # value counts kept in a stored profile


# --- one column of one batch -------------------------------------------------------------

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


# --- per-column accumulators -------------------------------------------------------------


class ColumnProfiler:
    """Accumulates one column's profile from views; merges; builds the profile dict."""

    kind: Kind

    def __init__(self, name: str, dtype: str, logical: str) -> None:
        self.name, self.dtype, self.logical = name, dtype, logical
        self.count = 0
        self.nulls = 0

    def update(self, view: ColumnView) -> None:
        raise NotImplementedError

    def merge(self, other: ColumnProfiler) -> None:
        raise NotImplementedError

    def finish(self) -> dict[str, Any]:
        raise NotImplementedError

    def header(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dtype": self.dtype,
            "logical_type": self.logical,
            "count": self.count,
            "nulls": self.nulls,
        }


def _seed(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


class NumericProfiler(ColumnProfiler):
    kind: Kind = "numeric"

    def __init__(self, name: str, dtype: str, logical: str) -> None:
        super().__init__(name, dtype, logical)
        self.nan = 0
        self.inf = 0
        self.moments = Moments()
        self.min: float | None = None
        self.max: float | None = None
        self.quantiles = Quantiles(seed=_seed(name))
        self.values: TopValues | None = TopValues.empty(pa.float64(), NUMERIC_VALUES_LIMIT)
        self.distinct: Distinct | None = None  # started when values overflow

    def update(self, view: ColumnView) -> None:
        values = view.floats
        missing = int(np.count_nonzero(np.isnan(values)))
        self.nan += missing - view.arr.null_count
        self.nulls += missing
        self.count += len(values) - missing
        finite = view.finite_sorted
        self.inf += len(values) - missing - len(finite)
        if len(finite) == 0:
            return
        self.moments.add(finite)
        self._extremes(float(finite[0]), float(finite[-1]))
        self.quantiles.add_sorted(finite)
        self._count_values(finite)

    def merge(self, other: ColumnProfiler) -> None:
        assert isinstance(other, NumericProfiler)
        self.count += other.count
        self.nulls += other.nulls
        self.nan += other.nan
        self.inf += other.inf
        self.moments.merge(other.moments)
        if other.min is not None and other.max is not None:
            self._extremes(other.min, other.max)
        self.quantiles.merge(other.quantiles)
        if self.values is not None and other.values is not None:
            self.values.merge(other.values)
            if len(self.values.keys) > NUMERIC_VALUES_LIMIT or not self.values.complete:
                self._start_distinct()
        else:
            self._start_distinct()
            other_distinct = other._distinct_sketch()
            assert self.distinct is not None
            self.distinct.merge(other_distinct)

    def finish(self) -> dict[str, Any]:
        finite = self.moments.n
        out = self.header() | {"nan": self.nan, "inf": self.inf, "finite": finite}
        std = self.moments.std
        out |= {
            "min": _float(self.min),
            "max": _float(self.max),
            "mean": _float(self.moments.mean) if finite else None,
            "std": _float(std) if std is not None else None,
            "quantiles": self._quantile_grid(),
            "bins": self._bins(),
            "distinct": self._distinct_count(),
            "distinct_exact": self.values is not None,
        }
        if self.values is not None and len(self.values.keys) <= STORED_VALUES:
            out["values"] = self.values.to_json()
        out["sketch"] = self._sketch()
        return out

    @classmethod
    def from_dict(cls, name: str, d: Mapping[str, Any]) -> NumericProfiler:
        p = cls(name, d["dtype"], d["logical_type"])
        p.count, p.nulls = int(d["count"]), int(d["nulls"])
        p.nan, p.inf = int(d.get("nan", 0)), int(d.get("inf", 0))
        sketch = d.get("sketch") or {}
        finite = int(d.get("finite", p.count))
        mean = d.get("mean") or 0.0
        m2 = sketch.get("m2")
        if m2 is None:
            std = d.get("std") or 0.0
            m2 = std * std * max(finite - 1, 0)
        p.moments = Moments(finite, float(mean), float(m2))
        p.min, p.max = d.get("min"), d.get("max")
        if "quantiles" in sketch:
            p.quantiles = Quantiles.from_json(sketch["quantiles"])
        values = d.get("values")
        if values is not None and values.get("complete"):
            p.values = TopValues.from_json(values, pa.float64())
            p.values.limit = NUMERIC_VALUES_LIMIT
            if "quantiles" not in sketch and len(p.values.keys):
                keys = A.floats(p.values.keys)
                p.quantiles = Quantiles.from_counts(keys, p.values.counts, seed=_seed(name))
        else:
            p.values = None
            p.distinct = Distinct.from_json(sketch["distinct"]) if "distinct" in sketch else None
        return p

    # -- internals --

    def _extremes(self, low: float, high: float) -> None:
        self.min = low if self.min is None else min(self.min, low)
        self.max = high if self.max is None else max(self.max, high)

    def _count_values(self, finite: np.ndarray) -> None:
        if self.values is None:
            assert self.distinct is not None
            self.distinct.add(hash_float_bits(_unique_sorted(finite)))
            return
        keys, counts = _counts_of_sorted(finite)
        if len(self.values.keys) + len(keys) > NUMERIC_VALUES_LIMIT:
            self._start_distinct()
            assert self.distinct is not None
            self.distinct.add(hash_float_bits(keys))
            return
        self.values.add_counts(A.array(keys.astype(np.float64)), counts)

    def _start_distinct(self) -> None:
        if self.distinct is None:
            self.distinct = Distinct()
        if self.values is not None:
            keys = A.floats(self.values.keys)
            self.distinct.add(hash_float_bits(keys))
            self.values = None

    def _distinct_sketch(self) -> Distinct:
        if self.distinct is not None:
            return self.distinct
        sketch = Distinct()
        if self.values is not None:
            keys = A.floats(self.values.keys)
            sketch.add(hash_float_bits(keys))
        return sketch

    def _distinct_count(self) -> int | None:
        if self.values is not None:
            return len(self.values.keys)
        return possible(self.distinct.estimate(), self.count) if self.distinct is not None else None

    def _counted(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Every distinct value with its count, sorted, when they are known exactly."""
        if self.values is None or not self.values.complete or len(self.values.keys) == 0:
            return None
        keys = A.floats(self.values.keys)
        order = np.argsort(keys)
        return keys[order], self.values.counts[order]

    def _quantile_grid(self) -> dict[str, float | None]:
        if self.moments.n == 0:
            return {f"{q:.2f}": None for q in QUANTILES}
        counted = self._counted()
        grid = np.asarray(QUANTILES)
        if counted is not None:
            values = weighted_quantiles(*counted, grid)
        else:
            values = self.quantiles.quantiles(QUANTILES)
        values[0], values[-1] = self.min, self.max
        return {f"{q:.2f}": _float(v) for q, v in zip(QUANTILES, values, strict=True)}

    def _bins(self) -> dict[str, Any]:
        if self.moments.n == 0:
            return {"edges": [], "counts": [0], "exact": True}
        counted = self._counted()
        q = self.quantiles
        deciles = np.asarray(DECILES)
        raw = np.unique(weighted_quantiles(*counted, deciles) if counted else q.quantiles(DECILES))
        edges = [v for v in (_float(e) for e in raw) if v is not None]
        points = np.asarray(edges, dtype=np.float64)
        if counted is not None:
            keys, counts = counted
            ranks = np.concatenate([[0], np.cumsum(counts)])[
                np.searchsorted(keys, points, side="right")
            ]
        else:
            ranks = q.rank(points)
        total = self.moments.n
        cumulative = np.concatenate([[0], np.round(ranks), [total]]).astype(np.int64)
        cumulative = np.maximum.accumulate(np.clip(cumulative, 0, total))
        bins = [int(c) for c in np.diff(cumulative)]
        return {"edges": edges, "counts": bins, "exact": counted is not None or q.exact}

    def _sketch(self) -> dict[str, Any]:
        sketch: dict[str, Any] = {"m2": _float(self.moments.m2)}
        stored_values = self.values is not None and len(self.values.keys) <= STORED_VALUES
        if not stored_values:
            sketch["quantiles"] = self.quantiles.stored().to_json()
            sketch["distinct"] = self._distinct_sketch().stored().to_json()
        return sketch


class CategoricalProfiler(ColumnProfiler):
    kind: Kind = "categorical"

    def __init__(self, name: str, dtype: str, logical: str) -> None:
        super().__init__(name, dtype, logical)
        self.values = TopValues.empty(pa.string())
        self.distinct = Distinct()
        self.length_min: int | None = None
        self.length_max: int | None = None
        self.length_total = 0

    def update(self, view: ColumnView) -> None:
        self.nulls += view.arr.null_count
        self.count += len(view.arr) - view.arr.null_count
        keys, counts = view.value_counts
        if len(keys) == 0:
            return
        lengths = A.ints(pc.utf8_length(keys))
        self._lengths(int(lengths.min()), int(lengths.max()), int(np.dot(lengths, counts)))
        if int(lengths.max()) > MAX_VALUE_CHARS:
            keys = pc.utf8_slice_codeunits(keys, 0, MAX_VALUE_CHARS)
        self.distinct.add(hash_array(keys)[0])
        self.values.add_counts(keys, counts)

    def merge(self, other: ColumnProfiler) -> None:
        assert isinstance(other, CategoricalProfiler)
        self.count += other.count
        self.nulls += other.nulls
        self.values.merge(other.values)
        self.distinct.merge(other.distinct)
        if other.length_min is not None and other.length_max is not None:
            self._lengths(other.length_min, other.length_max, other.length_total)

    def finish(self) -> dict[str, Any]:
        out = self.header() | _top_fields(self.values, self.count)
        out["distinct"] = len(self.values.keys) if self.values.complete else self._estimate()
        out["distinct_exact"] = self.values.complete
        if self.length_min is not None:
            mean = self.length_total / self.count if self.count else None
            out["length"] = {
                "min": self.length_min,
                "max": self.length_max,
                "mean": _float(mean),
                "total": self.length_total,
            }
        stored = self.values.stored(STORED_VALUES)
        out["values"] = stored.to_json()
        if not stored.complete:
            out["sketch"] = {"distinct": self.distinct.stored().to_json()}
        return out

    @classmethod
    def from_dict(cls, name: str, d: Mapping[str, Any]) -> CategoricalProfiler:
        p = cls(name, d["dtype"], d["logical_type"])
        p.count, p.nulls = int(d["count"]), int(d["nulls"])
        p.values = _values_from(d)
        sketch = d.get("sketch") or {}
        if "distinct" in sketch:
            p.distinct = Distinct.from_json(sketch["distinct"])
        else:
            p.distinct = Distinct()
            p.distinct.add(hash_array(p.values.keys)[0])
        length = d.get("length")
        if length:
            p.length_min, p.length_max = length["min"], length["max"]
            p.length_total = int(length.get("total", round((length["mean"] or 0) * p.count)))
        return p

    def _lengths(self, low: int, high: int, total: int) -> None:
        self.length_min = low if self.length_min is None else min(self.length_min, low)
        self.length_max = high if self.length_max is None else max(self.length_max, high)
        self.length_total += total

    def _estimate(self) -> int:
        return possible(max(self.distinct.estimate(), len(self.values.keys)), self.count)


class BooleanProfiler(ColumnProfiler):
    kind: Kind = "boolean"

    def __init__(self, name: str, dtype: str, logical: str) -> None:
        super().__init__(name, dtype, logical)
        self.true = 0

    def update(self, view: ColumnView) -> None:
        self.nulls += view.arr.null_count
        self.count += len(view.arr) - view.arr.null_count
        self.true += int(pc.sum(view.arr).as_py() or 0)

    def merge(self, other: ColumnProfiler) -> None:
        assert isinstance(other, BooleanProfiler)
        self.count += other.count
        self.nulls += other.nulls
        self.true += other.true

    def finish(self) -> dict[str, Any]:
        counts = [("True", self.true), ("False", self.count - self.true)]
        counts = sorted([p for p in counts if p[1]], key=lambda p: (-p[1], p[0]))
        values = TopValues(
            A.strings([k for k, _ in counts]),
            np.asarray([c for _, c in counts], dtype=np.int64),
            np.zeros(len(counts), dtype=np.int64),
        )
        out = self.header() | _top_fields(values, self.count)
        out["distinct"] = len(counts)
        out["distinct_exact"] = True
        out["values"] = values.to_json()
        return out

    @classmethod
    def from_dict(cls, name: str, d: Mapping[str, Any]) -> BooleanProfiler:
        p = cls(name, d["dtype"], d["logical_type"])
        p.count, p.nulls = int(d["count"]), int(d["nulls"])
        p.true = next((int(c) for v, c in d.get("top", []) if v == "True"), 0)
        return p


class DatetimeProfiler(ColumnProfiler):
    kind: Kind = "datetime"

    def __init__(self, name: str, dtype: str, logical: str) -> None:
        super().__init__(name, dtype, logical)
        self.min: datetime | date | None = None
        self.max: datetime | date | None = None

    def update(self, view: ColumnView) -> None:
        self.nulls += view.arr.null_count
        self.count += len(view.arr) - view.arr.null_count
        if self.count == 0 or view.arr.null_count == len(view.arr):
            return
        extremes = pc.min_max(view.arr)
        self._extremes(_as_time(extremes["min"].as_py()), _as_time(extremes["max"].as_py()))

    def merge(self, other: ColumnProfiler) -> None:
        assert isinstance(other, DatetimeProfiler)
        self.count += other.count
        self.nulls += other.nulls
        if other.min is not None and other.max is not None:
            self._extremes(other.min, other.max)

    def finish(self) -> dict[str, Any]:
        return self.header() | {
            "min": self.min.isoformat() if self.min is not None else None,
            "max": self.max.isoformat() if self.max is not None else None,
        }

    @classmethod
    def from_dict(cls, name: str, d: Mapping[str, Any]) -> DatetimeProfiler:
        p = cls(name, d["dtype"], d["logical_type"])
        p.count, p.nulls = int(d["count"]), int(d["nulls"])
        p.min, p.max = _parse_time(d.get("min")), _parse_time(d.get("max"))
        return p

    def _extremes(self, low: Any, high: Any) -> None:
        if low is None or high is None:
            return
        self.min = low if self.min is None else min(self.min, low)
        self.max = high if self.max is None else max(self.max, high)


def _as_time(value: Any) -> Any:
    """A pandas/numpy timestamp as a datetime (nanoseconds are dropped)."""
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    return value


def _parse_time(text: str | None) -> datetime | date | None:
    if text is None:
        return None
    if "T" not in text and len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text)


_PROFILERS: dict[Kind, type[ColumnProfiler]] = {
    "numeric": NumericProfiler,
    "categorical": CategoricalProfiler,
    "boolean": BooleanProfiler,
    "datetime": DatetimeProfiler,
}


def possible(estimate: float, count: int) -> int:
    """A sketch's count estimate clamped to what the rows allow: HyperLogLog may guess more
    distinct values than there are values (a unique id column of 1M rows), which would put a
    share above 100% into the drift tests."""
    return max(0, min(round(estimate), count))


def _top_fields(values: TopValues, count: int) -> dict[str, Any]:
    top = [(str(k), possible(c, count)) for k, c, _ in values.items()[:TOP_K]]
    return {
        "top": [[k, c] for k, c in top],
        "other": possible(count - sum(c for _, c in top), count),
    }


def _values_from(d: Mapping[str, Any]) -> TopValues:
    if "values" in d:
        return TopValues.from_json(d["values"], pa.string())
    # a version-1 profile: the top 20 and "other", complete when nothing is in "other"
    top = d.get("top", [])
    rest = int(d.get("other", 0))
    return TopValues(
        A.strings([str(k) for k, _ in top]),
        np.asarray([c for _, c in top], dtype=np.int64),
        np.zeros(len(top), dtype=np.int64),
        rest_max=(min(top[-1][1], rest) if top else rest) if rest else 0,
    )


def _counts_of_sorted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    starts = np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))
    counts = np.diff(np.concatenate([starts, [len(values)]]))
    return values[starts], counts.astype(np.int64)


def _unique_sorted(values: np.ndarray) -> np.ndarray:
    return values[np.concatenate([[True], values[1:] != values[:-1]])]


def _float(v: Any) -> float | None:
    """A plain float, or None for None/NaN/inf (JSON has neither)."""
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


# --- the whole dataset -------------------------------------------------------------------


class Profiler:
    """Builds a dataset's profile from record batches (one pass, bounded memory).

    Example:
        >>> p = Profiler()
        >>> p.update_batch(pa.record_batch({"a": [1, 2, 3]}))
        >>> p.finish()["columns"]["a"]["mean"]
        2.0
    """

    def __init__(self) -> None:
        self.rows = 0
        self.columns: dict[str, ColumnProfiler] = {}

    def update(self, views: Mapping[str, ColumnView]) -> None:
        """Add one batch, given as views of its columns."""
        self.add_columns(views)
        for name, view in views.items():
            self.columns[name].update(view)
        if views:
            self.rows += len(next(iter(views.values())))

    def add_columns(self, views: Mapping[str, ColumnView]) -> None:
        """Start the profiles of the columns not seen before (in their order), so that the
        columns of a batch can then be added one by one, each on its own thread:
        ``self.columns[name].update(view)``, then ``self.rows += n``."""
        for name, view in views.items():
            if name not in self.columns:
                kind = view.kind
                self.columns[name] = _PROFILERS[kind](name, dtype_name(view.arr.type), view.logical)

    def update_batch(self, batch: pa.RecordBatch, row_offset: int | None = None) -> None:
        offset = self.rows if row_offset is None else row_offset
        self.update(views_of(batch, offset))

    def merge(self, other: Profiler) -> None:
        """Add another profiler's data (the columns of both, in this one's order first)."""
        for name in list(self.columns) + [c for c in other.columns if c not in self.columns]:
            mine, theirs = self.columns.get(name), other.columns.get(name)
            if mine is None:
                assert theirs is not None
                theirs.nulls += self.rows
                self.columns[name] = theirs
            elif theirs is None:
                mine.nulls += other.rows
            else:
                self.columns[name] = _merge_columns(name, mine, theirs)
        self.rows += other.rows

    def finish(self, *, each: ColumnMap = map) -> dict[str, Any]:
        """The profile dict (see the module docstring). ``each`` maps a function over the
        column profilers: ``ThreadPoolExecutor.map`` finishes them side by side."""
        done = each(_finish_column, self.columns.values())
        columns = dict(zip(self.columns, done, strict=True))
        return {"profile_version": PROFILE_VERSION, "rows": self.rows, "columns": columns}

    @classmethod
    def from_profile(cls, profile: Mapping[str, Any]) -> Profiler:
        p = cls()
        p.rows = int(profile["rows"])
        for name, d in profile["columns"].items():
            p.columns[name] = _PROFILERS[d["kind"]].from_dict(name, d)  # type: ignore[attr-defined]
        return p


ColumnMap = Callable[
    [Callable[[ColumnProfiler], dict[str, Any]], Iterable[ColumnProfiler]],
    Iterable[dict[str, Any]],
]


def _finish_column(profiler: ColumnProfiler) -> dict[str, Any]:
    return profiler.finish()


def _merge_columns(name: str, a: ColumnProfiler, b: ColumnProfiler) -> ColumnProfiler:
    if a.kind != b.kind:
        raise ValueError(
            f"Cannot merge profiles: column '{name}' is {a.kind} in one and {b.kind} in the other."
        )
    if a.logical != b.logical and {a.logical, b.logical} == {"integer", "number"}:
        a.logical, a.dtype = "number", "float64"
    a.merge(b)
    return a


def views_of(batch: pa.RecordBatch, row_offset: int) -> dict[str, ColumnView]:
    """Views of every column of a batch (column names as text)."""
    return {
        str(name): ColumnView(str(name), column, row_offset)
        for name, column in zip(batch.schema.names, batch.columns, strict=True)
    }


def profile_batches(batches: Iterable[pa.RecordBatch]) -> dict[str, Any]:
    """The profile of a stream of record batches of one schema."""
    profiler = Profiler()
    for batch in batches:
        profiler.update_batch(batch)
    return profiler.finish()


def profile_table(table: pa.Table) -> dict[str, Any]:
    """The profile of an Arrow table."""
    if table.num_rows == 0:
        profiler = Profiler()
        for f in table.schema:
            kind, logical = column_kind(f.type)
            profiler.columns[f.name] = _PROFILERS[kind](f.name, dtype_name(f.type), logical)
        return profiler.finish()
    return profile_batches(table.combine_chunks().to_batches())


def profile_frame(df: pd.DataFrame) -> dict[str, Any]:
    """Profile every column of a pandas DataFrame (converted to Arrow; see :func:`frame_table`).

    Returns:
        ``{"profile_version": 2, "rows": len(df), "columns": {str(name): column_profile}}``
        in column order; only JSON types, and the same output for the same input.

    Example:
        >>> import pandas as pd
        >>> profile_frame(pd.DataFrame({"a": [1, 2, 3]}))["columns"]["a"]["mean"]
        2.0
    """
    return profile_table(frame_table(df))


def frame_table(df: pd.DataFrame) -> pa.Table:
    """A pandas DataFrame as an Arrow table with text column names.

    Columns Arrow cannot hold as one type (objects of mixed types) become text, as in a JSON
    lines file with mixed types: ``1`` and ``"x"`` become ``"1"`` and ``"x"``.
    """
    arrays = [_series_array(df.iloc[:, i]) for i in range(df.shape[1])]
    return pa.Table.from_arrays(arrays, names=[str(c) for c in df.columns])


def _series_array(s: pd.Series) -> pa.Array:
    from mlci.data.read import normalise

    try:
        arr = pa.array(s, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        texts = [None if _missing(v) else (str(v) if not isinstance(v, str) else v) for v in s]
        arr = pa.array(texts, type=pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    batch = normalise(pa.record_batch([arr], names=["c"]))
    return batch.column(0)


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def merge_profiles(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """The profile of the union of two datasets, from their profiles alone.

    Counts, extremes and complete value counts merge exactly; moments up to float rounding;
    quantiles, bins and distinct counts within the sketches' stated errors (exactly when
    both sides kept their values exactly and the union still fits). A column present on one
    side only counts the other side's rows as nulls. Integer and float columns merge as
    float.

    Raises:
        ValueError: a column has different kinds on the two sides.

    Example:
        >>> import pandas as pd
        >>> a, b = (profile_frame(pd.DataFrame({"x": v})) for v in ([1, 2], [3]))
        >>> merge_profiles(a, b)["columns"]["x"]["mean"]
        2.0
    """
    merged = Profiler.from_profile(a)
    merged.merge(Profiler.from_profile(b))
    return merged.finish()


def bin_counts(finite_sorted: np.ndarray, edges: list[float]) -> np.ndarray:
    """Counts of sorted values in (-inf, e1], (e1, e2], ..., (e_last, inf)."""
    cuts = np.searchsorted(finite_sorted, np.asarray(edges, dtype=np.float64), side="right")
    return np.diff(np.concatenate([[0], cuts, [len(finite_sorted)]])).astype(np.int64)
