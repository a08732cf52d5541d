"""Reading datasets (CSV, Parquet, JSON lines) as a stream of Arrow record batches.

A :class:`Source` yields record batches of one fixed schema, holding one batch at a time, so
memory is bounded by the batch size, not the file size: CSV through pyarrow's streaming
reader (blocks of :data:`BLOCK_BYTES`), Parquet by row batches, JSON lines in byte blocks
split at newlines. Every problem with the file itself (missing, unknown format, corrupt,
ragged, not UTF-8, empty) becomes a one-line :class:`~mlci.errors.DataError` naming the
dataset, the file and what to do.

Types are inferred from the first block. When a later block needs a wider type (a column of
integers that turns out to hold ``1.5`` or ``n/a`` further down), the source raises
:class:`SchemaChange`; :func:`scan` then starts over with that column's type fixed, so every
batch of a scan has the same schema.

:func:`read_dataset` reads a whole file into a pandas DataFrame, for the model stage.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import pyarrow as pa

from mlci.bounded import DocumentError, parse_json
from mlci.config import DatasetConfig
from mlci.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

Format = Literal["csv", "parquet", "jsonl"]

SUFFIX_FORMATS: dict[str, Format] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}

BLOCK_BYTES = 4 << 20  # CSV and JSON lines are parsed in blocks of this many bytes (memory:
# pyarrow holds about 40 blocks of CSV in flight, so 4 MB keeps a scan under ~300 MB)
BATCH_ROWS = 131_072  # Parquet rows per batch
WHOLE_CSV_BYTES = 32 << 20  # a CSV file up to this size is parsed at once, on every thread
_CHUNK = 1 << 20
_MAX_RESTARTS = 64

# what pandas reads as missing, so CSV files mean the same as before
NULL_VALUES = (
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
)


class SchemaChange(Exception):
    """A later block needs other column types than the first: scan again with ``types``."""

    def __init__(self, types: Mapping[str, pa.DataType]) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in types.items()))
        self.types = dict(types)


@dataclass
class Progress:
    """How far a source has read (updated as batches are yielded)."""

    rows: int = 0
    bytes_read: int = 0
    bytes_total: int = 0


@dataclass
class Source:
    """One dataset file, read as record batches of one schema (see the module docstring).

    Parameters:
        types: column types to use instead of inferring them (after a :class:`SchemaChange`,
            or to read a column as text).
        columns: read only these columns (None: all).
    """

    cfg: DatasetConfig
    types: Mapping[str, pa.DataType] = field(default_factory=dict)
    columns: Sequence[str] | None = None
    block_bytes: int = BLOCK_BYTES
    batch_rows: int = BATCH_ROWS
    threads: bool = True  # let Arrow parse and decode on its thread pool
    progress: Progress = field(default_factory=Progress)
    where: _Where = field(init=False)
    format: Format = field(init=False)

    def __post_init__(self) -> None:
        self.where = _Where(self.cfg.name, self.cfg.path)
        self.format = _check_file(self.cfg, self.where)
        self.progress.bytes_total = self.cfg.path.stat().st_size

    def batches(self) -> Generator[pa.RecordBatch, None, None]:
        """The record batches, in file order. Raises DataError or SchemaChange.

        Text formats are parsed in blocks of ``block_bytes`` and handed on in batches of about
        ``batch_rows`` rows (consecutive blocks joined), as Parquet's are: fewer, larger
        batches cost the consumers less per row.
        """
        reader = _READERS[self.format](self)
        if self.format != "parquet":
            reader = _joined(reader, self.batch_rows)
        for batch in reader:
            if batch.num_columns == 0 and batch.num_rows:
                raise self.where.error(
                    f"{self.where.shown} has no columns. Expected at least one named column."
                )
            self.progress.rows += batch.num_rows
            yield batch


def _joined(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Consecutive batches joined into batches of at least ``rows`` rows (the last may have
    fewer); a batch that is large enough on its own is passed on as it is."""
    waiting: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        if not waiting and batch.num_rows >= rows:
            yield batch
            continue
        waiting.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield _join(waiting)
            waiting, count = [], 0
    if waiting:
        yield _join(waiting)


