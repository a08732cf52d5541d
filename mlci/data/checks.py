"""Schema and constraint checks of one dataset, evaluated as accumulators during the scan.

A :class:`CheckSuite` is built from check mappings (``datasets.<name>.checks`` in mlci.yml
and schema files, already validated by the config loader), fed the column views of every
batch (:meth:`CheckSuite.update`), and turned into :class:`CheckResult` values at the end
(:meth:`CheckSuite.finish`), with the dataset's profile, the baseline's profile and the key
sets of other datasets at hand. No check needs the whole dataset in memory: counts and a few
examples are kept per check; uniqueness, duplicate rows and overlap keep one 64-bit hash per
row (8 bytes per row and key, plus 8 more while sorting at the end), and fetch the rows of a
few examples from the file again only when there is something to show. The check mappings::

    {column, type?, dtype?, required?, nullable?, max_null_fraction?, min?, max?, allowed?,
     max_unseen_fraction?, unique?, pattern?, date_format?, min_length?, max_length?,
     not_constant?, not_empty?, severity?}
    {row_count: {min?, max?, max_change?}, severity?}
    {unique_key: [columns], severity?}
    {no_overlap_with: other_dataset, key: [columns], severity?}
    {no_duplicate_rows: true, severity?}
    {label: column, min_class_share?, new_labels?: error | warn (default warn), severity?}
    {columns_present: [names], new_columns: warn | error | allow}

A column check gives one result per assertion ("missing_column", "type", "dtype", "nullable",
"null_fraction", "range", "allowed", "unique", "pattern", "date_format", "length",
"not_constant", "not_empty"). A breached check has status ``fail`` when its severity is
``error`` (the default) and ``warn`` when it is ``warn``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlci.data import arrays as A
from mlci.data.hashing import combine, is_text, row_hashes
from mlci.data.profile import ColumnView, Profiler, dtype_name, frame_table, views_of
from mlci.errors import ConfigError
from mlci.results import CheckResult, Status

if TYPE_CHECKING:
    import pandas as pd

MAX_EXAMPLES = 5
MAX_EXAMPLE_CHARS = 40
TYPES = ("integer", "number", "string", "boolean", "datetime", "category")

Fetch = Callable[[Sequence[str], Sequence[int]], dict[int, tuple[Any, ...]]]
KeyRef = tuple[str, tuple[str, ...]]  # (dataset, key columns)


@dataclass(frozen=True)
class MissingKey:
    """A key set that could not be built: the dataset lacks this key column."""

    column: str


@dataclass
class FinishContext:
    """What checks need at the end of the scan, besides their own state."""

    profile: Mapping[str, Any]
    fetch: Fetch
    baseline: Mapping[str, Any] | None = None
    keysets: Mapping[KeyRef, np.ndarray | MissingKey | None] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return int(self.profile["rows"])

    def column(self, name: str) -> Mapping[str, Any]:
        return self.profile["columns"][name]


# --- the suite ---------------------------------------------------------------------------


class CheckSuite:
    """All checks of one dataset, in the order of their mappings.

    Raises:
        ConfigError: a mapping is not a known check, or names an unknown column type.
    """

    def __init__(self, dataset: str, checks: Sequence[Mapping[str, Any]]) -> None:
        self.dataset = dataset
        self.runners = [_runner(_Ctx(dataset, check), i) for i, check in enumerate(checks)]

    @property
    def text_columns(self) -> set[str]:
        """Columns whose checks need the text as written (CSV: read them as text)."""
        return {name for r in self.runners for name in r.text_columns()}

    @property
    def key_requests(self) -> set[KeyRef]:
        """The key sets of other datasets this suite needs (for overlap checks)."""
        return {ref for r in self.runners if (ref := r.key_request()) is not None}

    def update(self, views: Mapping[str, ColumnView]) -> None:
        for runner in self.runners:
            runner.update(views)

    def finish(self, ctx: FinishContext) -> list[CheckResult]:
        results: list[CheckResult] = []
        for runner in self.runners:
            results.extend(runner.finish(ctx))
        return _dedupe_presence(results)


class KeyCollector:
    """The distinct key hashes of one dataset, for other datasets' overlap checks."""

    def __init__(self, key: Sequence[str]) -> None:
        self.key = tuple(key)
        self.parts: list[np.ndarray] = []
        self.missing: str | None = None

    def update(self, views: Mapping[str, ColumnView]) -> None:
        missing = [c for c in self.key if c not in views]
        if missing:
            self.missing = missing[0]
            return
        hashes, valid = key_hashes(views, self.key)
        self.parts.append(np.unique(hashes[valid]))

    def finish(self) -> np.ndarray | MissingKey:
        if self.missing is not None:
            return MissingKey(self.missing)
        return np.unique(np.concatenate(self.parts)) if self.parts else np.zeros(0, np.uint64)


