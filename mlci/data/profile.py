"""The profile of a dataset: a small, JSON-safe, deterministic summary of every column.

A profile is stored in the record of each evaluated commit, so drift can later be measured
against it without keeping the baseline's data. Its shape::

    {"rows": n, "columns": {name: column_profile}}

Every column profile has ``kind`` (numeric | categorical | boolean | datetime), ``dtype``,
``logical_type`` (integer | number | string | boolean | datetime | category), ``count``
(non-null values) and ``nulls``. Numeric columns add ``nan``, ``inf``, ``finite``, ``min``,
``max``, ``mean``, ``std`` (over finite values), a 21-point ``quantiles`` grid and the decile
``bins`` drift uses; categorical and boolean columns add the ``top`` 20 values with counts,
``other`` and ``distinct``; datetime columns add ``min``/``max`` as ISO strings. Missing
values are ``None``, never NaN. Counts, extremes, moments (with ``finite``) and bin counts on
shared edges merge exactly across shards.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

Kind = Literal["numeric", "categorical", "boolean", "datetime"]

QUANTILES = tuple(round(0.05 * i, 2) for i in range(21))  # 0.00, 0.05, ..., 1.00
DECILES = tuple(round(0.1 * i, 1) for i in range(1, 10))  # bin edges at q = 0.1 .. 0.9
TOP_K = 20
MAX_VALUE_CHARS = 200  # category values are cut to this length, to keep records small


def profile_frame(df: pd.DataFrame) -> dict[str, Any]:
    """Profile every column of ``df``.

    Returns:
        ``{"rows": len(df), "columns": {str(name): column_profile}}`` in column order; only
        JSON types (dict, list, str, int, float, bool, None), and the same output for the
        same input.

    Example:
        >>> profile_frame(pd.DataFrame({"a": [1, 2, 3]}))["columns"]["a"]["mean"]
        2.0
    """
    columns = {str(name): profile_column(df[name]) for name in df.columns}
    return {"rows": len(df), "columns": columns}


def profile_column(s: pd.Series) -> dict[str, Any]:
    """The profile of one column (see the module docstring for its keys)."""
    kind, logical = column_kind(s)
    base: dict[str, Any] = {"kind": kind, "dtype": str(s.dtype), "logical_type": logical}
    if kind == "numeric":
        return base | _numeric(s)
    if kind == "datetime":
        return base | _datetime(s)
    return base | _categorical(s)


def column_kind(s: pd.Series) -> tuple[Kind, str]:
    """``(kind, logical_type)`` of a column, from its dtype (and, for objects, its values)."""
    dtype = s.dtype
    if ptypes.is_bool_dtype(dtype) or is_object_of_bools(s):
        return "boolean", "boolean"
    if ptypes.is_integer_dtype(dtype):
        return "numeric", "integer"
    if ptypes.is_float_dtype(dtype):
        return "numeric", "number"
    if ptypes.is_datetime64_any_dtype(dtype):
        return "datetime", "datetime"
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical", "category"
    return "categorical", "string"


def is_object_of_bools(s: pd.Series) -> bool:
    """An object column whose non-null values are all booleans (JSON booleans with nulls)."""
    if s.dtype != object:
        return False
    values = s.dropna()
    return len(values) > 0 and all(isinstance(v, (bool, np.bool_)) for v in values)


def float_values(s: pd.Series) -> np.ndarray:
    """The column as float64, with missing values (NA, None, NaN) as NaN."""
    return np.asarray(s.to_numpy(dtype="float64", na_value=np.nan), dtype="float64")


def category_counts(s: pd.Series) -> pd.Series:
    """Counts of the non-null values as strings, most frequent first, ties by value.

    Profiles and categorical drift both count values through this function, so a value is
    keyed the same way on both sides.
    """
    keys = s.dropna().astype(str).str.slice(0, MAX_VALUE_CHARS)
    counts = keys.value_counts(sort=False)
    pairs = sorted(zip(counts.index, counts.to_numpy(), strict=True), key=lambda p: (-p[1], p[0]))
    return pd.Series(
        [int(c) for _, c in pairs], index=pd.Index([str(v) for v, _ in pairs]), dtype="int64"
    )


def bin_counts(finite: np.ndarray, edges: list[float]) -> list[int]:
    """Counts of ``finite`` in (-inf, e1], (e1, e2], ..., (e_last, inf)."""
    index = np.searchsorted(np.asarray(edges, dtype="float64"), finite, side="left")
    return [int(c) for c in np.bincount(index, minlength=len(edges) + 1)]


def _numeric(s: pd.Series) -> dict[str, Any]:
    values = float_values(s)
    missing = np.isnan(values)
    finite = values[np.isfinite(values)]
    nulls = int(missing.sum())
    # numpy floats have one missing value (NaN); nullable dtypes tell NaN from NA
    nan = nulls if isinstance(s.dtype, np.dtype) else int((missing & ~s.isna().to_numpy()).sum())
    return {
        "count": len(values) - nulls,
        "nulls": nulls,
        "nan": nan,
        "inf": int(np.isinf(values).sum()),
        "finite": len(finite),
        **_moments(finite),
        "quantiles": _quantiles(finite),
        "bins": _bins(finite),
    }


def _moments(finite: np.ndarray) -> dict[str, float | None]:
    if len(finite) == 0:
        return {"min": None, "max": None, "mean": None, "std": None}
    with np.errstate(over="ignore", invalid="ignore"):  # near float max: None, not a warning
        mean = _float(np.mean(finite))
        std = _float(np.std(finite, ddof=1)) if len(finite) >= 2 else None
    return {"min": _float(finite.min()), "max": _float(finite.max()), "mean": mean, "std": std}


def _quantiles(finite: np.ndarray) -> dict[str, float | None]:
    if len(finite) == 0:
        return {f"{q:.2f}": None for q in QUANTILES}
    values = np.quantile(finite, QUANTILES, method="linear")
    return {f"{q:.2f}": _float(v) for q, v in zip(QUANTILES, values, strict=True)}


def _bins(finite: np.ndarray) -> dict[str, list[Any]]:
    edges: list[float] = []
    if len(finite):
        raw = np.unique(np.quantile(finite, DECILES, method="linear"))
        edges = [v for v in (_float(e) for e in raw) if v is not None]
    return {"edges": edges, "counts": bin_counts(finite, edges)}


def _categorical(s: pd.Series) -> dict[str, Any]:
    counts = category_counts(s)
    top = counts.iloc[:TOP_K]
    nulls = int(s.isna().sum())
    return {
        "count": len(s) - nulls,
        "nulls": nulls,
        "top": [[str(v), int(c)] for v, c in top.items()],
        "other": int(counts.iloc[TOP_K:].sum()),
        "distinct": len(counts),
    }


def _datetime(s: pd.Series) -> dict[str, Any]:
    values = s.dropna()
    nulls = len(s) - len(values)
    return {
        "count": len(values),
        "nulls": nulls,
        "min": pd.Timestamp(values.min()).isoformat() if len(values) else None,
        "max": pd.Timestamp(values.max()).isoformat() if len(values) else None,
    }


def _float(v: Any) -> float | None:
    """A plain float, or None for NaN/inf (JSON has neither)."""
    f = float(v)
    return f if np.isfinite(f) else None
