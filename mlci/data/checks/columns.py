"""Column checks: one runner per ``{column: ...}`` mapping, one result per assertion."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mlci.data.checks.allowed import AllowedCheck
from mlci.data.checks.base import Assertion, Ctx, FinishContext, Runner
from mlci.data.checks.column_types import TypeCheck
from mlci.data.checks.nulls import (
    DtypeCheck,
    NotConstantCheck,
    NotEmptyCheck,
    NullableCheck,
    NullFractionCheck,
)
from mlci.data.checks.ranges import RangeCheck
from mlci.data.checks.text import DateFormatCheck, LengthCheck, PatternCheck
from mlci.data.checks.uniqueness import UniqueCheck
from mlci.data.columns import ColumnView
from mlci.results import CheckResult


class ColumnRunner(Runner):
    """A ``{column: ...}`` mapping: presence, then one assertion per key it sets."""

    def __init__(self, ctx: Ctx) -> None:
        super().__init__(ctx)
        self.name = str(ctx.check["column"])
        self.required = bool(ctx.check.get("required", True))
        self.present: bool | None = None
        self.assertions = [make(ctx, self.name) for key, make in ASSERTIONS if key(ctx.check)]

    def text_columns(self) -> Iterable[str]:
        text_keys = ("pattern", "date_format", "min_length", "max_length")
        return [self.name] if any(self.ctx.check.get(k) is not None for k in text_keys) else []

    def single_column(self) -> str:
        return self.name

    def update(self, views: Mapping[str, ColumnView]) -> None:
        if self.present is None:
            self.present = self.name in views
        if self.present:
            view = views[self.name]
            for assertion in self.assertions:
                assertion.update(view)

    def finish(self, fc: FinishContext) -> list[CheckResult]:
        if not self.present:
            return [absent_result(self.ctx, self.name, self.required)]
        results = [present_result(self.ctx, self.name)] if self.required else []
        column = fc.column(self.name)
        results.extend(a.finish(fc, column) for a in self.assertions)
        return results


def absent_result(ctx: Ctx, name: str, required: bool, severity: Any = None) -> CheckResult:
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


def present_result(ctx: Ctx, name: str, severity: Any = None) -> CheckResult:
    message = f"Column `{name}` is present."
    return ctx.result("missing_column", name, False, message, "present", "present", (), severity)


ASSERTIONS: tuple[
    tuple[Callable[[Mapping[str, Any]], bool], Callable[[Ctx, str], Assertion]], ...
] = (
    (lambda c: c.get("type") is not None, TypeCheck),
    (lambda c: c.get("dtype") is not None, lambda ctx, n: DtypeCheck(ctx, n)),
    (lambda c: c.get("nullable") is not None, lambda ctx, name: NullableCheck(ctx, name)),
    (lambda c: c.get("max_null_fraction") is not None, lambda ctx, n: NullFractionCheck(ctx, n)),
    (lambda c: c.get("min") is not None or c.get("max") is not None, RangeCheck),
    (lambda c: c.get("allowed") is not None, AllowedCheck),
    (lambda c: bool(c.get("unique")), UniqueCheck),
    (lambda c: c.get("pattern") is not None, PatternCheck),
    (lambda c: c.get("date_format") is not None, DateFormatCheck),
    (lambda c: c.get("min_length") is not None or c.get("max_length") is not None, LengthCheck),
    (lambda c: bool(c.get("not_constant")), lambda ctx, n: NotConstantCheck(ctx, n)),
    (lambda c: bool(c.get("not_empty")), lambda ctx, n: NotEmptyCheck(ctx, n)),
)
