"""The data side of a monitoring run: production rows checked and compared like a PR's dataset.

The production rows stand in for a configured dataset (``monitor.data.<name>``): that dataset's
checks and schema file apply, its drift settings compare the rows with the **release record's**
profile of it, and the result is a :class:`mlci.data.stage.DatasetOutcome` like a PR run's.

The rows may be many files (a day of logs in Parquet partitions, :mod:`mlci.monitor.sources`):
they are read as **one stream** of record batches, file after file, through the data stage's
own readers, profiler, check suite and drift counters, so memory stays bounded by the batch
size and every check sees the whole day (a duplicate id in two partitions is a duplicate). The
partitions' columns are unified first: a column missing from a partition is null there, and
Parquet types that differ between partitions (``int64`` in one, ``double`` in another) are
promoted as Arrow promotes them. Text files take the first file's column types, widened for
every file when a later one needs it (as :func:`mlci.data.read.scan` does within one file).

A profile computed elsewhere (``--profile NAME=FILE``: the Spark recipe of docs/data-at-scale.md,
or ``mlci profile merge`` of shards) can stand in for the rows: its drift is measured from the
two profiles alone (see :func:`profile_outcome`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mlci.config import DatasetConfig, DriftConfig
from mlci.data import arrays as A
from mlci.data.checks import CheckSuite, FinishContext
from mlci.data.drift import DriftScan, column_changes, drift_results
from mlci.data.profile import Profiler, views_of
from mlci.data.progress import NoProgress, Progress
from mlci.data.read import SchemaChange, Source, fingerprint, normalise
from mlci.data.schema_file import load_schema_file
from mlci.data.sketch import Quantiles
from mlci.data.stage import DatasetOutcome, rename_hints
from mlci.errors import DataError
from mlci.monitor.sources import Files
from mlci.results import DatasetSummary

_MAX_RESTARTS = 64


@dataclass(frozen=True)
class Monitored:
    """One monitored input: the dataset it stands in for and where its rows are."""

    dataset: DatasetConfig  # checks, schema and drift settings (drift severity as monitored)
    files: Files
    drop: frozenset[str] = frozenset()  # the served model's output columns: not data


def monitored_dataset(ds: DatasetConfig, severity: str) -> DatasetConfig:
    """``ds`` with drift past a fail threshold at ``severity`` (monitor.drift_severity)."""
    drift: DriftConfig = dataclasses.replace(ds.drift, severity=severity)  # type: ignore[arg-type]
    return dataclasses.replace(ds, drift=drift)


def run_monitor_data(
    monitored: Sequence[Monitored],
    release_profiles: Mapping[str, Mapping[str, Any]],
    *,
    progress: Progress | None = None,
) -> tuple[DatasetOutcome, ...]:
    """Profile, check and compare every monitored input with the release's profile of its
    dataset, one streaming pass each (see the module docstring).

    Raises:
        DataError: a file cannot be read, or the partitions' columns cannot be unified.
        ConfigError: a check of the dataset or its schema file is not valid.
    """
    reporter = progress or NoProgress()
    with ThreadPoolExecutor(max_workers=1) as pool:
        outcomes = []
        for item in monitored:
            digest = pool.submit(_fingerprint, item.files)
            base = release_profiles.get(item.dataset.name)
            outcomes.append(_outcome(item, _scan(item, base, reporter), base, digest))
        return tuple(outcomes)


def profile_outcome(
    ds: DatasetConfig, profile: Mapping[str, Any], base: Mapping[str, Any] | None, shown: str
) -> DatasetOutcome:
    """The outcome of a profile computed elsewhere standing in for the rows: drift from the two
    profiles, with the current values counted in the release's bins from the profile's own
    quantile sketch and value counts (within the sketch's rank error, see data-at-scale.md).
    Row checks need the rows, so only drift and column changes are reported."""
    checks = []
    if base is not None and ds.drift.enabled:
        scan = _scan_from_profile(base, profile, ds.drift)
        checks += column_changes(ds.name, base, profile, ds.drift)
        checks += drift_results(ds.name, base, profile, ds.drift, scan)
    summary = DatasetSummary(
        ds.name, shown, int(profile["rows"]), len(profile["columns"]), _profile_digest(profile)
    )
    return DatasetOutcome(summary, dict(profile), tuple(checks))


# -- one stream over the partitions ------------------------------------------------------------


@dataclass
class _Consumer:
    profiler: Profiler
    suite: CheckSuite
    drift: DriftScan | None
    rows: int = 0
    offsets: list[tuple[Path, int, int]] = field(default_factory=list)  # file, first row, rows


@dataclass
class _Scanned:
    consumer: _Consumer
    types: dict[str, pa.DataType]
    schema: pa.Schema


def _specs(ds: DatasetConfig) -> list[Mapping[str, Any]]:
    specs: list[Mapping[str, Any]] = list(load_schema_file(ds.schema)) if ds.schema else []
    specs.extend(ds.checks)
    return specs


def _scan(item: Monitored, base: Mapping[str, Any] | None, progress: Progress) -> _Scanned:
    ds, files = item.dataset, item.files
    specs = _specs(ds)
    fixed = _text_types(ds, files, specs)
    target = _parquet_schema(files, item.drop) if files.format == "parquet" else None
    for _ in range(_MAX_RESTARTS):
        drift = DriftScan(base, ds.drift) if base is not None and ds.drift.enabled else None
        consumer = _Consumer(Profiler(), CheckSuite(ds.name, specs), drift)
        progress.start(ds.name, files.bytes)
        try:
            schema = _feed_all(item, consumer, fixed, target, progress)
        except SchemaChange as change:
            fixed.update(change.types)
            continue
        finally:
            progress.finish()
        if consumer.rows == 0:
            raise DataError(
                f"Dataset '{ds.name}' (monitored): the {len(files.paths)} file(s) at "
                f"{files.shown!r} hold no rows. Expected at least one."
            )
        return _Scanned(consumer, fixed, schema)
    raise DataError(f"Dataset '{ds.name}' (monitored): the column types keep changing.")


def _feed_all(
    item: Monitored,
    consumer: _Consumer,
    fixed: dict[str, pa.DataType],
    target: pa.Schema | None,
    progress: Progress,
) -> pa.Schema:
    """Feed every batch of every file to ``consumer``; the unified schema of the stream."""
    done_bytes = 0
    for path in item.files.paths:
        source = _source(item, path, fixed)
        first_row = consumer.rows
        for raw in source.batches():
            batch = _without(raw, item.drop)
            if target is None:
                target = batch.schema
                fixed.update(_as_types(target))
            batch = _conform(batch, target, item, path)
            views = views_of(batch, consumer.rows)
            consumer.profiler.update(views)
            consumer.suite.update(views)
            if consumer.drift is not None:
                consumer.drift.update(views)
            consumer.rows += batch.num_rows
            progress.update(consumer.rows, done_bytes + source.progress.bytes_read)
        consumer.offsets.append((path, first_row, consumer.rows - first_row))
        done_bytes += source.progress.bytes_total
    if target is None:  # only empty files
        raise DataError(
            f"Dataset '{item.dataset.name}' (monitored): the files at {item.files.shown!r} "
            "hold no rows. Expected at least one."
        )
    return target


def _source(
    item: Monitored,
    path: Path,
    types: Mapping[str, pa.DataType],
    columns: Sequence[str] | None = None,
) -> Source:
    cfg = dataclasses.replace(item.dataset, path=path, format=item.files.format)
    if item.files.format == "parquet":
        types = {}
    return Source(cfg, types=dict(types), columns=columns)


def _text_types(
    ds: DatasetConfig, files: Files, specs: Sequence[Mapping[str, Any]]
) -> dict[str, pa.DataType]:
    """Columns read as text from CSV (text checks need the text as written)."""
    if files.format != "csv":
        return {}
    return {name: pa.string() for name in CheckSuite(ds.name, specs).text_columns}


def _as_types(schema: pa.Schema) -> dict[str, pa.DataType]:
    return {f.name: f.type for f in schema}


def _without(batch: pa.RecordBatch, drop: frozenset[str]) -> pa.RecordBatch:
    present = [n for n in batch.schema.names if n in drop]
    return batch.drop_columns(present) if present else batch


def _parquet_schema(files: Files, drop: frozenset[str]) -> pa.Schema:
    """The partitions' schemas unified (missing columns allowed, numbers promoted), as the
    readers normalise them."""
    schemas = []
    for path in files.paths:
        try:
            schemas.append(pq.read_schema(path))
        except (pa.ArrowException, OSError) as exc:
            raise DataError(
                f"Cannot read {path} as Parquet ({str(exc).splitlines()[0]}). Check that it is a "
                "complete Parquet file."
            ) from None
    try:
        unified = pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise DataError(
            f"The partitions at {files.shown!r} have columns of incompatible types "
            f"({str(exc).splitlines()[0]}). Write every partition with the same schema."
        ) from None
    unified = pa.schema([f for f in unified if f.name not in {"__index_level_0__", *drop}])
    empty = pa.RecordBatch.from_pylist([], schema=unified)
    return normalise(empty).schema


def _conform(
    batch: pa.RecordBatch, target: pa.Schema, item: Monitored, path: Path
) -> pa.RecordBatch:
    """``batch`` with ``target``'s columns and types (missing columns null)."""
    if batch.schema.equals(target):
        return batch
    extra = [n for n in batch.schema.names if target.get_field_index(n) < 0]
    if extra:
        raise DataError(
            f"Dataset '{item.dataset.name}' (monitored): {path} has column(s) "
            f"{', '.join(extra[:5])} that the first file at {item.files.shown!r} has not. "
            "Write every file with the same columns."
        )
    arrays = []
    for f in target:
        index = batch.schema.get_field_index(f.name)
        if index < 0:
            arrays.append(pa.nulls(batch.num_rows, f.type))
            continue
        column = batch.column(index)
        try:
            arrays.append(column if column.type.equals(f.type) else pc.cast(column, f.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise DataError(
                f"Dataset '{item.dataset.name}' (monitored): column {f.name!r} of {path} is "
                f"{column.type}, elsewhere {f.type}, and cannot be converted "
                f"({str(exc).splitlines()[0]})."
            ) from None
    return pa.RecordBatch.from_arrays(arrays, schema=target)


# -- the outcome ----------------------------------------------------------------------------------


def _outcome(
    item: Monitored, scanned: _Scanned, base: Mapping[str, Any] | None, digest: Future[str]
) -> DatasetOutcome:
    ds, consumer = item.dataset, scanned.consumer
    profile = consumer.profiler.finish()
    fetch = _fetcher(item, scanned)
    checks = consumer.suite.finish(FinishContext(profile, fetch, base, {}))
    checks = rename_hints(checks, base, profile)
    if base is not None and ds.drift.enabled:
        checks.extend(column_changes(ds.name, base, profile, ds.drift))
        checks.extend(drift_results(ds.name, base, profile, ds.drift, consumer.drift))
    summary = DatasetSummary(
        ds.name, item.files.shown, int(profile["rows"]), len(profile["columns"]), digest.result()
    )
    return DatasetOutcome(summary, profile, tuple(checks))


def _fetcher(item: Monitored, scanned: _Scanned) -> Any:
    """Rows read again by their index in the stream, only the given columns (examples)."""

    def fetch(columns: Sequence[str], rows: Sequence[int]) -> dict[int, tuple[Any, ...]]:
        found: dict[int, tuple[Any, ...]] = {}
        wanted = np.asarray(sorted(set(rows)), dtype=np.int64)
        for path, first, count in scanned.consumer.offsets:
            lo, hi = np.searchsorted(wanted, [first, first + count])
            if hi > lo:
                found.update(
                    _rows_of(item, scanned, path, list(columns), wanted[lo:hi] - first, first)
                )
        return found

    return fetch


def _rows_of(
    item: Monitored,
    scanned: _Scanned,
    path: Path,
    columns: list[str],
    local: np.ndarray,
    first: int,
) -> dict[int, tuple[Any, ...]]:
    present = [c for c in columns if c in _file_columns(item, path, scanned)]
    source = _source(item, path, scanned.types, present)
    found: dict[int, tuple[Any, ...]] = {}
    offset = 0
    for batch in source.batches():
        lo, hi = np.searchsorted(local, [offset, offset + batch.num_rows])
        if hi > lo:
            picked = batch.take(A.indices(local[lo:hi] - offset)).to_pylist()
            for row, values in zip(local[lo:hi], picked, strict=True):
                found[int(row) + first] = tuple(values.get(c) for c in columns)
        offset += batch.num_rows
        if offset > local[-1]:
            break
    return found


def _file_columns(item: Monitored, path: Path, scanned: _Scanned) -> set[str]:
    if item.files.format != "parquet":
        return set(scanned.schema.names)
    return set(pq.read_schema(path).names)


def _fingerprint(files: Files) -> str:
    """``sha256:`` over the files' own fingerprints, in read order: a day of logs changes it."""
    if len(files.paths) == 1:
        return fingerprint(files.paths[0])
    h = hashlib.sha256()
    for path in files.paths:
        h.update(f"{path.name}\0{fingerprint(path)}\n".encode())
    return f"sha256:{h.hexdigest()}"


def _profile_digest(profile: Mapping[str, Any]) -> str:
    text = json.dumps(profile, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- drift from a profile alone ----------------------------------------------------------------


def _scan_from_profile(
    base: Mapping[str, Any], current: Mapping[str, Any], cfg: DriftConfig
) -> DriftScan:
    """A :class:`DriftScan` filled from the current profile instead of its rows."""
    scan = DriftScan(base, cfg)
    scan.update(_empty_views(current))  # the columns a scan of the rows would count, at 0
    for name, counts in scan.bins.items():
        counts += _bin_counts_from_profile(current["columns"][name], base["columns"][name])
    for name, categories in scan.categories.items():
        _count_categories(categories, current["columns"][name])
    return scan


class _EmptyView:
    """A column of no rows, of the profile's kind: what :meth:`DriftScan.update` reads."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.finite_sorted = np.zeros(0, dtype=np.float64)
        self.value_counts = (pa.array([], pa.string()), np.zeros(0, dtype=np.int64))


def _empty_views(profile: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _EmptyView(str(col["kind"])) for name, col in profile["columns"].items()}


def _bin_counts_from_profile(column: Mapping[str, Any], base: Mapping[str, Any]) -> np.ndarray:
    """Finite values per release bin ``(-inf, e1], (e1, e2], ..., (e_last, inf)``, from the
    profile's exact value counts when it has them, else from its quantile sketch."""
    edges = np.asarray([float(e) for e in base["bins"]["edges"]], dtype=np.float64)
    sketch = _quantiles(column)
    if sketch is None:
        return np.zeros(len(edges) + 1, dtype=np.int64)
    items, weights = sketch.values()
    if len(items) == 0:
        return np.zeros(len(edges) + 1, dtype=np.int64)
    at = np.searchsorted(items, edges, side="right")  # items <= each edge
    below = np.where(at > 0, weights[np.maximum(at - 1, 0)], 0)
    cumulative = np.concatenate([[0], below, [weights[-1]]])
    return np.diff(cumulative).astype(np.int64)


def _quantiles(column: Mapping[str, Any]) -> Quantiles | None:
    """The column's quantile sketch, or exact ranks from its complete value counts."""
    values = column.get("values")
    if values and values.get("complete") and values.get("counts"):
        keys = np.asarray([float(k) for k, _ in values["counts"]])
        counts = np.asarray([int(c) for _, c in values["counts"]], dtype=np.int64)
        return Quantiles.from_counts(keys, counts)
    stored = (column.get("sketch") or {}).get("quantiles")
    return Quantiles.from_json(stored) if stored is not None else None


def _count_categories(categories: Any, column: Mapping[str, Any]) -> None:
    values = column.get("values") or {}
    counts = {str(k): int(c) for k, c in values.get("counts", [])}
    for i, label in enumerate(categories.labels):
        categories.counts[i] += counts.get(label, 0)
    if categories.known is not None and values.get("complete"):
        known = set(categories.known.to_pylist())
        for key, count in counts.items():
            if key not in known:
                categories.unseen += count
                categories.unseen_values[key] = categories.unseen_values.get(key, 0) + count
