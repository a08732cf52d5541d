"""Profiles of Spark DataFrames: mlci's profiler on every partition, merged on the executors.

:func:`profile_dataframe` is the one entry point (``pip install 'mlci[spark]'``; on a cluster
whose Spark already has PySpark, plain ``pip install mlci`` on the driver and every executor).
Each partition is profiled where it lives, from the Arrow record batches Spark hands Python
(``mapInArrow``: no pandas, so integers stay integers and nulls stay nulls), into an
unfinished piece (:meth:`mlci.data.profile.Profiler.piece`). The pieces merge in a tree on
the executors, ``fan_in`` at a time, so the driver only receives and merges the last few,
whatever the number of partitions; the one final compaction gives the profile one process
would compute from the whole (see :mod:`mlci.data.profile` for what is exact).

The result is the profile `mlci profile` writes: ``{"train": profile}`` saved as JSON is a
reference for `mlci validate --against`, a source for `mlci schema infer`, and the format
records keep. docs/spark.md has the recipe for local mode and clusters.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from mlci.data.profile import Profiler
from mlci.data.read import normalise

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

PIECE_SCHEMA = "piece string"  # one row per partition: its piece as JSON
BATCH_ROWS = 131_072  # Spark sends 10,000-row batches by default: profile bigger ones
BATCH_BYTES = 64 << 20


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
        if cached:
            level.unpersist()


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
