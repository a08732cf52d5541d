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

A stored profile keeps its sketches compacted (``sketch``: 512-point quantile sketch, 1,024
exact values, 1,000 value counts), so profiles merged after they were stored are within the
stored sketches' errors. For a dataset profiled in parts, each part is kept as an unfinished
**piece** instead (:meth:`Profiler.piece`): every accumulator at full precision, JSON-safe::

    {"piece_version": 1, "rows": n, "columns": {name: column_state}}

Pieces merge in any order and grouping into the profile one process would have computed from
the whole: every part that is exact in one process is exact (equal) after the merge, and the
rest is within the same bounds, as nothing is compacted before the one final
:meth:`Profiler.finish`. A profile or piece of no rows adds nothing to a merge.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlci.data import arrays as A
from mlci.data.columns import ColumnView, Kind, column_kind, dtype_name
from mlci.data.hashing import hash_array, hash_float_bits
from mlci.data.sketch import (
    Distinct,
    Moments,
    Quantiles,
    TopValues,
    decode_floats,
    encode_floats,
    weighted_quantiles,
)
from mlci.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

PROFILE_VERSION = 2
PIECE_VERSION = 1
QUANTILES = tuple(round(0.05 * i, 2) for i in range(21))  # 0.00, 0.05, ..., 1.00
DECILES = tuple(round(0.1 * i, 1) for i in range(1, 10))  # bin edges at q = 0.1 .. 0.9
TOP_K = 20
MAX_VALUE_CHARS = 200  # category values are cut to this length, to keep records small
NUMERIC_VALUES_LIMIT = 10_000  # distinct numbers counted exactly while profiling
STORED_VALUES = 1_000  # value counts kept in a stored profile


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

    def state(self) -> dict[str, Any]:
        """The whole state, JSON-safe, for an unfinished piece (see :meth:`Profiler.piece`)."""
        raise NotImplementedError

    @classmethod
    def from_state(cls, name: str, d: Mapping[str, Any]) -> ColumnProfiler:
        """The profiler :meth:`state` saved (ValueError, KeyError or TypeError if malformed)."""
        raise NotImplementedError

    @classmethod
    def _blank(cls, name: str, d: Mapping[str, Any]) -> Any:
        p = cls(name, str(d["dtype"]), str(d["logical_type"]))
        p.count, p.nulls = int(d["count"]), int(d["nulls"])
        return p

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
            self._add_values(other.values.keys, other.values)
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

    def state(self) -> dict[str, Any]:
        moments = self.moments
        return self.header() | {
            "nan": self.nan,
            "inf": self.inf,
            "moments": {
                "n": moments.n,
                "mean_m2": encode_floats(np.asarray([moments.mean, moments.m2])),
            },
            "min": self.min,
            "max": self.max,
            "quantiles": self.quantiles.state(),
            "values": self.values.state() if self.values is not None else None,
            "distinct": self.distinct.state() if self.distinct is not None else None,
        }

    @classmethod
    def from_state(cls, name: str, d: Mapping[str, Any]) -> NumericProfiler:
        p: NumericProfiler = cls._blank(name, d)
        p.nan, p.inf = int(d["nan"]), int(d["inf"])
        mean, m2 = decode_floats(d["moments"]["mean_m2"])
        p.moments = Moments(int(d["moments"]["n"]), float(mean), float(m2))
        p.min, p.max = _optional_float(d["min"]), _optional_float(d["max"])
        p.quantiles = Quantiles.from_state(d["quantiles"])
        values, distinct = d["values"], d["distinct"]
        p.values = TopValues.from_state(values, pa.float64()) if values is not None else None
        p.distinct = Distinct.from_state(distinct) if distinct is not None else None
        if p.values is None and p.distinct is None:
            raise ValueError(f"column {name!r} has neither value counts nor a distinct count")
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
        if len(keys) > NUMERIC_VALUES_LIMIT:  # many distinct values: no need to count them
            self._start_distinct()
            assert self.distinct is not None
            self.distinct.add(hash_float_bits(keys))
            return
        # -0.0 and 0.0 are one value (the sort counted them together); Arrow's merge of the
        # counts of two pieces would keep them apart, so only 0.0 is ever a key
        arr = A.array(keys.astype(np.float64) + 0.0)
        self._add_values(arr, TopValues(arr, counts, np.zeros(len(keys), np.int64)))

    def _add_values(self, keys: pa.Array, counted: TopValues) -> None:
        """Count more values exactly while their union fits; else switch to the distinct
        sketch, with the values of both sides (none is lost to the truncation)."""
        assert self.values is not None
        mine = self.values.keys
        self.values.merge(counted)
        if self.values.complete:
            return
        self.values = None
        self.distinct = Distinct()
        self.distinct.add(hash_float_bits(A.floats(mine)))
        self.distinct.add(hash_float_bits(A.floats(keys)))

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
        raw = A.distinct_sorted(
            weighted_quantiles(*counted, deciles) if counted else q.quantiles(DECILES)
        )
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

    def state(self) -> dict[str, Any]:
        lengths = None
        if self.length_min is not None:
            lengths = [self.length_min, self.length_max, self.length_total]
        return self.header() | {
            "values": self.values.state(),
            "distinct": self.distinct.state(),
            "lengths": lengths,
        }

    @classmethod
    def from_state(cls, name: str, d: Mapping[str, Any]) -> CategoricalProfiler:
        p: CategoricalProfiler = cls._blank(name, d)
        p.values = TopValues.from_state(d["values"], pa.string())
        p.distinct = Distinct.from_state(d["distinct"])
        if d["lengths"] is not None:
            p.length_min, p.length_max, p.length_total = (int(v) for v in d["lengths"])
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

    def state(self) -> dict[str, Any]:
        return self.header() | {"true": self.true}

    @classmethod
    def from_state(cls, name: str, d: Mapping[str, Any]) -> BooleanProfiler:
        p: BooleanProfiler = cls._blank(name, d)
        p.true = int(d["true"])
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

    def state(self) -> dict[str, Any]:
        return self.finish()

    @classmethod
    def from_state(cls, name: str, d: Mapping[str, Any]) -> DatetimeProfiler:
        return cls.from_dict(name, d)

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
    top = [(str(k), possible(c, count)) for k, c, _ in values.items(TOP_K)]
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


