"""The data stage: every configured dataset read once, profiled, checked and compared with the
baseline's profile in the same pass.

For each dataset, one scan over its record batches feeds the profiler, the check suite, the
drift counters (numeric values in the baseline's bins, values among its categories) and
the key collectors other datasets' overlap checks need. Memory stays bounded by the batch size
plus the checks' own state (see :mod:`mlci.data.checks`). The file's fingerprint is computed in a
background thread while the scan runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from mlci.config import Config, DatasetConfig
from mlci.data import arrays as A
from mlci.data.checks import CheckSuite, FinishContext, KeyCollector, KeyRef, MissingKey
from mlci.data.checks.base import Runner
from mlci.data.columns import ColumnView
from mlci.data.drift import DriftScan, column_changes, drift_results, same_signature
from mlci.data.parallel import Lanes
from mlci.data.profile import ColumnMap, Profiler, views_of
from mlci.data.progress import NoProgress, Progress
from mlci.data.read import Source, fingerprint, scan
from mlci.data.schema_file import load_schema_file
from mlci.jobs import arrow_threads, resolve_jobs
from mlci.results import CheckResult, DatasetSummary

if TYPE_CHECKING:
    from mlci.records.format import Record


READ_AHEAD = 2  # batches parsed ahead of the ones being consumed (memory: see mlci.data.read)


@dataclass(frozen=True)
class DatasetOutcome:
    """One dataset after the data stage."""

    summary: DatasetSummary
    profile: dict[str, Any]
    checks: tuple[CheckResult, ...]


def run_data_stage(
    config: Config,
    baseline: Record | None,
    *,
    progress: Progress | None = None,
    against: Mapping[str, Mapping[str, Any]] | None = None,
    jobs: int | None = None,
) -> tuple[DatasetOutcome, ...]:
    """Read, profile, check and compare every dataset of ``config`` with the baseline.

    Parameters:
        baseline: the baseline record; its profile of each dataset is the drift reference.
        progress: where to report the progress of long scans (default: nowhere).
        against: baseline profiles by dataset name, instead of the record's.
        jobs: threads to use (None: the CPUs available to the process, see
            :mod:`mlci.jobs`). The outcomes are the same for any number.

    Returns:
        One outcome per dataset, in config order.

    Raises:
        DataError: a dataset cannot be read (one line naming the dataset and the file).
        ConfigError: a check of a dataset or its schema file is not valid.
    """
    profiles = dict(against) if against is not None else baseline_profiles(baseline)
    reporter = progress or NoProgress()
    plans = [_Plan(ds, _specs(ds), profiles.get(ds.name)) for ds in config.datasets.values()]
    by_name = {plan.ds.name: plan for plan in plans}
    for plan in plans:
        for other, key in plan.key_requests:
            if other in by_name:
                by_name[other].collect.add(key)
    threads = resolve_jobs(jobs)
    with (
        ThreadPoolExecutor(max_workers=1) as hashing,
        ThreadPoolExecutor(max_workers=threads) as pool,
        arrow_threads(threads),
    ):
        # the files' fingerprints on a thread of their own while they are read (one thread:
        # first, in this one)
        digest = hashing.submit if threads > 1 else _now
        hashes = {plan.ds.name: digest(fingerprint, plan.ds.path) for plan in plans}
        scanned = [_scan(plan, reporter, threads) for plan in plans]
        keysets = {
            (s.plan.ds.name, key): collector.finish()
            for s in scanned
            for key, collector in s.consumer.collectors.items()
        }
        each = pool.map if threads > 1 else map
        return tuple(
            _outcome(s, keysets, hashes[s.plan.ds.name], config.root, each) for s in scanned
        )


def _now(fn: Callable[[Path], str], path: Path) -> Future[str]:
    """``fn(path)`` computed now, as a finished future (its error raised by ``result()``)."""
    done: Future[str] = Future()
    try:
        done.set_result(fn(path))
    except Exception as exc:  # raised where the value is used, after the scan's own errors
        done.set_exception(exc)
    return done


def baseline_profiles(baseline: Record | None) -> dict[str, Mapping[str, Any]]:
    """The baseline record's profile of each dataset (datasets without one are left out)."""
    if baseline is None:
        return {}
    found = {}
    for name, entry in baseline.datasets.items():
        profile = entry.get("profile") if isinstance(entry, Mapping) else None
        if isinstance(profile, Mapping) and "columns" in profile and "rows" in profile:
            found[name] = profile
    return found