def key_hashes(
    views: Mapping[str, ColumnView], key: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """One hash per row of a key of one or more columns, valid where no part is null."""
    if len(key) == 1:
        return views[key[0]].hashes
    return combine([views[c].hashes for c in key])


def run_checks(
    dataset: str,
    df: pd.DataFrame,
    checks: Sequence[Mapping[str, Any]],
    *,
    others: Mapping[str, pd.DataFrame] | None = None,
    baseline: Mapping[str, Any] | None = None,
) -> list[CheckResult]:
    """Run every check mapping on a pandas DataFrame (the dataset named ``dataset``).

    Parameters:
        others: the other datasets by name, for ``no_overlap_with`` checks.
        baseline: the baseline's profile of this dataset, for changes against it.

    Returns:
        The results in check order. A column named by several checks (inline and schema) gets
        one "missing_column" result, the worst of them.
    """
    tables = {name: frame_table(frame) for name, frame in (others or {}).items()}
    return check_table(dataset, frame_table(df), checks, others=tables, baseline=baseline)


def check_table(
    dataset: str,
    table: pa.Table,
    checks: Sequence[Mapping[str, Any]],
    *,
    others: Mapping[str, pa.Table] | None = None,
    baseline: Mapping[str, Any] | None = None,
) -> list[CheckResult]:
    """Run every check mapping on an Arrow table (see :func:`run_checks`)."""
    suite = CheckSuite(dataset, checks)
    profiler = Profiler()
    offset = 0
    for batch in table.to_batches():
        views = views_of(batch, offset)
        profiler.update(views)
        suite.update(views)
        offset += batch.num_rows
    if table.num_rows == 0:
        empty = views_of(pa.RecordBatch.from_pylist([], schema=table.schema), 0)
        suite.update(empty)
    keysets: dict[KeyRef, np.ndarray | MissingKey | None] = {}
    for name, key in suite.key_requests:
        other = (others or {}).get(name)
        if other is not None:
            collector = KeyCollector(key)
            for batch in other.to_batches():
                collector.update(views_of(batch, 0))
            keysets[(name, key)] = collector.finish()
    profile = profiler.finish()
    ctx = FinishContext(profile, table_fetch(table), baseline, keysets)
    return suite.finish(ctx)


def table_fetch(table: pa.Table) -> Fetch:
    """Rows of an in-memory table, as tuples of Python values."""

    def fetch(columns: Sequence[str], rows: Sequence[int]) -> dict[int, tuple[Any, ...]]:
        picked = table.select(list(columns)).take(A.indices(list(rows)))
        values = picked.to_pylist()
        return {row: tuple(v[c] for c in columns) for row, v in zip(rows, values, strict=True)}

    return fetch


# --- one check mapping -------------------------------------------------------------------


@dataclass(frozen=True)
class _Ctx:
    """One check mapping of one dataset."""

    dataset: str
    check: Mapping[str, Any]

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

    def skipped(
        self, name: str, column: str | None, message: str, expected: str | None = None
    ) -> CheckResult:
        return CheckResult(
            dataset=self.dataset,
            check=name,
            column=column,
            status="skipped",
            severity=self.severity,
            message=message,
            expected=expected,
        )


class _Runner:
    """The accumulators of one check mapping."""

    def __init__(self, ctx: _Ctx) -> None:
        self.ctx = ctx

    def update(self, views: Mapping[str, ColumnView]) -> None:
        pass

    def finish(self, fc: FinishContext) -> list[CheckResult]:
        raise NotImplementedError

    def text_columns(self) -> Iterable[str]:
        return ()

    def key_request(self) -> KeyRef | None:
        return None


def _runner(ctx: _Ctx, index: int) -> _Runner:
    check = ctx.check
    for key, make in _RUNNERS:
        if key in check:
            return make(ctx)
    raise ConfigError(
        f"Check {index + 1} of dataset '{ctx.dataset}' is not a known check (keys: "
        f"{', '.join(map(str, check))}). Expected one of {', '.join(k for k, _ in _RUNNERS)}."
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


class _Assertion:
    """One assertion of a column check: fed the column's views, then judged."""

    def __init__(self, ctx: _Ctx, name: str) -> None:
        self.ctx = ctx
        self.name = name

    def update(self, view: ColumnView) -> None:
        pass

    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        raise NotImplementedError


class _ColumnRunner(_Runner):
    def __init__(self, ctx: _Ctx) -> None:
        super().__init__(ctx)
        self.name = str(ctx.check["column"])
        self.required = bool(ctx.check.get("required", True))
        self.present: bool | None = None
        self.assertions = [make(ctx, self.name) for key, make in _ASSERTIONS if key(ctx.check)]

    def text_columns(self) -> Iterable[str]:
        text_keys = ("pattern", "date_format", "min_length", "max_length")
        return [self.name] if any(self.ctx.check.get(k) is not None for k in text_keys) else []

    def update(self, views: Mapping[str, ColumnView]) -> None:
        if self.present is None:
            self.present = self.name in views
        if self.present:
            view = views[self.name]
            for assertion in self.assertions:
                assertion.update(view)

    def finish(self, fc: FinishContext) -> list[CheckResult]:
        if not self.present:
            return [_missing(self.ctx, self.name, self.required)]
        results = [_present(self.ctx, self.name)] if self.required else []
        column = fc.column(self.name)
        results.extend(a.finish(fc, column) for a in self.assertions)
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


class _Examples:
    """Up to five distinct examples (as display text), in order of appearance."""

    def __init__(self, limit: int = MAX_EXAMPLES) -> None:
        self.limit = limit
        self.items: list[str] = []

    @property
    def full(self) -> bool:
        return len(self.items) >= self.limit

    def add(self, values: Iterable[Any]) -> None:
        for v in values:
            if self.full:
                return
            text = _short(v)
            if text not in self.items:
                self.items.append(text)

    def add_positions(self, view: ColumnView, mask: np.ndarray) -> None:
        """Add the values of ``view`` where ``mask`` is true (a few of them)."""
        if self.full:
            return
        positions = np.flatnonzero(mask)[: self.limit * 8]
        if len(positions):
            self.add(view.arr.take(A.indices(positions)).to_pylist())


class _Counter:
    """Counts of offending values (display text) in order of first appearance, bounded."""

    LIMIT = 1_000

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.total = 0

    def add(self, values: Iterable[Any], counts: Iterable[int]) -> None:
        for v, c in zip(values, counts, strict=True):
            self.total += int(c)
            text = _short(v)
            if text in self.counts:
                self.counts[text] += int(c)
            elif len(self.counts) < self.LIMIT:
                self.counts[text] = int(c)

    def first(self, n: int) -> list[str]:
        return list(self.counts)[:n]

    def counted(self) -> list[str]:
        ranked = sorted(self.counts.items(), key=lambda p: (-p[1], p[0]))
        return [f"{text} ×{n}" for text, n in ranked[:MAX_EXAMPLES]]


# --- type ----------------------------------------------------------------------------------


class _Type(_Assertion):
    def __init__(self, ctx: _Ctx, name: str) -> None:
        super().__init__(ctx, name)
        self.expected = str(ctx.check["type"])
        if self.expected not in TYPES:
            raise ConfigError(
                f"Unknown column type '{self.expected}'. Expected one of {', '.join(TYPES)}."
            )
        self.n_values = 0
        self.bad = 0
        self.bad_examples = _Examples()
        self.first = _Examples()
        self.text = False
        self.actual = ""

    def update(self, view: ColumnView) -> None:
        t = view.arr.type
        self.actual = f"{view.logical} (dtype {_dtype(t)})"
        non_null = len(view.arr) - view.arr.null_count
        self.n_values += non_null
        if non_null == 0:
            return
        if not self.first.full:
            self.first.add(view.first_values())
        verdict = _type_fits(self.expected, t)
        if verdict is True:
            return
        if verdict is False:
            self.bad += non_null
            self.bad_examples.add(view.first_values())
            return
        if verdict == "floats":
            values = view.floats
            with np.errstate(invalid="ignore"):
                bad = view.valid & ~(np.isfinite(values) & (np.floor(values) == values))
            self.bad += int(np.count_nonzero(bad))
            self.bad_examples.add_positions(view, bad)
            return
        self.text = True
        keys, counts = view.value_counts
        parse = _TEXT_PARSERS[self.expected]
        bad_keys = [i for i, k in enumerate(keys.to_pylist()) if not parse(k)]
        self.bad += int(counts[bad_keys].sum()) if bad_keys else 0
        self.bad_examples.add(keys.take(A.indices(bad_keys)).to_pylist())

    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        name, expected = self.name, self.expected
        whole_text = self.text and self.bad == 0 and expected in ("integer", "number")
        if self.n_values == 0 or (self.bad == 0 and not whole_text):
            message = f"`{name}` is {expected} as expected (dtype {column['dtype']})."
            return self.ctx.result("type", name, False, message, self.actual, expected)
        if whole_text:
            bad, examples = self.n_values, self.first.items
        else:
            bad, examples = self.bad, self.bad_examples.items
        eg = _eg_items(examples)
        if bad < self.n_values:
            message = (
                f"`{name}` should be {expected} but {_count(bad)} of its "
                f"{_count(self.n_values)} values {'is' if bad == 1 else 'are'} not{eg}."
            )
        else:
            message = f"`{name}` should be {expected} but is {self.actual}{eg}."
        return self.ctx.result("type", name, True, message, self.actual, expected, examples)


def _type_fits(expected: str, t: pa.DataType) -> bool | str:
    """True: every value fits; False: none does; "floats"/"text": check the values."""
    text = is_text(t)
    if expected == "category" or pa.types.is_null(t):
        return True
    if expected == "integer":
        if pa.types.is_integer(t):
            return True
        return "floats" if pa.types.is_floating(t) else ("text" if text else False)
    if expected == "number":
        if pa.types.is_integer(t) or pa.types.is_floating(t):
            return True
        return "text" if text else False
    if expected == "string":
        return text
    if expected == "boolean":
        return pa.types.is_boolean(t)
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return True
    return "text" if text else False


def _parses_number(text: str) -> bool:
    try:
        return not math.isnan(float(text))
    except ValueError:
        return False


def _parses_integer(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isfinite(value) and value == math.floor(value)


def parse_datetime(text: str) -> datetime | None:
    """An ISO 8601 date or date-time (naive UTC), or None."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


_TEXT_PARSERS: dict[str, Callable[[str], bool]] = {
    "integer": _parses_integer,
    "number": _parses_number,
    "datetime": lambda text: parse_datetime(text) is not None,
}


# --- nulls ---------------------------------------------------------------------------------


class _Dtype(_Assertion):
    """The physical type, as :func:`~mlci.data.profile.dtype_name` names it (int64, str...)."""

    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        expected, actual = str(self.ctx.check["dtype"]), str(column["dtype"])
        if actual == expected:
            message = f"`{self.name}` is stored as {actual}."
        else:
            message = f"`{self.name}` should be stored as {expected} but is {actual}."
        return self.ctx.result("dtype", self.name, actual != expected, message, actual, expected)


class _Nullable(_Assertion):
    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        name, nulls = self.name, int(column["nulls"])
        rows = nulls + int(column["count"])
        if self.ctx.check["nullable"]:
            message = f"`{name}` may have nulls ({_n(nulls, 'null')})."
            return self.ctx.result("nullable", name, False, message, _n(nulls, "null"), "nullable")
        if nulls == 0:
            message = f"`{name}` has no nulls."
        else:
            message = (
                f"`{name}` has {_n(nulls, 'null value')} ({_pct(nulls / rows)}) but is not "
                "nullable."
            )
        return self.ctx.result("nullable", name, nulls > 0, message, _n(nulls, "null"), "no nulls")


class _NullFraction(_Assertion):
    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        limit = float(self.ctx.check["max_null_fraction"])
        nulls = int(column["nulls"])
        rows = nulls + int(column["count"])
        fraction = nulls / rows if rows else 0.0
        breached = fraction > limit
        verb = "above" if breached else "within"
        message = (
            f"`{self.name}` has {_pct(fraction)} nulls ({_count(nulls)} of {_count(rows)}), "
            f"{verb} the maximum {_pct(limit)}."
        )
        observed, expected = _pct(fraction), f"≤ {_pct(limit)}"
        return self.ctx.result("null_fraction", self.name, breached, message, observed, expected)


class _NotEmpty(_Assertion):
    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        count, rows = int(column["count"]), int(column["count"]) + int(column["nulls"])
        if count:
            message = f"`{self.name}` has {_n(count, 'value')}."
            return self.ctx.result("not_empty", self.name, False, message, _count(count), "≥ 1")
        message = f"`{self.name}` is empty: all {_count(rows)} of its values are null."
        return self.ctx.result("not_empty", self.name, True, message, "0 values", "≥ 1 value")


class _NotConstant(_Assertion):
    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        name, count = self.name, int(column["count"])
        distinct = column.get("distinct")
        if distinct is None:  # a datetime column
            distinct = 0 if count == 0 else (1 if column.get("min") == column.get("max") else 2)
        if distinct >= 2:
            message = f"`{name}` has {_count(distinct)} distinct values."
            return self.ctx.result("not_constant", name, False, message, _count(distinct), "≥ 2")
        if count == 0:
            message = f"`{name}` has no values (all null), so it is constant."
            return self.ctx.result("not_constant", name, True, message, "no values", "≥ 2")
        value = _constant_value(column)
        message = f"`{name}` has the same value {value} in all {_count(count)} non-null rows."
        return self.ctx.result("not_constant", name, True, message, "1 value", "≥ 2", [value])


def _constant_value(column: Mapping[str, Any]) -> str:
    if column.get("top"):
        return _short(column["top"][0][0])
    value = column.get("min")
    return _short(value) if value is not None else "n/a"


# --- range ---------------------------------------------------------------------------------


class _Range(_Assertion):
    def __init__(self, ctx: _Ctx, name: str) -> None:
        super().__init__(ctx, name)
        self.low, self.high = ctx.check.get("min"), ctx.check.get("max")
        self.expected = _range_text(self.low, self.high)
        self.comparable: bool | None = None
        self.dtype = ""
        self.below = 0
        self.above = 0
        self.min: Any = None
        self.max: Any = None
        self.low_examples: list[Any] = []
        self.high_examples: list[Any] = []
        self.seen = 0
        self.dates = isinstance(self.low, str) or isinstance(self.high, str)
        self.kind = "number"  # or "time": values compared as microseconds since the epoch
        self.tz: str | None = None

    def update(self, view: ColumnView) -> None:
        self.dtype = _dtype(view.arr.type)
        values = self._comparable(view)
        if values is None:
            if self.comparable is None:
                self.comparable = False
            return
        self.comparable = True
        if len(values) == 0:
            return
        self.seen += len(values)
        self.min = values.min() if self.min is None else min(self.min, values.min())
        self.max = values.max() if self.max is None else max(self.max, values.max())
        low, high = self._bounds(view)
        if low is not None:
            below = values[values < low]
            self.below += len(below)
            self.low_examples = sorted(set(self.low_examples) | set(np.unique(below)[:5]))[:5]
        if high is not None:
            above = values[values > high]
            self.above += len(above)
            self.high_examples = sorted(set(self.high_examples) | set(np.unique(above)[-5:]))[-5:]

    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        name, expected = self.name, self.expected
        if self.comparable is False and self.seen == 0:
            message = (
                f"`{name}` is not numeric or dates (dtype {self.dtype}); its range {expected} "
                "cannot be checked."
            )
            return self.ctx.result("range", name, True, message, f"dtype {self.dtype}", expected)
        if self.seen == 0:
            message = f"`{name}` has no values to compare with the range {expected}."
            return self.ctx.result("range", name, False, message, "no values", expected)
        show = self._show
        observed = f"{show(self.min)}..{show(self.max)}"
        parts = []
        if self.below:
            parts.append(
                f"{_n(self.below, 'value')} below the minimum {_value(self.low)} "
                f"(min {show(self.min)})"
            )
        if self.above:
            parts.append(
                f"{_n(self.above, 'value')} above the maximum {_value(self.high)} "
                f"(max {show(self.max)})"
            )
        if not parts:
            message = (
                f"`{name}` is within {expected} (observed {show(self.min)} to {show(self.max)})."
            )
            return self.ctx.result("range", name, False, message, observed, expected)
        message = f"`{name}` has {' and '.join(parts)}."
        examples = [show(v) for v in self.low_examples] + [
            show(v) for v in reversed(self.high_examples)
        ]
        return self.ctx.result(
            "range", name, True, message, observed, expected, examples[:MAX_EXAMPLES]
        )

    # -- the values to compare, as float64 numbers or int64 microseconds --

    def _comparable(self, view: ColumnView) -> np.ndarray | None:
        t = view.arr.type
        if pa.types.is_boolean(t):
            return None
        if pa.types.is_null(t):
            self.kind = "number"
            return np.zeros(0)
        if pa.types.is_integer(t) or pa.types.is_floating(t):
            self.kind = "number"
            values = view.floats
            return values[~np.isnan(values)]
        if pa.types.is_timestamp(t) or pa.types.is_date(t):
            self.kind = "time"
            self.tz = t.tz if pa.types.is_timestamp(t) else None
            micros = view.arr.cast(pa.timestamp("us", self.tz)).cast(pa.int64()).drop_null()
            return A.values(micros).astype(np.int64)
        keys, counts = view.value_counts
        texts = keys.to_pylist()
        if self.dates:
            self.kind, self.tz = "time", None
            parsed: list[float | int | None] = [_micros(parse_datetime(v)) for v in texts]
        else:
            self.kind = "number"
            parsed = [_to_float(v) for v in texts]
        ok = [i for i, v in enumerate(parsed) if v is not None]
        if not ok:
            return None
        dtype = np.int64 if self.dates else np.float64
        return np.repeat(np.asarray([parsed[i] for i in ok], dtype=dtype), counts[ok])

    def _bounds(self, view: ColumnView) -> tuple[Any, Any]:
        if self.kind == "number":
            return self.low, self.high
        return _bound_micros(self.low, self.tz), _bound_micros(self.high, self.tz)

    def _show(self, v: Any) -> str:
        if self.kind == "time":
            return _value(_from_micros(int(v), self.tz))
        return _value(v)


def _to_float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def _micros(value: datetime | None) -> int | None:
    if value is None:
        return None
    return round((value - datetime(1970, 1, 1)).total_seconds() * 1_000_000)


def _bound_micros(bound: Any, tz: str | None) -> int | None:
    """A bound as microseconds in the column's terms (wall time of its zone, or UTC)."""
    if bound is None:
        return None
    if isinstance(bound, (int, float)):
        return int(bound)
    value = datetime.fromisoformat(str(bound))
    if tz is not None and value.tzinfo is None:
        from zoneinfo import ZoneInfo

        value = value.replace(tzinfo=ZoneInfo(tz) if tz not in ("UTC", "Z") else timezone.utc)
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return _micros(value)


def _from_micros(micros: int, tz: str | None) -> datetime:
    from datetime import timedelta

    value = datetime(1970, 1, 1) + timedelta(microseconds=micros)
    if tz is not None:
        from zoneinfo import ZoneInfo

        zone = timezone.utc if tz in ("UTC", "Z", "+00:00") else ZoneInfo(tz)
        value = value.replace(tzinfo=timezone.utc).astimezone(zone)
    return value


def _range_text(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"[{_value(low)}, {_value(high)}]"
    return f"≥ {_value(low)}" if low is not None else f"≤ {_value(high)}"


# --- allowed values ------------------------------------------------------------------------


class _Allowed(_Assertion):
    def __init__(self, ctx: _Ctx, name: str) -> None:
        super().__init__(ctx, name)
        self.allowed = list(ctx.check["allowed"])
        self.tolerated = float(ctx.check.get("max_unseen_fraction", 0.0))
        self.texts = A.strings([_allowed_text(a) for a in self.allowed])
        numbers = [_allowed_number(a) for a in self.allowed]
        self.numbers = np.asarray([v for v in numbers if v is not None], dtype=np.float64)
        self.values = 0
        self.unseen = _Counter()

    def update(self, view: ColumnView) -> None:
        t = view.arr.type
        self.values += len(view.arr) - view.arr.null_count
        if pa.types.is_integer(t) or pa.types.is_floating(t):
            values = view.floats
            values = values[~np.isnan(values)]
            bad = values[~np.isin(values, self.numbers)]
            if len(bad):
                keys, first, counts = np.unique(bad, return_index=True, return_counts=True)
                order = np.argsort(first, kind="stable")
                self.unseen.add(keys[order].tolist(), counts[order].tolist())
            return
        keys, counts = view.value_counts
        bad = np.flatnonzero(~A.booleans(pc.is_in(keys, value_set=self.texts)))
        if len(bad):
            self.unseen.add(keys.take(A.indices(bad)).to_pylist(), counts[bad].tolist())

    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        name, unseen = self.name, self.unseen.total
        share = unseen / self.values if self.values else 0.0
        breached = share > self.tolerated
        expected = f"≤ {_pct(self.tolerated)} outside {_short_list(self.allowed)}"
        observed = f"{_count(unseen)} unseen ({_pct(share)})"
        if unseen == 0:
            message = f"All values of `{name}` are allowed."
        else:
            verb = "more than" if breached else "within"
            message = (
                f"`{name}` has {_n(unseen, 'value')} ({_pct(share)}) "
                f"outside the allowed set, {verb} the tolerated {_pct(self.tolerated)}"
                f"{_eg_items(self.unseen.first(3))}."
            )
        return self.ctx.result(
            "allowed", name, breached, message, observed, expected, self.unseen.counted()
        )


def _allowed_text(value: Any) -> str:
    return str(value)


def _allowed_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return _to_float(str(value))


# --- uniqueness, by hashes -----------------------------------------------------------------


class _HashGroups:
    """Row hashes collected over the scan; grouped at the end to find repeated values.

    Memory: 8 bytes per row for the hashes, one byte for the null mask, and 16 bytes per row
    while sorting at the end.
    """

    def __init__(self) -> None:
        self.hashes: list[np.ndarray] = []
        self.valid: list[np.ndarray] = []

    def add(self, hashes: np.ndarray, valid: np.ndarray) -> None:
        self.hashes.append(hashes)
        self.valid.append(valid)

    def repeated(self) -> tuple[np.ndarray, np.ndarray]:
        """``(first rows, sizes)`` of the groups of equal hashes with more than one row."""
        if not self.hashes:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        rows = np.flatnonzero(np.concatenate(self.valid))
        hashes = np.concatenate(self.hashes)[rows]
        ordered = np.sort(hashes)
        repeats = ordered[1:][ordered[1:] == ordered[:-1]]
        if len(repeats) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        candidates = np.isin(hashes, repeats)
        rows, hashes = rows[candidates], hashes[candidates]
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
        sizes = np.diff(np.concatenate([starts, [len(ordered)]]))
        repeated = sizes > 1
        return rows[order[starts[repeated]]], sizes[repeated]


def _group_examples(
    fc: FinishContext, columns: Sequence[str], first_rows: np.ndarray, sizes: np.ndarray
) -> tuple[list[str], list[str]]:
    """(``"value ×count"`` for the five largest groups, the first three values in row order)."""
    by_size = np.lexsort((first_rows, -sizes))[:20]
    by_row = np.argsort(first_rows, kind="stable")[:3]
    wanted = sorted({int(first_rows[i]) for i in [*by_size, *by_row]})
    values = fc.fetch(columns, wanted)

    def shown(i: int) -> str:
        row = values.get(int(first_rows[i]), ())
        return _short(row[0] if len(row) == 1 else tuple(row))

    counted = sorted(((shown(i), int(sizes[i])) for i in by_size), key=lambda p: (-p[1], p[0]))
    return [f"{text} ×{n}" for text, n in counted[:MAX_EXAMPLES]], [shown(i) for i in by_row]


class _Unique(_Assertion):
    def __init__(self, ctx: _Ctx, name: str) -> None:
        super().__init__(ctx, name)
        self.groups = _HashGroups()

    def update(self, view: ColumnView) -> None:
        hashes, valid = view.hashes
        self.groups.add(hashes, valid)

    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        name = self.name
        first_rows, sizes = self.groups.repeated()
        observed = _n(len(sizes), "duplicated value")
        if len(sizes) == 0:
            message = f"All values of `{name}` are unique."
            return self.ctx.result("unique", name, False, message, observed, "unique")
        counted, in_order = _group_examples(fc, [name], first_rows, sizes)
        message = (
            f"`{name}` has {_n(len(sizes), 'duplicated value')} "
            f"({_count(sizes.sum())} rows){_eg_items(in_order)}."
        )
        return self.ctx.result("unique", name, True, message, observed, "unique", counted)


# --- text: pattern, date format, length ----------------------------------------------------


class _Pattern(_Assertion):
    def __init__(self, ctx: _Ctx, name: str) -> None:
        super().__init__(ctx, name)
        self.pattern = str(ctx.check["pattern"])
        self.regex = re.compile(self.pattern)
        self.re2: str | None = f"^(?:{self.pattern})$"
        self.values = 0
        self.bad = 0
        self.examples = _Examples()

    def update(self, view: ColumnView) -> None:
        texts = view.texts
        self.values += len(texts) - texts.null_count
        ok = self._matches(view, texts)
        bad = view.valid & ~ok
        self.bad += int(np.count_nonzero(bad))
        self.examples.add_positions(view, bad)

    def _matches(self, view: ColumnView, texts: pa.Array) -> np.ndarray:
        if self.re2 is not None:
            try:
                matched = pc.match_substring_regex(texts, pattern=self.re2)
                return A.booleans(matched)
            except pa.ArrowInvalid:
                self.re2 = None  # not RE2 syntax (e.g. a look-behind): Python's re
        encoded = pc.dictionary_encode(texts)
        fits = [
            v is not None and self.regex.fullmatch(v) is not None
            for v in encoded.dictionary.to_pylist()
        ]
        indices = A.ints(encoded.indices)
        table = np.asarray([*fits, False], dtype=bool)
        return (
            table[np.asarray(indices, dtype=np.int64)] if len(fits) else np.zeros(len(texts), bool)
        )

    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        name, bad = self.name, self.bad
        expected = f"matches `{self.pattern}`"
        observed = f"{_count(bad)} not matching"
        if bad == 0:
            message = f"All values of `{name}` match the pattern `{self.pattern}`."
            return self.ctx.result("pattern", name, False, message, observed, expected)
        share = bad / self.values if self.values else 0.0
        message = (
            f"`{name}` has {_n(bad, 'value')} ({_pct(share)}) that do not match the pattern "
            f"`{self.pattern}`{_eg_items(self.examples.items[:3])}."
        )
        return self.ctx.result(
            "pattern", name, True, message, observed, expected, self.examples.items
        )


class _DateFormat(_Assertion):
    """Python's ``datetime.strptime`` semantics, run once per distinct value (cached)."""

    CACHE = 100_000

    def __init__(self, ctx: _Ctx, name: str) -> None:
        super().__init__(ctx, name)
        self.format = str(ctx.check["date_format"])
        self.values = 0
        self.bad = 0
        self.examples = _Examples()
        self.typed = False
        self.known: dict[str, bool] = {}

    def update(self, view: ColumnView) -> None:
        t = view.arr.type
        if pa.types.is_timestamp(t) or pa.types.is_date(t):
            self.typed = True
            return
        texts = view.texts
        self.values += len(texts) - texts.null_count
        bad = view.valid & ~self._parses(texts)
        self.bad += int(np.count_nonzero(bad))
        self.examples.add_positions(view, bad)

    def _parses(self, texts: pa.Array) -> np.ndarray:
        encoded = pc.dictionary_encode(texts)
        fits = [self._fits(v) for v in encoded.dictionary.to_pylist()]
        table = np.asarray([*fits, False], dtype=bool)
        return table[A.ints(encoded.indices, fill=len(fits))]

    def _fits(self, text: str | None) -> bool:
        known = self.known.get(text) if text is not None else False
        if known is None and text is not None:
            known = _strptime_ok(text, self.format)
            if len(self.known) < self.CACHE:
                self.known[text] = known
        return bool(known)

    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        name, fmt, bad = self.name, self.format, self.bad
        expected = f"dates as {fmt}"
        if self.typed:
            message = f"`{name}` is stored as dates already ({column['dtype']}); no text to check."
            return self.ctx.result("date_format", name, False, message, column["dtype"], expected)
        if bad == 0:
            message = f"All values of `{name}` are dates in the format {fmt}."
            return self.ctx.result("date_format", name, False, message, "0 not matching", expected)
        share = bad / self.values if self.values else 0.0
        message = (
            f"`{name}` has {_n(bad, 'value')} ({_pct(share)}) that are not dates in the format "
            f"{fmt}{_eg_items(self.examples.items[:3])}."
        )
        observed = f"{_count(bad)} not matching"
        return self.ctx.result(
            "date_format", name, True, message, observed, expected, self.examples.items
        )


def _strptime_ok(text: str | None, fmt: str) -> bool:
    if text is None:
        return False
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


class _Length(_Assertion):
    def __init__(self, ctx: _Ctx, name: str) -> None:
        super().__init__(ctx, name)
        self.low, self.high = ctx.check.get("min_length"), ctx.check.get("max_length")
        self.bad = 0
        self.values = 0
        self.shortest: int | None = None
        self.longest: int | None = None
        self.examples = _Examples()

    def update(self, view: ColumnView) -> None:
        texts = view.texts
        if len(texts) == texts.null_count:
            return
        lengths = A.ints(pc.utf8_length(texts), fill=-1)
        known = lengths[lengths >= 0]
        self.values += len(known)
        self.shortest = _min(self.shortest, int(known.min()))
        self.longest = _max(self.longest, int(known.max()))
        bad = np.zeros(len(lengths), dtype=bool)
        if self.low is not None:
            bad |= (lengths >= 0) & (lengths < self.low)
        if self.high is not None:
            bad |= lengths > self.high
        self.bad += int(np.count_nonzero(bad))
        self.examples.add_positions(view, bad)

    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        name = self.name
        expected = _length_text(self.low, self.high)
        observed = "no values" if self.shortest is None else f"{self.shortest}..{self.longest}"
        if self.bad == 0:
            message = f"The lengths of `{name}` are within {expected} (observed {observed})."
            return self.ctx.result("length", name, False, message, observed, expected)
        share = self.bad / self.values if self.values else 0.0
        message = (
            f"`{name}` has {_n(self.bad, 'value')} ({_pct(share)}) of a length outside "
            f"{expected} (observed {observed}){_eg_items(self.examples.items[:3])}."
        )
        return self.ctx.result(
            "length", name, True, message, observed, expected, self.examples.items
        )


def _length_text(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"{low}..{high} characters"
    return f"≥ {low} characters" if low is not None else f"≤ {high} characters"


def _min(a: int | None, b: int) -> int:
    return b if a is None else min(a, b)


def _max(a: int | None, b: int) -> int:
    return b if a is None else max(a, b)


_ASSERTIONS: tuple[
    tuple[Callable[[Mapping[str, Any]], bool], Callable[[_Ctx, str], _Assertion]], ...
] = (
    (lambda c: c.get("type") is not None, _Type),
    (lambda c: c.get("dtype") is not None, lambda ctx, n: _Dtype(ctx, n)),
    (lambda c: c.get("nullable") is not None, lambda ctx, name: _Nullable(ctx, name)),
    (lambda c: c.get("max_null_fraction") is not None, lambda ctx, n: _NullFraction(ctx, n)),
    (lambda c: c.get("min") is not None or c.get("max") is not None, _Range),
    (lambda c: c.get("allowed") is not None, _Allowed),
    (lambda c: bool(c.get("unique")), _Unique),
    (lambda c: c.get("pattern") is not None, _Pattern),
    (lambda c: c.get("date_format") is not None, _DateFormat),
    (lambda c: c.get("min_length") is not None or c.get("max_length") is not None, _Length),
    (lambda c: bool(c.get("not_constant")), lambda ctx, n: _NotConstant(ctx, n)),
    (lambda c: bool(c.get("not_empty")), lambda ctx, n: _NotEmpty(ctx, n)),
)


# --- dataset checks ------------------------------------------------------------------------


class _RowCount(_Runner):
    def finish(self, fc: FinishContext) -> list[CheckResult]:
        bounds = self.ctx.check["row_count"]
        results = []
        if bounds.get("min") is not None or bounds.get("max") is not None:
            results.append(self._bounds(fc.rows, bounds.get("min"), bounds.get("max")))
        if bounds.get("max_change") is not None:
            results.append(self._change(fc, float(bounds["max_change"])))
        return results

    def _bounds(self, rows: int, low: Any, high: Any) -> CheckResult:
        dataset, expected = self.ctx.dataset, _count_range(low, high)
        has = f"Dataset '{dataset}' has {_count(rows)} rows"
        if low is not None and rows < low:
            message = f"{has}, fewer than the minimum {_count(low)}."
        elif high is not None and rows > high:
            message = f"{has}, more than the maximum {_count(high)}."
        else:
            message = f"{has} ({expected})."
            return self.ctx.result("row_count", None, False, message, _count(rows), expected)
        return self.ctx.result("row_count", None, True, message, _count(rows), expected)

    def _change(self, fc: FinishContext, limit: float) -> CheckResult:
        expected = f"change ≤ {_pct(limit)}"
        if fc.baseline is None:
            message = "No baseline profile, so the change of the row count was not checked."
            return self.ctx.skipped("row_count_change", None, message, expected)
        before, now = int(fc.baseline["rows"]), fc.rows
        change = (now - before) / before if before else (math.inf if now else 0.0)
        breached = abs(change) > limit
        shown = (
            f"{'+' if change >= 0 else '−'}{_pct(abs(change))}" if math.isfinite(change) else "new"
        )
        verb = "more than" if breached else "within"
        message = (
            f"Dataset '{self.ctx.dataset}' has {_count(now)} rows, {shown} against the "
            f"baseline's {_count(before)}: {verb} the allowed {_pct(limit)}."
        )
        observed = f"{_count(before)} → {_count(now)} ({shown})"
        return self.ctx.result("row_count_change", None, breached, message, observed, expected)


def _count_range(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"{_count(low)}..{_count(high)}"
    return f"≥ {_count(low)}" if low is not None else f"≤ {_count(high)}"


class _KeyRunner(_Runner):
    """Shared by unique_key and overlap: the per-row hash of a key of one or more columns."""

    def __init__(self, ctx: _Ctx, key: Sequence[Any]) -> None:
        super().__init__(ctx)
        self.key = [str(c) for c in key]
        self.column = self.key[0] if len(self.key) == 1 else None
        self.shown = _key_text(self.key)
        self.missing: str | None = None
        self.groups = _HashGroups()

    def update(self, views: Mapping[str, ColumnView]) -> None:
        missing = [c for c in self.key if c not in views]
        if missing:
            self.missing = missing[0]
            return
        self.groups.add(*key_hashes(views, self.key))


class _UniqueKey(_KeyRunner):
    def __init__(self, ctx: _Ctx) -> None:
        super().__init__(ctx, ctx.check["unique_key"])

    def finish(self, fc: FinishContext) -> list[CheckResult]:
        ctx, shown, column = self.ctx, self.shown, self.column
        if self.missing is not None:
            message = f"The key {shown} cannot be checked: column `{self.missing}` is missing."
            return [ctx.result("unique_key", column, True, message, "column missing", "unique")]
        first_rows, sizes = self.groups.repeated()
        observed = _n(len(sizes), "duplicated key")
        if len(sizes) == 0:
            message = f"The key {shown} is unique."
            return [ctx.result("unique_key", column, False, message, observed, "unique")]
        counted, in_order = _group_examples(fc, self.key, first_rows, sizes)
        message = (
            f"The key {shown} has {_n(len(sizes), 'duplicated key')} "
            f"({_count(sizes.sum())} rows){_eg_items(in_order)}."
        )
        return [ctx.result("unique_key", column, True, message, observed, "unique", counted)]


class _Overlap(_KeyRunner):
    def __init__(self, ctx: _Ctx) -> None:
        super().__init__(ctx, ctx.check["key"])
        self.other = str(ctx.check["no_overlap_with"])

    def key_request(self) -> KeyRef | None:
        return (self.other, tuple(self.key))

    def finish(self, fc: FinishContext) -> list[CheckResult]:
        ctx, other, column = self.ctx, self.other, self.column
        expected = f"no key shared with '{other}'"
        theirs = fc.keysets.get((other, tuple(self.key)))
        if theirs is None:
            message = f"Dataset '{other}' is not available, so overlap with it was not checked."
            return [ctx.skipped("overlap", column, message, expected)]
        for side, missing in ((ctx.dataset, self.missing), (other, _missing_of(theirs))):
            if missing is not None:
                message = (
                    f"Overlap with '{other}' cannot be checked: key column `{missing}` "
                    f"is missing from '{side}'."
                )
                return [ctx.result("overlap", column, True, message, "column missing", expected)]
        assert isinstance(theirs, np.ndarray)
        return [self._result(fc, theirs, expected)]

    def _result(self, fc: FinishContext, theirs: np.ndarray, expected: str) -> CheckResult:
        ctx, other, column, shown = self.ctx, self.other, self.column, self.shown
        hashes = (
            np.concatenate(self.groups.hashes) if self.groups.hashes else np.zeros(0, np.uint64)
        )
        valid = np.concatenate(self.groups.valid) if self.groups.valid else np.zeros(0, bool)
        shared = valid & np.isin(hashes, theirs)
        n = int(np.count_nonzero(shared))
        share = n / fc.rows if fc.rows else 0.0
        observed = f"{_count(n)} rows ({_pct(share)})"
        if n == 0:
            message = f"No row of '{ctx.dataset}' shares its key {shown} with '{other}'."
            return ctx.result("overlap", column, False, message, observed, expected)
        rows = _first_distinct_rows(hashes, shared)
        values = fc.fetch(self.key, rows)
        examples = _Examples()
        examples.add(v[0] if len(v) == 1 else tuple(v) for v in (values[r] for r in rows))
        message = (
            f"{_count(n)} rows of '{ctx.dataset}' ({_pct(share)}) have a key {shown} that also "
            f"appears in '{other}' (leakage){_eg_items(examples.items[:3])}."
        )
        return ctx.result("overlap", column, True, message, observed, expected, examples.items)


def _missing_of(keyset: np.ndarray | MissingKey) -> str | None:
    return keyset.column if isinstance(keyset, MissingKey) else None


def _first_distinct_rows(
    hashes: np.ndarray, mask: np.ndarray, limit: int = MAX_EXAMPLES
) -> list[int]:
    rows: list[int] = []
    seen: set[int] = set()
    for row in np.flatnonzero(mask):
        h = int(hashes[row])
        if h not in seen:
            seen.add(h)
            rows.append(int(row))
            if len(rows) == limit:
                break
    return rows


class _DuplicateRows(_Runner):
    def __init__(self, ctx: _Ctx) -> None:
        super().__init__(ctx)
        self.groups = _HashGroups()
        self.columns: list[str] = []

    def update(self, views: Mapping[str, ColumnView]) -> None:
        if not views:
            return
        self.columns = list(views)
        hashes = row_hashes([v.arr for v in views.values()])
        self.groups.add(hashes, np.ones(len(hashes), dtype=bool))

    def finish(self, fc: FinishContext) -> list[CheckResult]:
        ctx = self.ctx
        if not self.ctx.check["no_duplicate_rows"]:
            return []
        first_rows, sizes = self.groups.repeated()
        extra = int((sizes - 1).sum())
        observed = _n(extra, "duplicated row")
        if extra == 0:
            message = f"No row of '{ctx.dataset}' is a duplicate of another."
            return [ctx.result("duplicate_rows", None, False, message, observed, "no duplicates")]
        share = extra / fc.rows if fc.rows else 0.0
        counted, in_order = _group_examples(fc, self.columns, first_rows, sizes)
        message = (
            f"Dataset '{ctx.dataset}' has {_n(extra, 'row')} ({_pct(share)}) that repeat an "
            f"earlier row{_eg_items(in_order[:1])}."
        )
        return [
            ctx.result("duplicate_rows", None, True, message, observed, "no duplicates", counted)
        ]


class _Label(_Runner):
    def __init__(self, ctx: _Ctx) -> None:
        super().__init__(ctx)
        self.column = str(ctx.check["label"])
        self.present = False

    def update(self, views: Mapping[str, ColumnView]) -> None:
        self.present = self.present or self.column in views

    def finish(self, fc: FinishContext) -> list[CheckResult]:
        ctx, name = self.ctx, self.column
        if not self.present:
            message = f"Label column `{name}` is missing from dataset '{ctx.dataset}'."
            return [ctx.result("label_balance", name, True, message, "absent", "present")]
        classes = _classes(fc.column(name))
        if classes is None:
            message = (
                f"Label column `{name}` has too many distinct values to be a label "
                "(more than 1,000)."
            )
            return [ctx.result("label_balance", name, True, message, "many values", "≤ 1,000")]
        results = []
        if ctx.check.get("min_class_share") is not None:
            results.append(self._balance(classes, float(ctx.check["min_class_share"])))
        if ctx.check.get("new_labels") is not None or "min_class_share" not in ctx.check:
            results.append(self._new(fc, classes))
        return results

    def _balance(self, classes: dict[Any, int], limit: float) -> CheckResult:
        ctx, name = self.ctx, self.column
        total = sum(classes.values())
        expected = f"every class ≥ {_pct(limit)}"
        shares = {k: c / total for k, c in classes.items()} if total else {}
        small = sorted((s, _short(k)) for k, s in shares.items() if s < limit)
        smallest = _pct(min(shares.values())) if shares else "n/a"
        observed = f"{_n(len(classes), 'class', 'classes')}, smallest {smallest}"
        if not small:
            message = f"Every class of `{name}` has at least {_pct(limit)} of the rows."
            return ctx.result("label_balance", name, False, message, observed, expected)
        shown = [f"{k} {_pct(s)}" for s, k in small]
        message = (
            f"{_n(len(small), 'class', 'classes')} of `{name}` "
            f"{'has' if len(small) == 1 else 'have'} less "
            f"than {_pct(limit)} of the rows: {_first_three(shown)}."
        )
        return ctx.result("label_balance", name, True, message, observed, expected, shown[:5])

    def _new(self, fc: FinishContext, classes: dict[Any, int]) -> CheckResult:
        ctx, name = self.ctx, self.column
        severity = ctx.check.get("new_labels", "warn")
        expected = "only the baseline's classes"
        base = fc.baseline["columns"].get(name) if fc.baseline else None
        known = _classes(base) if base else None
        if known is None:
            message = f"No baseline classes of `{name}`, so new labels were not checked."
            return ctx.skipped("new_labels", name, message, expected)
        new = {k: c for k, c in classes.items() if k not in known}
        if not new:
            message = f"`{name}` has no class the baseline did not have."
            return ctx.result(
                "new_labels", name, False, message, "none", expected, severity=severity
            )
        shown = [f"{_short(k)} ×{c}" for k, c in sorted(new.items(), key=lambda p: -p[1])]
        message = (
            f"`{name}` has {_n(len(new), 'class', 'classes')} the baseline did not have: "
            f"{_first_three(shown)}."
        )
        return ctx.result(
            "new_labels",
            name,
            True,
            message,
            _n(len(new), "new class", "new classes"),
            expected,
            shown[:5],
            severity=severity,
        )


def _classes(column: Mapping[str, Any]) -> dict[Any, int] | None:
    """The label's class counts from a column profile (None: not a complete value list)."""
    values = column.get("values")
    if values is not None and values.get("complete"):
        return {k: int(c) for k, c in values["counts"]}
    top = column.get("top")
    if top is not None and not column.get("other"):
        return {k: int(c) for k, c in top}
    return None


class _ColumnsPresent(_Runner):
    def __init__(self, ctx: _Ctx) -> None:
        super().__init__(ctx)
        self.listed = [str(c) for c in ctx.check["columns_present"]]
        self.names: list[str] | None = None

    def update(self, views: Mapping[str, ColumnView]) -> None:
        if self.names is None:
            self.names = list(views)

    def finish(self, fc: FinishContext) -> list[CheckResult]:
        ctx, names = self.ctx, self.names or []
        results = [
            _present(ctx, name, "error") if name in names else _missing(ctx, name, True, "error")
            for name in self.listed
        ]
        policy = ctx.check.get("new_columns", "warn")
        if policy != "allow":
            results.extend(self._new_columns(names, policy))
        return results

    def _new_columns(self, names: list[str], severity: str) -> list[CheckResult]:
        ctx, known = self.ctx, set(self.listed)
        new = [name for name in names if name not in known]
        if not new:
            message = (
                f"Dataset '{ctx.dataset}' has no columns beyond the {_count(len(self.listed))} "
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


_RUNNERS: tuple[tuple[str, Callable[[_Ctx], _Runner]], ...] = (
    ("column", _ColumnRunner),
    ("row_count", _RowCount),
    ("unique_key", _UniqueKey),
    ("no_overlap_with", _Overlap),
    ("no_duplicate_rows", _DuplicateRows),
    ("label", _Label),
    ("columns_present", _ColumnsPresent),
)


# --- keys ----------------------------------------------------------------------------------


def _key_text(key: list[str]) -> str:
    return f"`{key[0]}`" if len(key) == 1 else "[" + ", ".join(f"`{c}`" for c in key) + "]"


# --- formatting ----------------------------------------------------------------------------


def _dtype(t: pa.DataType) -> str:
    return dtype_name(t)


def _count(n: Any) -> str:
    return f"{int(n):,}"


def _pct(fraction: float) -> str:
    percent = 100 * fraction
    if 0 < percent < 0.1:
        return f"{percent:.2g}%"
    return f"{percent:.1f}%".replace(".0%", "%")


def _n(n: Any, noun: str, plural: str | None = None) -> str:
    """ "1 value", "1,204 values"."""
    word = noun if int(n) == 1 else (plural or noun + "s")
    return f"{_count(n)} {word}"


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
    if isinstance(v, datetime):
        midnight = v.tzinfo is None and v == datetime(v.year, v.month, v.day)
        return v.date().isoformat() if midnight else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
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


def _first_three(items: Sequence[str]) -> str:
    return ", ".join(items[:3]) + (", …" if len(items) > 3 else "")


def _eg_items(examples: Sequence[str]) -> str:
    """ ", e.g. 'a', 'b'" with up to three examples (empty when there are none)."""
    shown = list(examples)[:3]
    return f", e.g. {', '.join(shown)}" if shown else ""