def _optional_float(v: Any) -> float | None:
    return None if v is None else float(v)


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
        """Add another profiler's data (the columns of both, in this one's order first).

        ``other`` is consumed (its accumulators may become this one's). A profiler of no rows
        adds nothing; merged into an empty one, ``other`` takes its place.
        """
        if other.rows == 0 and (self.rows or self.columns):
            return
        if self.rows == 0:
            self.rows, self.columns = other.rows, other.columns
            return
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

    def piece(self) -> dict[str, Any]:
        """The unfinished profile: every accumulator at full precision, JSON-safe.

        :meth:`load` restores it; pieces of the parts of a dataset merge into the profile
        one process computes from the whole (see the module docstring).
        """
        columns = {name: p.state() for name, p in self.columns.items()}
        return {"piece_version": PIECE_VERSION, "rows": self.rows, "columns": columns}

    @classmethod
    def from_profile(cls, profile: Mapping[str, Any]) -> Profiler:
        p = cls()
        p.rows = int(profile["rows"])
        for name, d in profile["columns"].items():
            p.columns[name] = _PROFILERS[d["kind"]].from_dict(name, d)  # type: ignore[attr-defined]
        return p

    @classmethod
    def from_piece(cls, piece: Mapping[str, Any]) -> Profiler:
        """The profiler a :meth:`piece` saved.

        Raises:
            ValueError: another piece version, or a malformed piece (also KeyError or
                TypeError for missing or mistyped fields).
        """
        version = piece.get("piece_version")
        if version != PIECE_VERSION:
            raise ValueError(f"a profile piece of version {version!r}; this mlci reads version 1")
        p = cls()
        p.rows = int(piece["rows"])
        for name, d in piece["columns"].items():
            p.columns[name] = _PROFILERS[d["kind"]].from_state(name, d)
        return p

    @classmethod
    def load(cls, doc: Mapping[str, Any]) -> Profiler:
        """The profiler of a stored profile or of an unfinished piece."""
        return cls.from_piece(doc) if is_piece(doc) else cls.from_profile(doc)

    @classmethod
    def empty(cls, schema: pa.Schema) -> Profiler:
        """A profiler of no rows with the columns of ``schema``."""
        p = cls()
        for f in schema:
            kind, logical = column_kind(f.type)
            p.columns[f.name] = _PROFILERS[kind](f.name, dtype_name(f.type), logical)
        return p


def is_piece(doc: Any) -> bool:
    """Whether ``doc`` is an unfinished piece (:meth:`Profiler.piece`) rather than a profile."""
    return isinstance(doc, Mapping) and "piece_version" in doc


def load_profiler(doc: Mapping[str, Any], *, source: str) -> Profiler:
    """:meth:`Profiler.load`, with one readable error naming ``source`` for a malformed doc.

    Raises:
        DataError: ``doc`` is not a profile or piece this version of mlci reads.
    """
    try:
        return Profiler.load(doc)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        what = "piece of a profile" if is_piece(doc) else "profile"
        detail = f"no {exc}" if isinstance(exc, KeyError) else str(exc)
        raise DataError(
            f"{source}: a malformed {what} ({detail}). Write profiles with `mlci profile`."
        ) from None


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
        return Profiler.empty(table.schema).finish()
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
    """The profile of the union of two datasets, from their profiles or pieces alone.

    Counts, extremes and complete value counts merge exactly; moments up to float rounding.
    From two pieces (:meth:`Profiler.piece`), the rest is what one process computes from
    the union: equal where that is exact, within the same bounds elsewhere. From stored
    profiles, quantiles, bins and distinct counts are within the stored sketches' errors
    (exact when both sides kept their values exactly and the union still fits). A column
    present on one side only counts the other side's rows as nulls; a side of no rows adds
    nothing. Integer and float columns merge as float.

    Raises:
        ValueError: a column has different kinds on the two sides.

    Example:
        >>> import pandas as pd
        >>> a, b = (profile_frame(pd.DataFrame({"x": v})) for v in ([1, 2], [3]))
        >>> merge_profiles(a, b)["columns"]["x"]["mean"]
        2.0
    """
    merged = Profiler.load(a)
    merged.merge(Profiler.load(b))
    return merged.finish()


def bin_counts(finite_sorted: np.ndarray, edges: list[float]) -> np.ndarray:
    """Counts of sorted values in (-inf, e1], (e1, e2], ..., (e_last, inf)."""
    cuts = np.searchsorted(finite_sorted, np.asarray(edges, dtype=np.float64), side="right")
    return np.diff(np.concatenate([[0], cuts, [len(finite_sorted)]])).astype(np.int64)