def _join(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


T = TypeVar("T")


def scan(
    cfg: DatasetConfig,
    start: Callable[[Source], T],
    feed: Callable[[T, pa.RecordBatch], None],
    *,
    types: Mapping[str, pa.DataType] | None = None,
    on_source: Callable[[Source], None] | None = None,
    block_bytes: int = BLOCK_BYTES,
    batch_rows: int = BATCH_ROWS,
    read_ahead: int = 0,
    threads: bool = True,
) -> tuple[T, Source]:
    """Feed every batch of the dataset to a consumer made by ``start``; start over on a
    :class:`SchemaChange` with a fresh consumer. Returns the consumer and the source.

    Parameters:
        read_ahead: parse the file on a worker thread, at most this many batches ahead of
            ``feed`` (0: parse on the caller's thread, between calls of ``feed``).
        threads: let Arrow use its thread pool to parse and decode (False: one thread).

    Raises:
        DataError: the file cannot be read, or has no rows or no columns.
    """
    from mlci.data.parallel import read_ahead as ahead

    fixed = dict(types or {})
    for _ in range(_MAX_RESTARTS):
        source = Source(
            cfg, types=fixed, block_bytes=block_bytes, batch_rows=batch_rows, threads=threads
        )
        if on_source is not None:
            on_source(source)
        consumer = start(source)
        batches = source.batches()
        stream = ahead(batches, read_ahead) if read_ahead else batches
        try:
            for batch in stream:
                feed(consumer, batch)
        except SchemaChange as change:
            fixed.update(change.types)
            continue
        finally:
            stream.close()
        if source.progress.rows == 0:
            raise source.where.error(
                f"{source.where.shown} has {_no_rows(source.format)}. {_NO_ROWS[source.format]}"
            )
        return consumer, source
    raise DataError(f"Dataset '{cfg.name}': the column types of {cfg.path} keep changing.")


def read_table(
    cfg: DatasetConfig,
    *,
    columns: Sequence[str] | None = None,
    types: Mapping[str, pa.DataType] | None = None,
) -> pa.Table:
    """The whole dataset as one Arrow table (same errors as :func:`scan`)."""

    def feed(found: list[pa.RecordBatch], batch: pa.RecordBatch) -> None:
        found.append(batch)

    def start(source: Source) -> list[pa.RecordBatch]:
        return []

    batches, _ = scan(cfg, start, feed, types=types)
    table = pa.Table.from_batches(batches)
    return table.select(list(columns)) if columns is not None else table


def read_dataset(cfg: DatasetConfig) -> pd.DataFrame:
    """Read the dataset described by ``cfg`` into memory as a pandas DataFrame.

    The format is ``cfg.format`` or, when that is None, the file's suffix (``.csv``,
    ``.parquet``/``.pq``, ``.jsonl``/``.ndjson``).

    Raises:
        DataError: the file is missing, of an unknown format, unreadable, or has no rows or
            no columns. The message is one line that names the dataset and the file.
    """
    return read_table(cfg, types=_dates_as_text(cfg)).to_pandas()


def _dates_as_text(cfg: DatasetConfig) -> dict[str, pa.DataType]:
    """Text files keep dates as text in the DataFrame, as pandas reads them (a model trained on
    ``pd.read_csv`` output expects strings there): the columns the first block infers as dates."""
    source = Source(cfg)
    if source.format == "parquet":
        return {}
    batches = source.batches()
    try:
        first = next(batches, None)
    except SchemaChange:
        first = None
    finally:
        batches.close()
    if first is None:
        return {}
    return {
        f.name: pa.string()
        for f in first.schema
        if pa.types.is_timestamp(f.type) or pa.types.is_date(f.type)
    }


def fingerprint(path: Path) -> str:
    """``"sha256:<hex>"`` of the file's bytes, read in chunks (any file size)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
    except FileNotFoundError:
        raise DataError(f"Cannot fingerprint {path}: file not found.") from None
    except OSError as e:
        raise DataError(f"Cannot fingerprint {path}: {e.strerror or e}.") from None
    return f"sha256:{digest.hexdigest()}"


class _Where:
    """The dataset and file a message is about."""

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path
        self.shown = _shown(path)

    def error(self, text: str) -> DataError:
        return DataError(f"Dataset '{self.name}': {text}")


_NONEMPTY: dict[Format, str] = {
    "csv": "a CSV file with a header row and at least one data row",
    "parquet": "a Parquet file with at least one row",
    "jsonl": "one JSON object per line",
}
_NO_ROWS: dict[Format, str] = {
    "csv": "Expected at least one row.",
    "parquet": "Expected at least one row.",
    "jsonl": "Expected one JSON object per line.",
}


def _no_rows(fmt: Format) -> str:
    return "no rows" if fmt == "jsonl" else "columns but no rows"


def _shown(path: Path) -> str:
    """The path relative to the working directory when it is below it (shorter messages)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return path.as_posix()


def _check_file(cfg: DatasetConfig, where: _Where) -> Format:
    if not cfg.path.exists():
        raise where.error(
            f"file not found: {where.shown}. Check `datasets.{cfg.name}.path` in mlci.yml."
        )
    if not cfg.path.is_file():
        raise where.error(f"{where.shown} is not a file. Point `datasets.{cfg.name}.path` at one.")
    fmt = cfg.format or _format_from_suffix(where)
    if cfg.path.stat().st_size == 0:
        raise where.error(f"{where.shown} is empty (0 bytes). Expected {_NONEMPTY[fmt]}.")
    return fmt


def _format_from_suffix(where: _Where) -> Format:
    suffix = where.path.suffix.lower()
    fmt = SUFFIX_FORMATS.get(suffix)
    if fmt is None:
        reason = f"from its suffix '{suffix}'" if suffix else "because it has no suffix"
        raise where.error(
            f"cannot tell the format of {where.shown} {reason}. Use a .csv, "
            f".parquet, .pq, .jsonl or .ndjson file, or set `datasets.{where.name}.format` "
            "to csv, parquet or jsonl."
        )
    return fmt


def _require_unique(where: _Where, names: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen and name != "":
            raise where.error(
                f"{what} the column '{name}' more than once. Give every column a unique name."
            )
        seen.add(name)


def _first_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0]


# --- CSV ---------------------------------------------------------------------------------

_CONVERSION = re.compile(
    r"In CSV column #(\d+): (?:Row #\d+: )?CSV conversion error to ([\w\[\], ]+?): "
    r"invalid value '(.*)'",
    re.DOTALL,
)


def _read_csv(source: Source) -> Iterator[pa.RecordBatch]:
    import pyarrow.csv as pcsv

    where = source.where
    header = _csv_header(where)
    _require_unique(where, header, f"the header of {where.shown} has")
    ragged: list[Any] = []

    def on_invalid_row(row: Any) -> str:
        ragged.append(row)
        return "error"

    stream = pa.OSFile(str(source.cfg.path), "rb")
    options = {
        "read_options": pcsv.ReadOptions(block_size=source.block_bytes, use_threads=source.threads),
        "parse_options": pcsv.ParseOptions(invalid_row_handler=on_invalid_row),
        "convert_options": pcsv.ConvertOptions(
            column_types=dict(source.types),
            null_values=list(NULL_VALUES),
            strings_can_be_null=True,
            include_columns=list(source.columns) if source.columns is not None else None,
        ),
    }
    try:
        reader: Iterable[pa.RecordBatch]
        if source.threads and source.progress.bytes_total <= WHOLE_CSV_BYTES:
            # a small file at once, its blocks parsed side by side (the streaming reader
            # parses one block at a time); the same blocks, so the same batches
            table = pcsv.read_csv(stream, **options)
            _check_csv_schema(source, table.schema)
            reader = table.to_batches()
        else:
            streaming = pcsv.open_csv(stream, **options)
            _check_csv_schema(source, streaming.schema)
            reader = streaming
        for batch in reader:
            _check_csv_schema(source, batch.schema)
            source.progress.bytes_read = min(source.progress.bytes_total, stream.tell())
            yield batch
    except pa.ArrowInvalid as e:
        raise _csv_error(source, e, ragged, header) from None
    finally:
        stream.close()
    source.progress.bytes_read = source.progress.bytes_total


def _check_csv_schema(source: Source, schema: pa.Schema) -> None:
    for f in schema:
        if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type):
            raise _not_utf8(source.where)


