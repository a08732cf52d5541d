"""Schema and constraint checks of one dataset: check mappings in, :class:`CheckResult` out.

The check mappings come from ``mlci.yml`` (``datasets.<name>.checks``) and from schema files,
already validated by the config loader. Each mapping is one of::

    {column, type?, required?, nullable?, max_null_fraction?, min?, max?, allowed?,
     max_unseen_fraction?, unique?, severity?}
    {row_count: {min?, max?}, severity?}
    {unique_key: [columns], severity?}
    {no_overlap_with: other_dataset, key: [columns], severity?}
    {columns_present: [names], new_columns: warn | error | allow}

A column check gives one result per assertion it makes ("missing_column", "type",
"nullable", "null_fraction", "range", "allowed", "unique"). A breached check has status
``fail`` when its severity is ``error`` (the default) and ``warn`` when it is ``warn``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from mlci.data.profile import column_kind, float_values, is_object_of_bools
from mlci.errors import ConfigError
from mlci.results import CheckResult, Status

MAX_EXAMPLES = 5
MAX_EXAMPLE_CHARS = 40

_EMPTY_OTHERS: Mapping[str, pd.DataFrame] = {}


def run_checks(
    dataset: str,
    df: pd.DataFrame,
    checks: Sequence[Mapping[str, Any]],
    *,
    others: Mapping[str, pd.DataFrame] = _EMPTY_OTHERS,
) -> list[CheckResult]:
    """Run every check mapping on ``df`` (the dataset named ``dataset``).

    Parameters:
        others: the other datasets by name, for ``no_overlap_with`` checks.

    Returns:
        The results in check order. A column named by several checks (inline and schema) gets
        one "missing_column" result, the worst of them.
    """
    results: list[CheckResult] = []
    for index, check in enumerate(checks):
        results.extend(_run_one(_Ctx(dataset, df, check, others), index))
    return _dedupe_presence(results)


@dataclass(frozen=True)
class _Ctx:
    """One check mapping being run on one dataset."""

    dataset: str
    df: pd.DataFrame
    check: Mapping[str, Any]
    others: Mapping[str, pd.DataFrame]

    @property
    def severity(self) -> Any:
        return self.check.get("severity", "error")

    def result(
        self,
        name: str,
        column: str | None,
        breached: bool,
        message: str,
        observed: str | None = None,
        expected: str | None = None,
        examples: Iterable[str] = (),
        severity: Any = None,
    ) -> CheckResult:
        severity = severity or self.severity
        status: Status = ("fail" if severity == "error" else "warn") if breached else "pass"
        return CheckResult(
            dataset=self.dataset,
            check=name,
            column=column,
            status=status,
            severity=severity,
            message=message,
            observed=observed,
            expected=expected,
            examples=tuple(examples),
        )


def _run_one(ctx: _Ctx, index: int) -> list[CheckResult]:
    check = ctx.check
    if "column" in check:
        return _column_checks(ctx)
    if "row_count" in check:
        return [_row_count(ctx)]
    if "unique_key" in check:
        return [_unique_key(ctx)]
    if "no_overlap_with" in check:
        return [_overlap(ctx)]
    if "columns_present" in check:
        return _columns_present(ctx)
    raise ConfigError(
        f"Check {index + 1} of dataset '{ctx.dataset}' is not a known check (keys: "
        f"{', '.join(map(str, check))}). Expected one of column, row_count, unique_key, "
        "no_overlap_with, columns_present."
    )


_WORST: dict[str, int] = {"pass": 0, "skipped": 1, "insufficient_data": 1, "warn": 2, "fail": 3}


def _dedupe_presence(results: list[CheckResult]) -> list[CheckResult]:
    """Keep one "missing_column" result per column (the worst), at its first position."""
    first: dict[str | None, int] = {}
    kept: list[CheckResult] = []
    for r in results:
        if r.check != "missing_column":
            kept.append(r)
        elif r.column not in first:
            first[r.column] = len(kept)
            kept.append(r)
        elif _WORST[r.status] > _WORST[kept[first[r.column]].status]:
            kept[first[r.column]] = r
    return kept


# --- column checks -----------------------------------------------------------------------


def _column_checks(ctx: _Ctx) -> list[CheckResult]:
    name = str(ctx.check["column"])
    required = bool(ctx.check.get("required", True))
    if name not in ctx.df.columns:
        return [_missing(ctx, name, required)]
    s = ctx.df[name]
    results = [_present(ctx, name)] if required else []
    for key, run in _COLUMN_ASSERTIONS:
        if key(ctx.check):
            results.append(run(ctx, name, s))
    return results


def _missing(ctx: _Ctx, name: str, required: bool, severity: Any = None) -> CheckResult:
    if not required:
        return CheckResult(
            dataset=ctx.dataset,
            check="missing_column",
            column=name,
            status="skipped",
            severity=ctx.severity,
            message=f"Optional column `{name}` is absent; its checks were skipped.",
            observed="absent",
            expected="optional",
        )
    return ctx.result(
        "missing_column",
        name,
        True,
        f"Column `{name}` is missing from dataset '{ctx.dataset}'.",
        observed="absent",
        expected="present",
        severity=severity,
    )


def _present(ctx: _Ctx, name: str, severity: Any = None) -> CheckResult:
    message = f"Column `{name}` is present."
    return ctx.result("missing_column", name, False, message, "present", "present", (), severity)


def _type(ctx: _Ctx, name: str, s: pd.Series) -> CheckResult:
    expected = str(ctx.check["type"])
    _, logical = column_kind(s)
    actual = f"{logical} (dtype {s.dtype})"
    bad = _type_violations(s, expected)
    if bad is None:
        message = f"`{name}` is {expected} as expected (dtype {s.dtype})."
        return ctx.result("type", name, False, message, actual, expected)
    n_values = int(s.notna().sum())
    if len(bad) < n_values:
        message = (
            f"`{name}` should be {expected} but {_count(len(bad))} of its "
            f"{_count(n_values)} values {'is' if len(bad) == 1 else 'are'} not{_eg(bad)}."
        )
    else:
        message = f"`{name}` should be {expected} but is {actual}{_eg(bad)}."
    return ctx.result("type", name, True, message, actual, expected, _distinct_examples(bad))


def _type_violations(s: pd.Series, expected: str) -> pd.Series | None:
    """The non-null values that are not of the ``expected`` type, or None when all are."""
    values = s.dropna()
    if values.empty:
        return None
    find = _VIOLATIONS.get(expected)
    if find is None:
        raise ConfigError(
            f"Unknown column type '{expected}'. Expected one of {', '.join(_VIOLATIONS)}."
        )
    bad = find(values)
    return None if bad.empty else bad


def _is_number_dtype(dtype: Any) -> bool:
    return ptypes.is_numeric_dtype(dtype) and not ptypes.is_bool_dtype(dtype)


def _is_text_dtype(dtype: Any) -> bool:
    return isinstance(dtype, pd.StringDtype) or ptypes.is_object_dtype(dtype)


def _not_integers(values: pd.Series) -> pd.Series:
    if ptypes.is_integer_dtype(values.dtype) and _is_number_dtype(values.dtype):
        return values.iloc[:0]
    if ptypes.is_float_dtype(values.dtype):
        v = float_values(values)
        return values[~(np.isfinite(v) & (np.floor(v) == v))]
    return _whole_column_if_none(values, _not_numbers(values, integral=True))


def _not_numbers(values: pd.Series, integral: bool = False) -> pd.Series:
    """Values that do not parse as numbers (or integers); all values for non-text dtypes."""
    if _is_number_dtype(values.dtype) and not integral:
        return values.iloc[:0]
    if not _is_text_dtype(values.dtype) or is_object_of_bools(values):
        return values
    v = float_values(pd.to_numeric(values, errors="coerce"))
    ok = np.isfinite(v) & (np.floor(v) == v) if integral else ~np.isnan(v)
    return _whole_column_if_none(values, values[~ok])


def _whole_column_if_none(values: pd.Series, bad: pd.Series) -> pd.Series:
    """Text that all parses as numbers is still text: then every value is of the wrong type."""
    return values if bad.empty else bad


def _not_strings(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.StringDtype):
        return values.iloc[:0]
    if ptypes.is_object_dtype(values.dtype):
        return values[[not isinstance(v, str) for v in values]]
    return values


def _not_booleans(values: pd.Series) -> pd.Series:
    if ptypes.is_bool_dtype(values.dtype):
        return values.iloc[:0]
    if ptypes.is_object_dtype(values.dtype):
        return values[[not isinstance(v, (bool, np.bool_)) for v in values]]
    return values


def _not_datetimes(values: pd.Series) -> pd.Series:
    if ptypes.is_datetime64_any_dtype(values.dtype):
        return values.iloc[:0]
    if _is_text_dtype(values.dtype):
        return values[_parse_datetimes(values).isna().to_numpy()]
    return values


_VIOLATIONS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "integer": _not_integers,
    "number": _not_numbers,
    "string": _not_strings,
    "boolean": _not_booleans,
    "datetime": _not_datetimes,
    "category": lambda values: values.iloc[:0],
}


def _parse_datetimes(values: pd.Series) -> pd.Series:
    try:
        parsed = pd.to_datetime(values.astype(str), errors="coerce", format="ISO8601", utc=True)
        return parsed.dt.tz_convert(None)  # naive UTC: compares with naive bounds
    except (ValueError, TypeError, OverflowError):
        return pd.Series([pd.NaT] * len(values), index=values.index)


def _nullable(ctx: _Ctx, name: str, s: pd.Series) -> CheckResult:
    nulls = int(s.isna().sum())
    if ctx.check["nullable"]:
        message = f"`{name}` may have nulls ({_n(nulls, 'null')})."
        return ctx.result("nullable", name, False, message, _n(nulls, "null"), "nullable")
    if nulls == 0:
        message = f"`{name}` has no nulls."
    else:
        message = (
            f"`{name}` has {_n(nulls, 'null value')} ({_pct(nulls / len(s))}) but is not nullable."
        )
    return ctx.result("nullable", name, nulls > 0, message, _n(nulls, "null"), "no nulls")


def _null_fraction(ctx: _Ctx, name: str, s: pd.Series) -> CheckResult:
    limit = float(ctx.check["max_null_fraction"])
    nulls = int(s.isna().sum())
    fraction = nulls / len(s) if len(s) else 0.0
    breached = fraction > limit
    verb = "above" if breached else "within"
    message = (
        f"`{name}` has {_pct(fraction)} nulls ({_count(nulls)} of {_count(len(s))}), "
        f"{verb} the maximum {_pct(limit)}."
    )
    return ctx.result("null_fraction", name, breached, message, _pct(fraction), f"≤ {_pct(limit)}")


def _range(ctx: _Ctx, name: str, s: pd.Series) -> CheckResult:
    low, high = ctx.check.get("min"), ctx.check.get("max")
    expected = _range_text(low, high)
    values = _comparable(s, low, high)
    if values is None:
        message = f"`{name}` is not numeric or dates (dtype {s.dtype}); its range {expected} "
        message += "cannot be checked."
        return ctx.result("range", name, True, message, f"dtype {s.dtype}", expected)
    if values.empty:
        message = f"`{name}` has no values to compare with the range {expected}."
        return ctx.result("range", name, False, message, "no values", expected)
    lo, hi = _bound(low, values), _bound(high, values)
    below = values[values < lo] if lo is not None else values.iloc[:0]
    above = values[values > hi] if hi is not None else values.iloc[:0]
    observed = f"{_value(values.min())}..{_value(values.max())}"
    message = _range_message(name, below, above, low, high, values, expected)
    examples = [
        *_distinct_examples(below.sort_values()),
        *_distinct_examples(above.sort_values(ascending=False)),
    ]
    breached = not (below.empty and above.empty)
    return ctx.result("range", name, breached, message, observed, expected, examples[:MAX_EXAMPLES])


def _range_message(
    name: str,
    below: pd.Series,
    above: pd.Series,
    low: Any,
    high: Any,
    values: pd.Series,
    expected: str,
) -> str:
    parts = []
    if not below.empty:
        parts.append(
            f"{_n(len(below), 'value')} below the minimum {_value(low)} "
            f"(min {_value(values.min())})"
        )
    if not above.empty:
        parts.append(
            f"{_n(len(above), 'value')} above the maximum {_value(high)} "
            f"(max {_value(values.max())})"
        )
    if not parts:
        return (
            f"`{name}` is within {expected} "
            f"(observed {_value(values.min())} to {_value(values.max())})."
        )
    return f"`{name}` has {' and '.join(parts)}."


def _comparable(s: pd.Series, low: Any, high: Any) -> pd.Series | None:
    """The non-null values as numbers or timestamps to compare with the bounds (None: can't)."""
    values = s.dropna()
    dtype = s.dtype
    if ptypes.is_bool_dtype(dtype) or is_object_of_bools(s):
        return None
    if ptypes.is_numeric_dtype(dtype) or ptypes.is_datetime64_any_dtype(dtype):
        return values
    if values.empty:
        return values
    dates = isinstance(low, str) or isinstance(high, str)
    parsed = _parse_datetimes(values) if dates else pd.to_numeric(values, errors="coerce")
    parsed = parsed.dropna()
    return None if parsed.empty else parsed


def _bound(bound: Any, values: pd.Series) -> Any:
    """The bound in the values' terms: a timestamp (same time zone) for datetime values."""
    if bound is None or not ptypes.is_datetime64_any_dtype(values.dtype):
        return bound
    ts = pd.Timestamp(bound)
    tz = getattr(values.dtype, "tz", None)
    if tz is not None and ts.tzinfo is None:
        return ts.tz_localize(tz)
    if tz is None and ts.tzinfo is not None:
        return ts.tz_convert(None)
    return ts


def _range_text(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"[{_value(low)}, {_value(high)}]"
    return f"≥ {_value(low)}" if low is not None else f"≤ {_value(high)}"


def _allowed(ctx: _Ctx, name: str, s: pd.Series) -> CheckResult:
    allowed = list(ctx.check["allowed"])
    tolerated = float(ctx.check.get("max_unseen_fraction", 0.0))
    values = s.dropna()
    known = values.isin(allowed) | values.astype(str).isin([str(a) for a in allowed])
    unseen = values[~known.to_numpy()]
    share = len(unseen) / len(values) if len(values) else 0.0
    breached = share > tolerated
    expected = f"≤ {_pct(tolerated)} outside {_short_list(allowed)}"
    observed = f"{_count(len(unseen))} unseen ({_pct(share)})"
    if unseen.empty:
        message = f"All values of `{name}` are allowed."
    else:
        verb = "more than" if breached else "within"
        message = (
            f"`{name}` has {_n(len(unseen), 'value')} ({_pct(share)}) "
            f"outside the allowed set, {verb} the tolerated {_pct(tolerated)}"
            f"{_eg(unseen)}."
        )
    return ctx.result("allowed", name, breached, message, observed, expected, _counted(unseen))


def _unique(ctx: _Ctx, name: str, s: pd.Series) -> CheckResult:
    values = s.dropna()
    duplicated = values[values.duplicated(keep=False).to_numpy()]
    n_values = duplicated.nunique()
    observed = _n(n_values, "duplicated value")
    if duplicated.empty:
        message = f"All values of `{name}` are unique."
    else:
        message = (
            f"`{name}` has {_n(n_values, 'duplicated value')} "
            f"({_count(len(duplicated))} rows){_eg(duplicated)}."
        )
    return ctx.result(
        "unique", name, not duplicated.empty, message, observed, "unique", _counted(duplicated)
    )


_COLUMN_ASSERTIONS: tuple[
    tuple[Callable[[Mapping[str, Any]], bool], Callable[[_Ctx, str, pd.Series], CheckResult]],
    ...,
] = (
    (lambda c: c.get("type") is not None, _type),
    (lambda c: c.get("nullable") is not None, _nullable),
    (lambda c: c.get("max_null_fraction") is not None, _null_fraction),
    (lambda c: c.get("min") is not None or c.get("max") is not None, _range),
    (lambda c: c.get("allowed") is not None, _allowed),
    (lambda c: bool(c.get("unique")), _unique),
)


# --- dataset checks ----------------------------------------------------------------------


def _row_count(ctx: _Ctx) -> CheckResult:
    bounds = ctx.check["row_count"]
    low, high = bounds.get("min"), bounds.get("max")
    rows = len(ctx.df)
    expected = _count_range(low, high)
    has = f"Dataset '{ctx.dataset}' has {_count(rows)} rows"
    if low is not None and rows < low:
        message = f"{has}, fewer than the minimum {_count(low)}."
    elif high is not None and rows > high:
        message = f"{has}, more than the maximum {_count(high)}."
    else:
        message = f"Dataset '{ctx.dataset}' has {_count(rows)} rows ({expected})."
        return ctx.result("row_count", None, False, message, _count(rows), expected)
    return ctx.result("row_count", None, True, message, _count(rows), expected)


def _count_range(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"{_count(low)}..{_count(high)}"
    return f"≥ {_count(low)}" if low is not None else f"≤ {_count(high)}"


def _unique_key(ctx: _Ctx) -> CheckResult:
    key = [str(c) for c in ctx.check["unique_key"]]
    column = key[0] if len(key) == 1 else None
    shown = _key_text(key)
    missing = [c for c in key if c not in ctx.df.columns]
    if missing:
        message = f"The key {shown} cannot be checked: column `{missing[0]}` is missing."
        return ctx.result("unique_key", column, True, message, "column missing", "unique")
    rows = ctx.df[key].dropna()
    duplicated = rows[rows.duplicated(keep=False).to_numpy()]
    groups = _key_tuples(duplicated)
    n_keys = groups.nunique()
    observed = _n(n_keys, "duplicated key")
    if duplicated.empty:
        message = f"The key {shown} is unique."
    else:
        message = (
            f"The key {shown} has {_n(n_keys, 'duplicated key')} "
            f"({_count(len(duplicated))} rows){_eg(groups)}."
        )
    return ctx.result(
        "unique_key", column, not duplicated.empty, message, observed, "unique", _counted(groups)
    )


def _overlap(ctx: _Ctx) -> CheckResult:
    other_name = str(ctx.check["no_overlap_with"])
    key = [str(c) for c in ctx.check["key"]]
    column = key[0] if len(key) == 1 else None
    expected = f"no key shared with '{other_name}'"
    other = ctx.others.get(other_name)
    if other is None:
        return CheckResult(
            dataset=ctx.dataset,
            check="overlap",
            column=column,
            status="skipped",
            severity=ctx.severity,
            message=f"Dataset '{other_name}' is not available, so overlap with it was not checked.",
            expected=expected,
        )
    for side, frame in ((ctx.dataset, ctx.df), (other_name, other)):
        missing = [c for c in key if c not in frame.columns]
        if missing:
            message = (
                f"Overlap with '{other_name}' cannot be checked: key column `{missing[0]}` "
                f"is missing from '{side}'."
            )
            return ctx.result("overlap", column, True, message, "column missing", expected)
    return _overlap_result(ctx, other_name, key, column, other)


def _overlap_result(
    ctx: _Ctx, other_name: str, key: list[str], column: str | None, other: pd.DataFrame
) -> CheckResult:
    ours = _key_strings(ctx.df[key])
    theirs = set(_key_strings(other[key]).dropna())
    shared = ours.isin(theirs).to_numpy() & ours.notna().to_numpy()
    n = int(shared.sum())
    share = n / len(ctx.df) if len(ctx.df) else 0.0
    observed = f"{_count(n)} rows ({_pct(share)})"
    expected = f"no key shared with '{other_name}'"
    shown = _key_text(key)
    if n == 0:
        message = f"No row of '{ctx.dataset}' shares its key {shown} with '{other_name}'."
        return ctx.result("overlap", column, False, message, observed, expected)
    keys = _key_tuples(ctx.df[key][shared])
    message = (
        f"{_count(n)} rows of '{ctx.dataset}' ({_pct(share)}) have a key {shown} that also "
        f"appears in '{other_name}' (leakage){_eg(keys)}."
    )
    return ctx.result(
        "overlap", column, True, message, observed, expected, _distinct_examples(keys)
    )


def _columns_present(ctx: _Ctx) -> list[CheckResult]:
    listed = [str(c) for c in ctx.check["columns_present"]]
    results = [
        _present(ctx, name, "error")
        if name in ctx.df.columns
        else _missing(ctx, name, True, "error")
        for name in listed
    ]
    policy = ctx.check.get("new_columns", "warn")
    if policy != "allow":
        results.extend(_new_columns(ctx, listed, policy))
    return results


def _new_columns(ctx: _Ctx, listed: list[str], severity: str) -> list[CheckResult]:
    known = set(listed)
    new = [str(c) for c in ctx.df.columns if str(c) not in known]
    if not new:
        message = (
            f"Dataset '{ctx.dataset}' has no columns beyond the {_count(len(listed))} "
            "in its schema."
        )
        return [
            ctx.result(
                "new_column", None, False, message, "none", "no new columns", severity=severity
            )
        ]
    return [
        ctx.result(
            "new_column",
            name,
            True,
            f"Column `{name}` of dataset '{ctx.dataset}' is not in its schema.",
            "new column",
            "listed in the schema",
            severity=severity,
        )
        for name in new
    ]


# --- keys --------------------------------------------------------------------------------


def _key_strings(frame: pd.DataFrame) -> pd.Series:
    """One string per row for comparing keys across datasets (None where a key part is null).

    Integral floats are written as integers, so an id column read as float (because it has
    nulls) still matches the same ids read as integers.
    """
    parts = [_canonical(frame[c]) for c in frame.columns]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + "\x1f" + part
    missing = frame.isna().any(axis=1).to_numpy()
    return joined.where(~missing, None)


def _canonical(s: pd.Series) -> pd.Series:
    text = s.astype(str).astype(object)
    if ptypes.is_float_dtype(s.dtype):
        v = float_values(s)
        integral = np.isfinite(v) & (np.floor(v) == v) & (np.abs(v) < 2**53)
        text[integral] = [str(int(x)) for x in v[integral]]
    return text


def _key_tuples(frame: pd.DataFrame) -> pd.Series:
    """Each row's key as a value (one column) or a tuple (several), for examples."""
    if frame.shape[1] == 1:
        return frame.iloc[:, 0]
    return pd.Series(
        list(frame.itertuples(index=False, name=None)), index=frame.index, dtype=object
    )


def _key_text(key: list[str]) -> str:
    return f"`{key[0]}`" if len(key) == 1 else "[" + ", ".join(f"`{c}`" for c in key) + "]"


# --- formatting --------------------------------------------------------------------------


def _count(n: Any) -> str:
    return f"{int(n):,}"


def _pct(fraction: float) -> str:
    percent = 100 * fraction
    if 0 < percent < 0.1:
        return f"{percent:.2g}%"
    return f"{percent:.1f}%".replace(".0%", "%")


def _n(n: Any, noun: str) -> str:
    """ "1 value", "1,204 values"."""
    return f"{_count(n)} {noun}{'' if int(n) == 1 else 's'}"


def _value(v: Any) -> str:
    """A value for people: integral floats without '.0', 6 significant digits otherwise."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if np.isfinite(f) and f == int(f) and abs(f) < 1e15:
            return str(int(f))
        return f"{f:.6g}"
    if isinstance(v, pd.Timestamp):
        midnight = v == v.normalize() and v.tzinfo is None
        return v.date().isoformat() if midnight else v.isoformat()
    return str(v)


def _short(v: Any) -> str:
    """An example value: repr-like (strings quoted), at most 40 characters."""
    if isinstance(v, tuple):
        text = "(" + ", ".join(_short(x) for x in v) + ")"
    else:
        text = repr(v) if isinstance(v, str) else _value(v)
    return text if len(text) <= MAX_EXAMPLE_CHARS else text[: MAX_EXAMPLE_CHARS - 1] + "…"


def _short_list(values: list[Any], limit: int = 5) -> str:
    shown = ", ".join(_value(v) for v in values[:limit])
    return f"[{shown}{', …' if len(values) > limit else ''}]"


def _distinct_examples(values: pd.Series) -> list[str]:
    """Up to five distinct values, in order of appearance."""
    seen: list[str] = []
    for v in values:
        text = _short(v)
        if text not in seen:
            seen.append(text)
            if len(seen) == MAX_EXAMPLES:
                break
    return seen


def _counted(values: pd.Series) -> list[str]:
    """Up to five values with their counts, most frequent first (ties by text)."""
    counts = values.value_counts(dropna=True)
    ranked = sorted(((_short(v), int(n)) for v, n in counts.items()), key=lambda p: (-p[1], p[0]))
    return [f"{text} ×{n}" for text, n in ranked[:MAX_EXAMPLES]]


def _eg(values: pd.Series) -> str:
    """ ", e.g. 'a', 'b'" with up to three distinct examples (empty when there are none)."""
    examples = _distinct_examples(values)[:3]
    return f", e.g. {', '.join(examples)}" if examples else ""