def _specs(ds: DatasetConfig) -> list[Mapping[str, Any]]:
    specs: list[Mapping[str, Any]] = list(load_schema_file(ds.schema)) if ds.schema else []
    specs.extend(ds.checks)
    return specs


class _Plan:
    """What to do with one dataset: its checks, its baseline, the keys others need from it."""

    def __init__(
        self, ds: DatasetConfig, specs: list[Mapping[str, Any]], base: Mapping[str, Any] | None
    ) -> None:
        self.ds = ds
        self.specs = specs
        self.base = base
        suite = CheckSuite(ds.name, specs)  # invalid checks fail before any file is read
        self.key_requests = suite.key_requests
        self.text_columns = suite.text_columns
        self.collect: set[tuple[str, ...]] = set()

    @property
    def drifting(self) -> bool:
        return self.base is not None and self.ds.drift.enabled

    def types(self) -> dict[str, pa.DataType]:
        """Columns read as text (CSV only: text checks need the text as written)."""
        if (self.ds.format or _suffix_format(self.ds.path)) != "csv":
            return {}
        return {name: pa.string() for name in self.text_columns}


def _suffix_format(path: Path) -> str | None:
    from mlci.config import format_from_suffix

    return format_from_suffix(path)


class _Consumer:
    """Everything one scan feeds, in lanes: one per column (its profile, its drift counts,
    the checks of that column alone) and one for the checks and key collectors that read
    several columns. Lanes share nothing but the batch's views, whose derived arrays are
    pure, so they can be fed on different threads in any interleaving."""

    def __init__(
        self,
        profiler: Profiler,
        suite: CheckSuite,
        drift: DriftScan | None,
        collectors: dict[tuple[str, ...], KeyCollector],
    ) -> None:
        self.profiler = profiler
        self.suite = suite
        self.drift = drift
        self.collectors = collectors
        self.rows = 0
        self.single: dict[str, list[Runner]] | None = None
        self.shared: list[Runner] = []

    def jobs(self, batch: pa.RecordBatch) -> dict[str | None, Callable[[], None]]:
        """The work of one batch, by lane (None: the lane of several columns)."""
        views = views_of(batch, self.rows)
        if self.single is None:
            self.single, self.shared = self.suite.by_column(views)
            if self.drift is not None:
                self.drift.start(views)
        self.profiler.add_columns(views)
        self.profiler.rows += batch.num_rows
        self.rows += batch.num_rows
        jobs: dict[str | None, Callable[[], None]] = {
            name: partial(self._column, name, view, views) for name, view in views.items()
        }
        if self.shared or self.collectors:
            jobs[None] = partial(self._several, views)
        return jobs

    def _column(self, name: str, view: ColumnView, views: Mapping[str, ColumnView]) -> None:
        self.profiler.columns[name].update(view)
        for runner in (self.single or {}).get(name, ()):
            runner.update(views)
        if self.drift is not None:
            self.drift.update_column(name, view)

    def _several(self, views: Mapping[str, ColumnView]) -> None:
        for runner in self.shared:
            runner.update(views)
        for collector in self.collectors.values():
            collector.update(views)


@dataclass
class _Scanned:
    plan: _Plan
    consumer: _Consumer
    source: Source
    types: dict[str, pa.DataType] = field(default_factory=dict)