def _csv_header(where: _Where) -> list[str]:
    try:
        with where.path.open(newline="", encoding="utf-8-sig") as f:
            return next(csv.reader(f), [])
    except (UnicodeDecodeError, csv.Error):
        return []  # reported with more context by the parser


def _csv_error(source: Source, e: Exception, ragged: list[Any], header: list[str]) -> Exception:
    where = source.where
    text = str(e)
    if "UTF8" in text or "UTF-8" in text:
        return _not_utf8(where)
    match = _CONVERSION.search(text)
    if match:
        return _widen(source, header, int(match.group(1)), match.group(2), match.group(3))
    if "Empty CSV file" in text:
        return where.error(f"{where.shown} has no header row. Expected {_NONEMPTY['csv']}.")
    if ragged or ("Expected" in text and "columns, got" in text):
        return _ragged_error(where, header)
    return where.error(f"cannot read {where.shown} as CSV: {_first_line(e)}. Fix the file.")


def _widen(source: Source, header: list[str], index: int, target: str, value: str) -> Exception:
    if index >= len(header):
        return source.where.error(f"cannot read {source.where.shown} as CSV. Fix the file.")
    name = header[index]
    if name in source.types and pa.types.is_string(source.types[name]):
        return source.where.error(f"cannot read column '{name}' of {source.where.shown}.")
    return SchemaChange({name: _wider_type(target, value)})


