"""The ``type`` assertion: integer, number, string, boolean, datetime or category."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pyarrow as pa

from mlci.data import arrays as A
from mlci.data.checks import wording as W
from mlci.data.checks.base import Assertion, Ctx, Examples, FinishContext
from mlci.data.columns import ColumnView, dtype_name
from mlci.data.hashing import is_text
from mlci.errors import ConfigError
from mlci.results import CheckResult

TYPES = ("integer", "number", "string", "boolean", "datetime", "category")


class TypeCheck(Assertion):
    def __init__(self, ctx: Ctx, name: str) -> None:
        super().__init__(ctx, name)
        self.expected = str(ctx.check["type"])
        if self.expected not in TYPES:
            raise ConfigError(
                f"Unknown column type '{self.expected}'. Expected one of {', '.join(TYPES)}."
            )
        self.n_values = 0
        self.bad = 0
        self.bad_examples = Examples()
        self.first = Examples()
        self.text = False
        self.actual = ""

    def update(self, view: ColumnView) -> None:
        t = view.arr.type
        self.actual = f"{view.logical} (dtype {dtype_name(t)})"
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
        eg = W.eg_items(examples)
        if bad < self.n_values:
            message = (
                f"`{name}` should be {expected} but {W.count(bad)} of its "
                f"{W.count(self.n_values)} values {'is' if bad == 1 else 'are'} not{eg}."
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
