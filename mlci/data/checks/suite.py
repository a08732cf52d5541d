"""All checks of one dataset: built from the mappings, fed each batch, judged at the end."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from mlci.data import arrays as A
from mlci.data.checks.base import Ctx, Fetch, FinishContext, KeyRef, MissingKey, Runner, key_hashes
from mlci.data.checks.columns import ColumnRunner
from mlci.data.checks.dataset import (
    ColumnsPresentCheck,
    DuplicateRowsCheck,
    LabelCheck,
    OverlapCheck,
    RowCountCheck,
    UniqueKeyCheck,
)
from mlci.data.columns import ColumnView
from mlci.data.profile import Profiler, frame_table, views_of
from mlci.errors import ConfigError
from mlci.results import CheckResult

if TYPE_CHECKING:
    import pandas as pd


class CheckSuite:
    """All checks of one dataset, in the order of their mappings.

    Raises:
        ConfigError: a mapping is not a known check, or names an unknown column type.
    """

    def __init__(self, dataset: str, checks: Sequence[Mapping[str, Any]]) -> None:
        self.dataset = dataset
        self.runners = [_runner(Ctx(dataset, check), i) for i, check in enumerate(checks)]

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

    def by_column(self, columns: Collection[str]) -> tuple[dict[str, list[Runner]], list[Runner]]:
        """The runners that read one of ``columns`` only, by column, and all the others; each
        in check order. Runners of different columns can be fed on different threads."""
        single: dict[str, list[Runner]] = {}
        others: list[Runner] = []
        for runner in self.runners:
            column = runner.single_column()
            if column is not None and column in columns:
                single.setdefault(column, []).append(runner)
            else:
                others.append(runner)
        return single, others

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
        self.parts.append(A.distinct_sorted(hashes[valid]))

    def finish(self) -> np.ndarray | MissingKey:
        if self.missing is not None:
            return MissingKey(self.missing)
        return (
            A.distinct_sorted(np.concatenate(self.parts)) if self.parts else np.zeros(0, np.uint64)
        )


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
        profiler.update(empty)  # the columns exist, with no rows, for the checks to find
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


def _runner(ctx: Ctx, index: int) -> Runner:
    check = ctx.check
    for key, make in RUNNERS:
        if key in check:
            return make(ctx)
    raise ConfigError(
        f"Check {index + 1} of dataset '{ctx.dataset}' is not a known check (keys: "
        f"{', '.join(map(str, check))}). Expected one of {', '.join(k for k, _ in RUNNERS)}."
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


RUNNERS: tuple[tuple[str, Callable[[Ctx], Runner]], ...] = (
    ("column", ColumnRunner),
    ("row_count", RowCountCheck),
    ("unique_key", UniqueKeyCheck),
    ("no_overlap_with", OverlapCheck),
    ("no_duplicate_rows", DuplicateRowsCheck),
    ("label", LabelCheck),
    ("columns_present", ColumnsPresentCheck),
)