def _wider_type(target: str, value: str) -> pa.DataType:
    """The type a column needs after ``value`` did not convert to ``target``."""
    if target in ("null", "int64", "bool"):
        for kind, parse in ((pa.int64(), int), (pa.float64(), float)):
            if kind == pa.int64() and target == "int64":
                continue
            try:
                parse(value)
            except ValueError:
                continue
            return kind
    return pa.string()


def _ragged_error(where: _Where, header: list[str]) -> DataError:
    try:
        with where.path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, strict=True)
            for row in reader:
                if row and len(row) != len(header):
                    return where.error(
                        f"line {reader.line_num} of {where.shown} has {len(row)} fields but the "
                        f"header has {len(header)}. Quote values that contain commas, or fix "
                        "the row."
                    )
    except (UnicodeDecodeError, csv.Error) as e:
        return where.error(f"cannot read {where.shown} as CSV: {_first_line(e)}. Fix the file.")
    return where.error(
        f"cannot read {where.shown} as CSV: a quoted value is not closed. Fix the file."
    )


def _not_utf8(where: _Where) -> DataError:
    """Find the first byte that is not UTF-8 (reading the file again, only on this error)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    try:
        with where.path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as e:
                    offset += e.start
                    return where.error(
                        f"{where.shown} is not UTF-8 text (byte {offset}). Save the file as UTF-8."
                    )
                offset += len(chunk)
    except OSError:
        pass
    return where.error(f"{where.shown} is not UTF-8 text. Save the file as UTF-8.")


# --- Parquet -----------------------------------------------------------------------------


PYARROW_PARQUET_READER = True  # False: read through pyarrow.parquet.ParquetFile (the tests do both)


def _read_parquet(source: Source) -> Iterator[pa.RecordBatch]:
    where = source.where
    try:
        file = _open_parquet(source.cfg.path)
        names = parquet_columns(file.schema_arrow)
        _require_unique(where, names, f"{where.shown} has")
        if not names:
            raise where.error(f"{where.shown} has no columns. Expected at least one named column.")
        wanted = [n for n in names if source.columns is None or n in source.columns]
        total = max(1, file.metadata.num_rows)
        rows = 0
        batches = _parquet_batches(file, wanted, source)
        for batch in batches:
            rows += batch.num_rows
            source.progress.bytes_read = source.progress.bytes_total * rows // total
            yield normalise(batch)
    except (pa.ArrowException, OSError) as e:
        raise _parquet_error(where, e) from None


def _open_parquet(path: Path) -> Any:
    """The Parquet reader under ``pyarrow.parquet.ParquetFile``, opened directly when this pyarrow
    has it: importing ``pyarrow.parquet`` imports ``pyarrow.fs``, which looks up the TLS
    certificates through Python's ``ssl`` (about 25 ms of a 0.5 s run, for no remote file).
    No pre-buffering: pyarrow would otherwise hold whole row groups' column chunks."""
    if PYARROW_PARQUET_READER:
        try:
            from pyarrow._parquet import ParquetReader

            reader = ParquetReader()
            reader.open(str(path), pre_buffer=False, buffer_size=1 << 20)
            reader.column_paths  # noqa: B018 (every method used below, or the public class)
            return reader
        except (ImportError, AttributeError, TypeError):
            pass
    import pyarrow.parquet as pq

    return pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)


