"""Uniqueness by 64-bit row hashes: the ``unique`` assertion and the hash groups it shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mlci.data.checks import wording as W
from mlci.data.checks.base import MAX_EXAMPLES, Assertion, Ctx, FinishContext
from mlci.data.columns import ColumnView
from mlci.results import CheckResult


class HashGroups:
    """Row hashes collected over the scan; grouped at the end to find repeated values.

    Memory: 8 bytes per row for the hashes, one byte for the null mask, and 8 more per row
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
        hashes, valid = np.concatenate(self.hashes), np.concatenate(self.valid)
        self.hashes, self.valid = [hashes], [valid]  # the parts are freed (memory: 8n, not 16n)
        rows = None if valid.all() else np.flatnonzero(valid)
        if rows is not None:
            hashes = hashes[rows]
        ordered = np.sort(hashes)
        repeats = ordered[1:][ordered[1:] == ordered[:-1]]
        del ordered
        if len(repeats) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        if rows is None:
            rows = np.arange(len(hashes), dtype=np.int64)
        candidates = np.isin(hashes, repeats)
        rows, hashes = rows[candidates], hashes[candidates]
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
        sizes = np.diff(np.concatenate([starts, [len(ordered)]]))
        repeated = sizes > 1
        return rows[order[starts[repeated]]], sizes[repeated]


def group_examples(
    fc: FinishContext, columns: Sequence[str], first_rows: np.ndarray, sizes: np.ndarray
) -> tuple[list[str], list[str]]:
    """(``"value ×count"`` for the five largest groups, the first three values in row order)."""
    by_size = np.lexsort((first_rows, -sizes))[:20]
    by_row = np.argsort(first_rows, kind="stable")[:3]
    wanted = sorted({int(first_rows[i]) for i in [*by_size, *by_row]})
    values = fc.fetch(columns, wanted)

    def shown(i: int) -> str:
        row = values.get(int(first_rows[i]), ())
        return W.short(row[0] if len(row) == 1 else tuple(row))

    counted = sorted(((shown(i), int(sizes[i])) for i in by_size), key=lambda p: (-p[1], p[0]))
    return [f"{text} ×{n}" for text, n in counted[:MAX_EXAMPLES]], [shown(i) for i in by_row]


class UniqueCheck(Assertion):
    def __init__(self, ctx: Ctx, name: str) -> None:
        super().__init__(ctx, name)
        self.groups = HashGroups()

    def update(self, view: ColumnView) -> None:
        hashes, valid = view.hashes
        self.groups.add(hashes, valid)

    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        name = self.name
        first_rows, sizes = self.groups.repeated()
        observed = W.noun(len(sizes), "duplicated value")
        if len(sizes) == 0:
            message = f"All values of `{name}` are unique."
            return self.ctx.result("unique", name, False, message, observed, "unique")
        counted, in_order = group_examples(fc, [name], first_rows, sizes)
        message = (
            f"`{name}` has {W.noun(len(sizes), 'duplicated value')} "
            f"({W.count(sizes.sum())} rows){W.eg_items(in_order)}."
        )
        return self.ctx.result("unique", name, True, message, observed, "unique", counted)