def _scan(plan: _Plan, progress: Progress, threads: int) -> _Scanned:
    """One pass over a dataset; with more than one thread, the file is parsed ahead on one
    and the lanes of each batch run side by side on ``threads`` others."""
    ds = plan.ds
    lanes: Lanes[str | None] | None = None

    def start(source: Source) -> _Consumer:
        nonlocal lanes
        if lanes is not None:  # a restart after a schema change: drop the old consumer's work
            lanes.close()
        lanes = Lanes(threads) if threads > 1 else None
        progress.start(ds.name, source.progress.bytes_total)
        drift = DriftScan(plan.base, ds.drift) if plan.drifting and plan.base else None
        collectors = {key: KeyCollector(key) for key in plan.collect}
        return _Consumer(Profiler(), CheckSuite(ds.name, plan.specs), drift, collectors)

    def feed(consumer: _Consumer, batch: pa.RecordBatch) -> None:
        jobs = consumer.jobs(batch)
        if lanes is None:
            for job in jobs.values():
                job()
        else:
            lanes.submit(jobs)
        progress.update(consumer.rows, sources[-1].progress.bytes_read)

    sources: list[Source] = []
    try:
        consumer, source = scan(
            ds,
            start,
            feed,
            types=plan.types(),
            on_source=sources.append,
            read_ahead=READ_AHEAD if threads > 1 else 0,
            threads=threads > 1,
        )
        if lanes is not None:
            lanes.finish()
    finally:
        if lanes is not None:
            lanes.close()
        progress.finish()
    return _Scanned(plan, consumer, source, dict(source.types))


def _outcome(
    s: _Scanned,
    keysets: Mapping[KeyRef, np.ndarray | MissingKey],
    digest: Future[str],
    root: Path,
    each: ColumnMap = map,
) -> DatasetOutcome:
    ds, plan = s.plan.ds, s.plan
    profile = s.consumer.profiler.finish(each=each)
    ctx = FinishContext(profile, _fetcher(ds, s.types), plan.base, dict(keysets))
    checks = s.consumer.suite.finish(ctx)
    checks = rename_hints(checks, plan.base, profile)
    if plan.drifting:
        checks.extend(column_changes(ds.name, plan.base, profile, ds.drift))
        checks.extend(drift_results(ds.name, plan.base, profile, ds.drift, s.consumer.drift))
    summary = DatasetSummary(
        ds.name,
        _display_path(ds.path, root),
        int(profile["rows"]),
        len(profile["columns"]),
        digest.result(),
    )
    return DatasetOutcome(summary, profile, tuple(checks))


def rename_hints(
    results: list[CheckResult], base: Mapping[str, Any] | None, current: Mapping[str, Any]
) -> list[CheckResult]:
    """Add "renamed?" to a missing column whose baseline profile matches a new column's."""
    if base is None:
        return results
    new = [r.column for r in results if r.check == "new_column" and r.status != "pass" and r.column]
    out = []
    for r in results:
        old = r.column
        if r.check == "missing_column" and r.status in ("fail", "warn") and old in base["columns"]:
            match = next(
                (n for n in new if same_signature(base["columns"][old], current["columns"][n])),
                None,
            )
            if match is not None:
                hint = f" It may have been renamed to `{match}` (same profile as in the baseline)."
                r = dataclasses.replace(r, message=r.message + hint)
        out.append(r)
    return out


def _fetcher(ds: DatasetConfig, types: Mapping[str, pa.DataType]) -> Any:
    """Rows of the file read again, only the given columns (for a few examples)."""

    def fetch(columns: Sequence[str], rows: Sequence[int]) -> dict[int, tuple[Any, ...]]:
        wanted = np.asarray(sorted(set(rows)), dtype=np.int64)
        found: dict[int, tuple[Any, ...]] = {}
        source = Source(ds, types=dict(types), columns=list(columns))
        offset = 0
        for batch in source.batches():
            lo, hi = np.searchsorted(wanted, [offset, offset + batch.num_rows])
            if hi > lo:
                picked = batch.select(list(columns)).take(A.indices(wanted[lo:hi] - offset))
                for row, values in zip(wanted[lo:hi], picked.to_pylist(), strict=True):
                    found[int(row)] = tuple(values[c] for c in columns)
            offset += batch.num_rows
            if len(found) == len(wanted):
                break
        return found

    return fetch


def _display_path(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