def _parquet_batches(file: Any, wanted: list[str], source: Source) -> Iterator[pa.RecordBatch]:
    """The wanted top-level columns, ``source.batch_rows`` rows at a time."""
    if hasattr(file, "iter_batches") and hasattr(file, "reader"):  # pyarrow.parquet.ParquetFile
        return file.iter_batches(
            batch_size=source.batch_rows, columns=wanted, use_threads=source.threads
        )
    chosen = set(wanted)  # every leaf of a chosen column: a struct column has several
    leaves = [i for i, path in enumerate(file.column_paths) if path[0] in chosen]
    groups = range(file.metadata.num_row_groups)
    return file.iter_batches(
        source.batch_rows, row_groups=groups, column_indices=leaves, use_threads=source.threads
    )


def _parquet_error(where: _Where, e: BaseException) -> DataError:
    message = _first_line(e).replace(f"'{where.path}'", "").replace(str(where.path), "")
    return where.error(
        f"cannot read {where.shown} as Parquet ({message.strip(' :.')}). "
        "Check that it is a complete Parquet file."
    )


def parquet_columns(schema: pa.Schema) -> list[str]:
    """The data columns: without the index columns pandas stores in its metadata."""
    index: set[str] = set()
    meta = (schema.metadata or {}).get(b"pandas")
    if meta:
        try:
            doc = parse_json(meta, limit=None)
            index = {c for c in doc.get("index_columns", []) if isinstance(c, str)}
        except (DocumentError, AttributeError, TypeError):
            index = set()
    return [name for name in schema.names if name not in index]


# --- JSON lines --------------------------------------------------------------------------


def _read_jsonl(source: Source) -> Iterator[pa.RecordBatch]:
    state = _JsonState(source)
    with source.cfg.path.open("rb") as f:
        leftover = f.read(len(codecs.BOM_UTF8))
        if leftover == codecs.BOM_UTF8:
            leftover, state.offset = b"", len(codecs.BOM_UTF8)
        while chunk := f.read(source.block_bytes):
            data = leftover + chunk
            cut = data.rfind(b"\n") + 1
            leftover = data[cut:]
            if cut:
                yield from state.block(data[:cut])
            source.progress.bytes_read = f.tell() - len(leftover)
        if leftover.strip():
            yield from state.block(leftover)
    source.progress.bytes_read = source.progress.bytes_total


class _JsonState:
    """Parses blocks of whole lines; keeps the schema of the first block."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.where = source.where
        self.line = 1  # number of the block's first line
        self.offset = 0  # byte offset of the block's first byte
        self.schema: pa.Schema | None = None

    def block(self, data: bytes) -> Iterator[pa.RecordBatch]:
        self._check_utf8(data)
        table = self._parse(data)
        self.line += data.count(b"\n")
        self.offset += len(data)
        if table.num_rows == 0:
            return
        table = self._conform(table)
        if self.source.columns is not None:
            table = table.select([c for c in self.source.columns if c in table.column_names])
        for batch in table.to_batches():
            yield normalise(batch)

    def _check_utf8(self, data: bytes) -> None:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise self.where.error(
                f"{self.where.shown} is not UTF-8 text (byte {self.offset + e.start}). "
                "Save the file as UTF-8."
            ) from None

    def _parse(self, data: bytes) -> pa.Table:
        import pyarrow.json as pj

        schema = pa.schema([(k, v) for k, v in self.source.types.items()]) or None
        try:
            return pj.read_json(
                io.BytesIO(data),
                read_options=pj.ReadOptions(block_size=max(len(data) + 1, 1 << 16)),
                parse_options=pj.ParseOptions(
                    explicit_schema=schema, unexpected_field_behavior="infer"
                ),
            )
        except pa.ArrowInvalid:
            return self._parse_slowly(data)

    def _parse_slowly(self, data: bytes) -> pa.Table:
        """Line by line with Python's json: exact messages, and columns of mixed types."""
        records = []
        for number, line in enumerate(data.decode("utf-8").split("\n"), start=self.line):
            if line.strip():
                records.append(_json_object(self.where, number, line))
        return _records_table(records, self.source.types)

    def _conform(self, table: pa.Table) -> pa.Table:
        if self.schema is None:
            for name, kind in self.source.types.items():
                if name not in table.column_names:
                    table = table.append_column(
                        pa.field(name, kind), pa.nulls(table.num_rows, kind)
                    )
            self.schema = table.schema
            return table
        wanted: dict[str, pa.DataType] = {}
        columns = []
        for name in table.column_names:
            if self.schema.get_field_index(name) < 0:
                wanted[name] = table.schema.field(name).type
        for f in self.schema:
            if f.name not in table.column_names:
                columns.append(pa.nulls(table.num_rows, f.type))
                continue
            column = table.column(f.name)
            widens = pa.types.is_floating(f.type) and pa.types.is_integer(column.type)
            if column.type == f.type or pa.types.is_null(column.type) or widens:
                columns.append(column.cast(f.type))
            else:
                wanted[f.name] = _common_type(f.type, column.type)
        if wanted:
            raise SchemaChange(wanted)
        return pa.Table.from_arrays(columns, schema=self.schema)


