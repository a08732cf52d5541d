"""Profiles on Spark: mlci's profiler on every partition, merged on the executors.

Two entry points (``pip install 'mlci[spark]'``; on a cluster whose Spark already has PySpark,
plain ``pip install mlci`` on the driver and every executor): :func:`profile_dataframe` for
any DataFrame, and :func:`profile_files` for Parquet files, which the executors read
themselves with pyarrow (no JVM reading and converting every row: 2.5-2.8 times less CPU).

:func:`profile_dataframe`: each partition is profiled where it lives, from the Arrow
record batches Spark hands Python (``mapInArrow``: no pandas, so integers stay integers and
nulls stay nulls), into an unfinished piece (:meth:`mlci.data.profile.Profiler.piece`).
The pieces merge in a tree on the executors, ``fan_in`` at a time, so the driver only
receives and merges the last few, whatever the number of partitions; the one final
compaction gives the profile one process would compute from the whole (see
:mod:`mlci.data.profile` for what is exact).

The result is the profile `mlci profile` writes: ``{"train": profile}`` saved as JSON is a
reference for `mlci validate --against`, a source for `mlci schema infer`, and the format
records keep. docs/spark.md has the recipe for local mode and clusters.

:func:`profile_files`: the driver reads the files' footers and deals their row groups out to
``tasks`` tasks (balanced by rows); each task reads its row groups as `mlci profile` reads a
file and profiles them into a piece; the pieces merge with ``treeReduce``.
"""

from __future__ import annotations

import glob
import heapq
import itertools
import json
import math
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from mlci.data.columns import column_kind
from mlci.data.profile import Profiler
from mlci.data.read import BATCH_ROWS as READ_ROWS
from mlci.data.read import normalise, parquet_columns

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

Unit = tuple[str, int, int]  # (file, row group, rows)

PIECE_SCHEMA = "piece string"  # one row per partition: its piece as JSON
BATCH_ROWS = 131_072  # Spark sends 10,000-row batches by default: profile bigger ones
BATCH_BYTES = 64 << 20
ARROW_BATCH = "spark.sql.execution.arrow.maxRecordsPerBatch"  # set to BATCH_ROWS for the job


def profile_dataframe(
    df: DataFrame, *, pieces: str | None = None, fan_in: int = 16
) -> dict[str, Any]:
    """The profile of a Spark DataFrame, computed on the executors.

    Parameters:
        df: any DataFrame (a table, files, a query). Every column is profiled under its name,
            as mlci profiles a file: numbers, text, booleans, dates and timestamps; decimals
            as numbers, nested values as JSON text.
        pieces: also write each partition's piece under this path (a folder that must not
            exist yet; any URI Spark writes to, e.g. ``s3://bucket/pieces/train``) as text
            files of one JSON piece per line, for ``mlci profile merge PATH/part-* --name
            NAME``. An empty partition writes no piece (Spark may leave an empty file, which
            the merge skips).
        fan_in: how many pieces one executor task merges at each level of the tree (the
            driver merges at most this many at the end).

    Returns:
        The profile, as `mlci profile` computes it for a file of the same rows:
        ``{"profile_version": 2, "rows": n, "columns": {name: column_profile}}``, JSON-safe.

    Raises:
        ValueError: ``fan_in`` is not a whole number of at least 2, or two columns share a
            name.

    Example:
        >>> from mlci.spark import profile_dataframe
        >>> profile = profile_dataframe(spark.read.parquet("data/train"))  # doctest: +SKIP
        >>> Path("train.json").write_text(json.dumps({"train": profile}))  # doctest: +SKIP
    """
    if isinstance(fan_in, bool) or not isinstance(fan_in, int) or fan_in < 2:
        raise ValueError(
            f"The 'fan_in' of profile_dataframe must be an integer >= 2. Got {fan_in!r}."
        )
    _check_names(df.columns)
    level = df.mapInArrow(profile_partition, PIECE_SCHEMA)
    count = _partitions(df)
    cached = pieces is not None or count is None
    if cached:  # computed once, for the files and the count as well as the merge
        level = level.persist()
    batch_rows = _set_conf(df.sparkSession, ARROW_BATCH, str(BATCH_ROWS))
    try:
        if pieces is not None:
            level.write.text(pieces)
        if count is None:
            count = level.count()
        merged = _empty_profiler(df)
        for row in _tree(level, count, fan_in).collect():
            merged.merge(Profiler.from_piece(json.loads(row.piece)))
        return merged.finish()
    finally:
        _set_conf(df.sparkSession, ARROW_BATCH, batch_rows)
        if cached:
            level.unpersist()


