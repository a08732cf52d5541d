"""The ``min``/``max`` assertion over numbers, dates and text that parses as either."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from mlci.data import arrays as A
from mlci.data.checks import wording as W
from mlci.data.checks.base import MAX_EXAMPLES, Assertion, Ctx, FinishContext
from mlci.data.checks.column_types import parse_datetime
from mlci.data.columns import ColumnView, dtype_name
from mlci.results import CheckResult


class RangeCheck(Assertion):
    def __init__(self, ctx: Ctx, name: str) -> None:
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
        self.dtype = dtype_name(view.arr.type)
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
            self.low_examples = sorted(set(self.low_examples) | set(A.distinct_sorted(below)[:5]))[
                :5
            ]
        if high is not None:
            above = values[values > high]
            self.above += len(above)
            self.high_examples = sorted(
                set(self.high_examples) | set(A.distinct_sorted(above)[-5:])
            )[-5:]

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
                f"{W.noun(self.below, 'value')} below the minimum {W.value(self.low)} "
                f"(min {show(self.min)})"
            )
        if self.above:
            parts.append(
                f"{W.noun(self.above, 'value')} above the maximum {W.value(self.high)} "
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
            parsed = [to_float(v) for v in texts]
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
            return W.value(_from_micros(int(v), self.tz))
        return W.value(v)


def to_float(text: str) -> float | None:
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
        value = value.replace(tzinfo=ZoneInfo(tz) if tz not in ("UTC", "Z") else timezone.utc)
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return _micros(value)


def _from_micros(micros: int, tz: str | None) -> datetime:

    value = datetime(1970, 1, 1) + timedelta(microseconds=micros)
    if tz is not None:
        zone = timezone.utc if tz in ("UTC", "Z", "+00:00") else ZoneInfo(tz)
        value = value.replace(tzinfo=timezone.utc).astimezone(zone)
    return value


def _range_text(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"[{W.value(low)}, {W.value(high)}]"
    return f"≥ {W.value(low)}" if low is not None else f"≤ {W.value(high)}"