def _common_type(a: pa.DataType, b: pa.DataType) -> pa.DataType:
    if pa.types.is_null(a):
        return b
    if pa.types.is_integer(a) and pa.types.is_floating(b):
        return pa.float64()
    return pa.string()


def _records_table(records: list[dict[str, Any]], types: Mapping[str, pa.DataType]) -> pa.Table:
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    arrays = []
    for name in names:
        values = [record.get(name) for record in records]
        forced = types.get(name)
        arrays.append(_json_column(values, forced))
    return pa.Table.from_arrays(arrays, names=list(names))


def _json_column(values: list[Any], forced: pa.DataType | None) -> pa.Array:
    if forced is not None and not pa.types.is_string(forced):
        try:
            return pa.array(values, type=forced)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass
    elif forced is None:
        try:
            return pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass
    return pa.array([None if v is None else _text_of(v) for v in values], type=pa.string())


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _json_object(where: _Where, number: int, line: str) -> dict[str, Any]:
    try:
        value = parse_json(line, limit=None)
    except DocumentError as e:
        if e.json_problem is None:  # too deep
            raise where.error(f"line {number} of {where.shown} is {e}.") from None
        raise where.error(
            f"line {number} of {where.shown} is not valid JSON ({e.json_problem} at column "
            f"{e.column}). Expected one JSON object per line."
        ) from None
    if not isinstance(value, dict):
        raise where.error(
            f"line {number} of {where.shown} is a JSON {_json_kind(value)}, not an object. "
            "Expected one JSON object per line."
        )
    return value


def _json_kind(value: object) -> str:
    kinds = ((list, "array"), (str, "string"), (bool, "boolean"), ((int, float), "number"))
    return next((name for kind, name in kinds if isinstance(value, kind)), "null")


# --- normalising types -------------------------------------------------------------------


def normalise(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Columns of types the profile understands: numbers, booleans, text, dictionaries of
    text, timestamps and dates, or null. Decimals become float64, nested values JSON text."""
    arrays = [_normal(column) for column in batch.columns]
    if all(a is c for a, c in zip(arrays, batch.columns, strict=True)):
        return batch
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _normal(arr: pa.Array) -> pa.Array:
    t = arr.type
    if (
        pa.types.is_integer(t)
        or pa.types.is_boolean(t)
        or pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_timestamp(t)
        or pa.types.is_date(t)
        or pa.types.is_null(t)
        or pa.types.is_float32(t)
        or pa.types.is_float64(t)
    ):
        return arr
    if pa.types.is_dictionary(t):
        return arr if _is_plain_text(t.value_type) else arr.cast(t.value_type)
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return arr.cast(pa.float64())
    if pa.types.is_string_view(t):
        return arr.cast(pa.large_string())
    if pa.types.is_duration(t):
        return arr.cast(pa.int64())
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        try:
            return arr.cast(pa.large_string())
        except pa.ArrowInvalid:
            return pa.array([None if v is None else v.hex() for v in arr.to_pylist()])
    return pa.array([None if v is None else _text_of(v) for v in arr.to_pylist()], pa.string())


def _is_plain_text(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


_READERS: dict[Format, Callable[[Source], Iterator[pa.RecordBatch]]] = {
    "csv": _read_csv,
    "parquet": _read_parquet,
    "jsonl": _read_jsonl,
}