def _set_conf(spark: SparkSession, key: str, value: str | None) -> str | None:
    """Set (None: unset) a session's setting; returns what it was (None: unset)."""
    was = spark.conf.get(key, None)
    if value is None:
        spark.conf.unset(key)
    else:
        spark.conf.set(key, value)
    return was


def profile_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """``mapInArrow``: the piece of one partition (no row for an empty partition)."""
    profiler = Profiler()
    for batch in _rebatched(batches):
        profiler.update_batch(normalise(batch))
    if profiler.rows:
        yield _piece_batch(profiler)


def merge_pieces(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """``mapInArrow``: the pieces of one partition merged into one."""
    merged = Profiler()
    for batch in batches:
        for text in batch.column(0).to_pylist():
            merged.merge(Profiler.from_piece(json.loads(text)))
    if merged.rows:
        yield _piece_batch(merged)


def _partitions(df: DataFrame) -> int | None:
    """The number of partitions (at most one piece each), or None where Spark does not say
    without running the job (Spark Connect has no RDD API)."""
    try:
        return int(df.rdd.getNumPartitions())
    except Exception:  # whatever a client without the RDD API raises
        return None


def _tree(level: DataFrame, count: int, fan_in: int) -> DataFrame:
    """Merge ``count`` pieces ``fan_in`` at a time on the executors until ``fan_in`` remain."""
    while count > fan_in:
        count = math.ceil(count / fan_in)
        level = level.repartition(count).mapInArrow(merge_pieces, PIECE_SCHEMA)
    return level


def _rebatched(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The batches joined into ones of about ``BATCH_ROWS`` rows (or ``BATCH_BYTES``): each
    batch costs a fixed amount per column, whatever its size."""
    held: list[pa.RecordBatch] = []
    rows = size = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        held.append(batch)
        rows, size = rows + batch.num_rows, size + batch.nbytes
        if rows >= BATCH_ROWS or size >= BATCH_BYTES:
            yield _joined(held)
            held, rows, size = [], 0, 0
    if held:
        yield _joined(held)


def _joined(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(batches) == 1:
        return batches[0]
    table = pa.Table.from_batches(batches).combine_chunks()
    return table.to_batches()[0] if table.num_rows else batches[0]


def _piece_batch(profiler: Profiler) -> pa.RecordBatch:
    text = json.dumps(profiler.piece(), allow_nan=False, separators=(",", ":"))
    return pa.record_batch([pa.array([text], pa.string())], names=["piece"])


def _empty_profiler(df: DataFrame) -> Profiler:
    """A profiler of no rows with the DataFrame's columns, typed as their batches would be."""
    timezone = df.sparkSession.conf.get("spark.sql.session.timeZone")
    arrays = [pa.array([], _arrow_type(f.dataType, timezone)) for f in df.schema.fields]
    empty = pa.RecordBatch.from_arrays(arrays, names=list(df.columns))
    return Profiler.empty(normalise(empty).schema)


def _arrow_type(spark_type: Any, timezone: str | None) -> pa.DataType:
    """The Arrow type Spark hands Python for a column of ``spark_type``; text for the types
    mlci profiles as text (nested values, intervals, ...)."""
    from pyspark.sql import types as T  # pyspark: only with a DataFrame

    if isinstance(spark_type, T.DecimalType):
        return pa.decimal128(spark_type.precision, spark_type.scale)
    if isinstance(spark_type, T.TimestampType):
        return pa.timestamp("us", tz=timezone)
    plain = {
        T.ByteType: pa.int8(),
        T.ShortType: pa.int16(),
        T.IntegerType: pa.int32(),
        T.LongType: pa.int64(),
        T.FloatType: pa.float32(),
        T.DoubleType: pa.float64(),
        T.BooleanType: pa.bool_(),
        T.DateType: pa.date32(),
        T.TimestampNTZType: pa.timestamp("us"),
    }
    return next((t for kind, t in plain.items() if isinstance(spark_type, kind)), pa.string())


def _check_names(columns: list[str]) -> None:
    repeated = sorted(name for name, n in Counter(columns).items() if n > 1)
    if repeated:
        listed = ", ".join(repr(c) for c in repeated)
        raise ValueError(
            f"Two columns of the DataFrame are named {listed}: a profile needs distinct "
            "names. Rename them first (e.g. with DataFrame.toDF or withColumnRenamed)."
        )


# --- profile_files ------------------------------------------------------------------------


def profile_files(
    spark: SparkSession,
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    columns: Sequence[str] | None = None,
    tasks: int | None = None,
    pieces: str | None = None,
) -> dict[str, Any]:
    """The profile of Parquet files, read and profiled by the executors themselves.

    Faster than :func:`profile_dataframe` of ``spark.read.parquet(paths)`` for the same rows
    (Spark's JVM neither reads nor converts them); needs Spark's RDD API (not Spark Connect:
    use :func:`profile_dataframe` there) and, on every executor, read access to the files
    through pyarrow: local or shared paths, or URIs of a filesystem pyarrow knows
    (``s3://``, ``gs://``, ``hdfs://``, ``abfs://``) with credentials where the executors run.

    Parameters:
        spark: the session.
        paths: Parquet files, folders of them (every file below, except names starting with
            ``_`` or ``.``, as Spark reads a folder) or, for local paths, glob patterns; one
            or a list.
        columns: profile only these columns (only they are read); None: all.
        tasks: how many tasks read and profile (the row groups are dealt out among them,
            balanced by rows); None: Spark's default parallelism (the executor cores).
        pieces: also write each task's piece under this path, as :func:`profile_dataframe`
            does (a folder that must not exist yet; one JSON piece per line, for ``mlci
            profile merge PATH/part-* --name NAME``).

    Returns:
        The profile, as `mlci profile` computes it for one file of all the rows (and `mlci
        profile merge` of the files' pieces): the same dict as :func:`profile_dataframe`.

    Raises:
        ValueError: a session without the RDD API (Spark Connect), no Parquet file at a
            path, a file that is not Parquet, a column asked for that no file has, a column
            of different kinds in two files, or ``tasks`` not a whole number of at least 1.

    Example:
        >>> from mlci.spark import profile_files
        >>> profile = profile_files(spark, "data/train")  # doctest: +SKIP
    """
    if tasks is not None and (isinstance(tasks, bool) or not isinstance(tasks, int) or tasks < 1):
        raise ValueError(f"The 'tasks' of profile_files must be an integer >= 1. Got {tasks!r}.")
    context = _context(spark)
    files = _expand(paths)
    schema, units = _row_groups(files, columns)
    wanted = list(schema.names)
    dealt = _deal(units, tasks or context.defaultParallelism)
    work = context.parallelize(dealt or [[]], max(1, len(dealt)))
    found = work.mapPartitions(lambda bins: profile_row_groups(bins, wanted))
    if pieces is not None:  # computed once, for the files and the merge
        found = found.persist()
    try:
        if pieces is not None:
            found.map(_piece_line).saveAsTextFile(pieces)
        merged = Profiler.from_piece(found.treeReduce(merge_two)) if dealt else Profiler()
        return _in_order(merged, schema).finish()
    finally:
        if pieces is not None:
            found.unpersist()


def profile_row_groups(bins: Iterable[list[Unit]], columns: list[str]) -> Iterator[dict[str, Any]]:
    """``mapPartitions``: the piece of the row groups of a task (none if they hold no rows),
    read as `mlci profile` reads a file. Files of other columns than the one before are
    profiled apart and merged (a column a file lacks is null there)."""
    profiler, part, shape = Profiler(), Profiler(), None
    for units in bins:
        for path, group in itertools.groupby(units, key=lambda unit: unit[0]):
            file = _open(path)
            names = parquet_columns(file.schema_arrow)
            present = [c for c in columns if c in names]
            if present != shape:
                profiler.merge(part)
                part, shape = Profiler(), present
            groups = [unit[1] for unit in group]
            batches = file.iter_batches(batch_size=READ_ROWS, row_groups=groups, columns=present)
            for batch in batches:
                part.update_batch(normalise(batch))
    profiler.merge(part)
    if profiler.rows:
        yield profiler.piece()


def merge_two(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """``treeReduce``: two pieces merged into one."""
    merged = Profiler.from_piece(a)
    merged.merge(Profiler.from_piece(b))
    return merged.piece()


def _context(spark: SparkSession) -> Any:
    """The session's SparkContext, or a readable error where there is none (Spark Connect)."""
    try:
        return spark.sparkContext
    except Exception:  # whatever a client without the RDD API raises
        raise ValueError(
            "profile_files needs Spark's RDD API (spark.sparkContext), which this session "
            "(Spark Connect) does not have. Profile the files with "
            "profile_dataframe(spark.read.parquet(...)) instead."
        ) from None


def _in_order(merged: Profiler, schema: pa.Schema) -> Profiler:
    """``merged`` with every column of ``schema`` in its order (the order of the pieces'
    merges is Spark's); a column of no file with rows is all null, as Profiler.merge has it."""
    whole = Profiler.empty(schema)
    for name, column in whole.columns.items():
        if name in merged.columns:
            whole.columns[name] = merged.columns[name]
        else:
            column.nulls += merged.rows
    whole.rows = merged.rows
    return whole


def _piece_line(piece: dict[str, Any]) -> str:
    return json.dumps(piece, allow_nan=False, separators=(",", ":"))


def _expand(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[str]:
    """The Parquet files at ``paths``, each folder's sorted, as paths or URIs pyarrow opens."""
    given = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if not given:
        raise ValueError("profile_files needs at least one path. Got none.")
    files: list[str] = []
    for path in (os.fspath(p) for p in given):
        if "://" not in path and glob.has_magic(path):
            found = sorted(glob.glob(path))
            if not found:
                raise ValueError(f"No file matches {path!r}.")
            for match in found:
                files += _files_at(os.path.abspath(match))
        else:
            files += _files_at(path if "://" in path else os.path.abspath(path))
    return files


def _files_at(path: str) -> list[str]:
    from pyarrow import fs  # pyarrow's filesystems: only on the driver, when listing

    filesystem, where = _filesystem(path)
    info = filesystem.get_file_info(where)
    if info.type == fs.FileType.File:
        return [path]
    if info.type != fs.FileType.Directory:
        raise ValueError(f"No file or folder at {path!r}.")
    below = filesystem.get_file_info(fs.FileSelector(where, recursive=True))
    inside = sorted(i.path[len(where) :].strip("/") for i in below if i.type == fs.FileType.File)
    found = [f for f in inside if not any(part[:1] in "_." for part in f.split("/"))]
    if not found:
        raise ValueError(f"No data file in the folder {path!r}.")
    return [f"{path.rstrip('/')}/{f}" for f in found]


def _filesystem(path: str) -> tuple[Any, str]:
    from pyarrow import fs

    if "://" in path:
        filesystem, where = fs.FileSystem.from_uri(path)
        return filesystem, where.rstrip("/")
    return fs.LocalFileSystem(), path.rstrip("/") or "/"


def _open(path: str) -> Any:
    import pyarrow.parquet as pq  # Parquet: only where files are read

    filesystem, where = _filesystem(path)
    # as mlci's reader: no pre-buffering (memory bounded by the batch, not the row group)
    return pq.ParquetFile(filesystem.open_input_file(where), pre_buffer=False, buffer_size=1 << 20)


def _row_groups(files: list[str], columns: Sequence[str] | None) -> tuple[pa.Schema, list[Unit]]:
    """The schema to profile (columns as mlci's reader types them, first seen first) and every
    row group with rows; checks that each column is of one kind in every file."""
    fields: dict[str, tuple[pa.Field, str]] = {}
    units: list[Unit] = []
    for path in files:
        try:
            file = _open(path)
            meta = file.metadata
        except (pa.ArrowException, OSError) as e:
            raise ValueError(f"Cannot read {path!r} as Parquet ({str(e).strip()}).") from None
        names = parquet_columns(file.schema_arrow)
        empty = normalise(
            pa.RecordBatch.from_arrays(
                [pa.array([], file.schema_arrow.field(n).type) for n in names], names=names
            )
        )
        for field in empty.schema:
            if columns is not None and field.name not in columns:
                continue
            kind = column_kind(field.type)[0]
            seen = fields.setdefault(field.name, (field, path))
            if column_kind(seen[0].type)[0] != kind:
                raise ValueError(
                    f"Column {field.name!r} is {column_kind(seen[0].type)[0]} in {seen[1]!r} "
                    f"and {kind} in {path!r}: a profile needs one kind per column."
                )
        units += [(path, g, n) for g in range(meta.num_row_groups) if (n := _group_rows(meta, g))]
    missing = [c for c in columns or [] if c not in fields]
    if missing:
        raise ValueError(f"No file has the column(s) {', '.join(map(repr, missing))}.")
    order = list(columns) if columns is not None else list(fields)
    return pa.schema([fields[name][0] for name in order]), units


def _group_rows(meta: Any, group: int) -> int:
    return int(meta.row_group(group).num_rows)


def _deal(units: list[Unit], tasks: int) -> list[list[Unit]]:
    """The row groups dealt out to at most ``tasks`` bins of about equal rows (largest first,
    each to the emptiest bin), each bin in file order."""
    bins: list[list[Unit]] = [[] for _ in range(min(tasks, len(units)))]
    heap = [(0, i) for i in range(len(bins))]
    order = {unit: i for i, unit in enumerate(units)}
    for unit in sorted(units, key=lambda u: -u[2]):
        rows, i = heapq.heappop(heap)
        bins[i].append(unit)
        heapq.heappush(heap, (rows + unit[2], i))
    return [sorted(b, key=order.__getitem__) for b in bins]
