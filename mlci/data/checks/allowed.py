"""The ``allowed`` assertion, with a tolerated share of unseen values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlci.data import arrays as A
from mlci.data.checks import wording as W
from mlci.data.checks.base import Assertion, Ctx, FinishContext, ValueCounter
from mlci.data.checks.ranges import to_float
from mlci.data.columns import ColumnView
from mlci.results import CheckResult
from mlci.vocab import fmt_share


class AllowedCheck(Assertion):
    def __init__(self, ctx: Ctx, name: str) -> None:
        super().__init__(ctx, name)
        self.allowed = list(ctx.check["allowed"])
        self.tolerated = float(ctx.check.get("max_unseen_fraction", 0.0))
        self.texts = A.strings([_allowed_text(a) for a in self.allowed])
        numbers = [_allowed_number(a) for a in self.allowed]
        self.numbers = np.asarray([v for v in numbers if v is not None], dtype=np.float64)
        self.values = 0
        self.unseen = ValueCounter()

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
        expected = f"≤ {fmt_share(self.tolerated)} outside {W.short_list(self.allowed)}"
        observed = f"{W.count(unseen)} unseen ({fmt_share(share)})"
        if unseen == 0:
            message = f"All values of `{name}` are allowed."
        else:
            verb = "more than" if breached else "within"
            message = (
                f"`{name}` has {W.noun(unseen, 'value')} ({fmt_share(share)}) "
                f"outside the allowed set, {verb} the tolerated {fmt_share(self.tolerated)}"
                f"{W.eg_items(self.unseen.first(3))}."
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
    return to_float(str(value))
