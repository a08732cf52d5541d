"""What every check shares: its mapping, the end-of-scan context, and bounded examples."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlci.data import arrays as A
from mlci.data.checks import wording as W
from mlci.data.columns import ColumnView
from mlci.data.hashing import combine
from mlci.results import CheckResult, Status

MAX_EXAMPLES = 5

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


def key_hashes(
    views: Mapping[str, ColumnView], key: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """One hash per row of a key of one or more columns, valid where no part is null."""
    if len(key) == 1:
        return views[key[0]].hashes
    return combine([views[c].hashes for c in key])


@dataclass(frozen=True)
class Ctx:
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


class Runner:
    """The accumulators of one check mapping."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx

    def update(self, views: Mapping[str, ColumnView]) -> None:
        pass

    def finish(self, fc: FinishContext) -> list[CheckResult]:
        raise NotImplementedError

    def text_columns(self) -> Iterable[str]:
        return ()

    def key_request(self) -> KeyRef | None:
        return None

    def single_column(self) -> str | None:
        """The one column :meth:`update` reads, or None when it reads several (or none)."""
        return None


class Assertion:
    """One assertion of a column check: fed the column's views, then judged."""

    def __init__(self, ctx: Ctx, name: str) -> None:
        self.ctx = ctx
        self.name = name

    def update(self, view: ColumnView) -> None:
        pass

    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        raise NotImplementedError


class Examples:
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
            text = W.short(v)
            if text not in self.items:
                self.items.append(text)

    def add_positions(self, view: ColumnView, mask: np.ndarray) -> None:
        """Add the values of ``view`` where ``mask`` is true (a few of them)."""
        if self.full:
            return
        positions = np.flatnonzero(mask)[: self.limit * 8]
        if len(positions):
            self.add(view.arr.take(A.indices(positions)).to_pylist())


class ValueCounter:
    """Counts of offending values (display text) in order of first appearance, bounded."""

    LIMIT = 1_000

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.total = 0

    def add(self, values: Iterable[Any], counts: Iterable[int]) -> None:
        for v, c in zip(values, counts, strict=True):
            self.total += int(c)
            text = W.short(v)
            if text in self.counts:
                self.counts[text] += int(c)
            elif len(self.counts) < self.LIMIT:
                self.counts[text] = int(c)

    def first(self, n: int) -> list[str]:
        return list(self.counts)[:n]

    def counted(self) -> list[str]:
        ranked = sorted(self.counts.items(), key=lambda p: (-p[1], p[0]))
        return [f"{text} ×{n}" for text, n in ranked[:MAX_EXAMPLES]]
