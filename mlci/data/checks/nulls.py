"""Assertions read from the column's profile: dtype, nulls, empty and constant columns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlci.data.checks import wording as W
from mlci.data.checks.base import Assertion, FinishContext
from mlci.results import CheckResult
from mlci.vocab import fmt_share


class DtypeCheck(Assertion):
    """The physical type, as :func:`~mlci.data.columns.dtype_name` names it (int64, str...)."""

    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        expected, actual = str(self.ctx.check["dtype"]), str(column["dtype"])
        if actual == expected:
            message = f"`{self.name}` is stored as {actual}."
        else:
            message = f"`{self.name}` should be stored as {expected} but is {actual}."
        return self.ctx.result("dtype", self.name, actual != expected, message, actual, expected)


class NullableCheck(Assertion):
    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        name, nulls = self.name, int(column["nulls"])
        rows = nulls + int(column["count"])
        if self.ctx.check["nullable"]:
            message = f"`{name}` may have nulls ({W.noun(nulls, 'null')})."
            return self.ctx.result(
                "nullable", name, False, message, W.noun(nulls, "null"), "nullable"
            )
        if nulls == 0:
            message = f"`{name}` has no nulls."
        else:
            message = (
                f"`{name}` has {W.noun(nulls, 'null value')} ({fmt_share(nulls / rows)}) but is "
                "not nullable."
            )
        return self.ctx.result(
            "nullable", name, nulls > 0, message, W.noun(nulls, "null"), "no nulls"
        )


class NullFractionCheck(Assertion):
    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        limit = float(self.ctx.check["max_null_fraction"])
        nulls = int(column["nulls"])
        rows = nulls + int(column["count"])
        fraction = nulls / rows if rows else 0.0
        breached = fraction > limit
        verb = "above" if breached else "within"
        message = (
            f"`{self.name}` has {fmt_share(fraction)} nulls ({W.count(nulls)} of {W.count(rows)}), "
            f"{verb} the maximum {fmt_share(limit)}."
        )
        observed, expected = fmt_share(fraction), f"≤ {fmt_share(limit)}"
        return self.ctx.result("null_fraction", self.name, breached, message, observed, expected)


class NotEmptyCheck(Assertion):
    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        count, rows = int(column["count"]), int(column["count"]) + int(column["nulls"])
        if count:
            message = f"`{self.name}` has {W.noun(count, 'value')}."
            return self.ctx.result("not_empty", self.name, False, message, W.count(count), "≥ 1")
        message = f"`{self.name}` is empty: all {W.count(rows)} of its values are null."
        return self.ctx.result("not_empty", self.name, True, message, "0 values", "≥ 1 value")


class NotConstantCheck(Assertion):
    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        name, count = self.name, int(column["count"])
        distinct = column.get("distinct")
        if distinct is None:  # a datetime column
            distinct = 0 if count == 0 else (1 if column.get("min") == column.get("max") else 2)
        if distinct >= 2:
            message = f"`{name}` has {W.count(distinct)} distinct values."
            return self.ctx.result("not_constant", name, False, message, W.count(distinct), "≥ 2")
        if count == 0:
            message = f"`{name}` has no values (all null), so it is constant."
            return self.ctx.result("not_constant", name, True, message, "no values", "≥ 2")
        value = _constant_value(column)
        message = f"`{name}` has the same value {value} in all {W.count(count)} non-null rows."
        return self.ctx.result("not_constant", name, True, message, "1 value", "≥ 2", [value])


def _constant_value(column: Mapping[str, Any]) -> str:
    if column.get("top"):
        return W.short(column["top"][0][0])
    value = column.get("min")
    return W.short(value) if value is not None else "n/a"
