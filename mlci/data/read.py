"""Reading datasets (CSV, Parquet, JSON lines) into a DataFrame, and fingerprinting files.

Every problem with the file itself (missing, unknown format, corrupt, ragged, empty) becomes a
one-line :class:`~mlci.errors.DataError` naming the dataset, the file and what to do.
This first version reads the whole file in memory; the profile it feeds is already mergeable,
so a chunked reader can replace it without changing callers.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from mlci.config import DatasetConfig
from mlci.errors import DataError

Format = Literal["csv", "parquet", "jsonl"]

SUFFIX_FORMATS: dict[str, Format] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}

_CHUNK = 1 << 20
_RAGGED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def read_dataset(cfg: DatasetConfig) -> pd.DataFrame:
    """Read the dataset described by ``cfg`` into memory.

    The format is ``cfg.format`` or, when that is None, the file's suffix (``.csv``,
    ``.parquet``/``.pq``, ``.jsonl``/``.ndjson``).

    Raises:
        DataError: the file is missing, of an unknown format, unreadable, or has no rows or
            no columns. The message is one line that names the dataset and the file.
    """
    where = _Where(cfg.name, cfg.path)
    if not cfg.path.exists():
        raise where.error(
            f"file not found: {where.shown}. Check `datasets.{cfg.name}.path` in mlci.yml."
        )
    if not cfg.path.is_file():
        raise where.error(f"{where.shown} is not a file. Point `datasets.{cfg.name}.path` at one.")
    fmt = cfg.format or _format_from_suffix(where)
    if cfg.path.stat().st_size == 0:
        raise where.error(f"{where.shown} is empty (0 bytes). Expected {_NONEMPTY[fmt]}.")
    df = _READERS[fmt](where)
    _require_shape(where, df)
    return df


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


def _shown(path: Path) -> str:
    """The path relative to the working directory when it is below it (shorter messages)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return path.as_posix()


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


def _require_shape(where: _Where, df: pd.DataFrame) -> None:
    if df.shape[1] == 0:
        raise where.error(f"{where.shown} has no columns. Expected at least one named column.")
    duplicated = [str(c) for c in df.columns[df.columns.duplicated()]]
    if duplicated:
        raise where.error(
            f"{where.shown} has the column '{duplicated[0]}' more than once. "
            "Give every column a unique name."
        )
    if len(df) == 0:
        raise where.error(f"{where.shown} has columns but no rows. Expected at least one row.")


# --- CSV ---------------------------------------------------------------------------------


def _read_csv(where: _Where) -> pd.DataFrame:
    header = _csv_header(where)
    _require_unique_header(where, header)
    try:
        with warnings.catch_warnings():
            # index_col=False: pandas would otherwise silently use the first column as the
            # index when every row has one field more than the header; it warns instead.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(where.path, index_col=False, encoding="utf-8-sig")
    except pd.errors.ParserWarning:
        raise _ragged_error(where, header) from None
    except pd.errors.EmptyDataError:
        raise where.error(
            f"{where.shown} has no header row. Expected {_NONEMPTY['csv']}."
        ) from None
    except pd.errors.ParserError as e:
        raise _csv_parser_error(where, e) from None
    except UnicodeDecodeError as e:
        raise where.error(
            f"{where.shown} is not UTF-8 text (byte {e.start}). Save the file as UTF-8."
        ) from None


def _csv_header(where: _Where) -> list[str]:
    try:
        with where.path.open(newline="", encoding="utf-8-sig") as f:
            return next(csv.reader(f), [])
    except (UnicodeDecodeError, csv.Error):
        return []  # pandas reports it with more context


def _require_unique_header(where: _Where, header: list[str]) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen and name != "":
            raise where.error(
                f"the header of {where.shown} has the column '{name}' more than once. "
                "Give every column a unique name."
            )
        seen.add(name)


def _csv_parser_error(where: _Where, e: Exception) -> DataError:
    match = _RAGGED.search(str(e))
    if match:
        expected, line, saw = match.groups()
        return where.error(
            f"line {line} of {where.shown} has {saw} fields but the header has {expected}. "
            "Quote values that contain commas, or fix the row."
        )
    return where.error(f"cannot read {where.shown} as CSV: {_first_line(e)}. Fix the file.")


def _ragged_error(where: _Where, header: list[str]) -> DataError:
    try:
        with where.path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            for row in reader:
                if row and len(row) != len(header):
                    return where.error(
                        f"line {reader.line_num} of {where.shown} has {len(row)} fields but the "
                        f"header has {len(header)}. Quote values that contain commas, or fix "
                        "the row."
                    )
    except (UnicodeDecodeError, csv.Error):
        pass
    return where.error(
        f"the rows of {where.shown} do not have as many fields as its header. Fix the file."
    )


# --- Parquet -----------------------------------------------------------------------------


def _read_parquet(where: _Where) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(where.path).read()
    except (pa.ArrowException, OSError) as e:
        message = _first_line(e).replace(f"'{where.path}'", "").replace(str(where.path), "")
        raise where.error(
            f"cannot read {where.shown} as Parquet ({message.strip(' :.')}). "
            "Check that it is a complete Parquet file."
        ) from None
    return table.to_pandas()


# --- JSON lines --------------------------------------------------------------------------


def _read_jsonl(where: _Where) -> pd.DataFrame:
    records: list[dict[str, Any]] = []
    try:
        with where.path.open(encoding="utf-8-sig") as f:
            for number, line in enumerate(f, start=1):
                if line.strip():
                    records.append(_json_object(where, number, line))
    except UnicodeDecodeError as e:
        raise where.error(
            f"{where.shown} is not UTF-8 text (byte {e.start}). Save the file as UTF-8."
        ) from None
    if not records:
        raise where.error(f"{where.shown} has no rows. Expected {_NONEMPTY['jsonl']}.")
    return pd.DataFrame.from_records(records)


def _json_object(where: _Where, number: int, line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as e:
        raise where.error(
            f"line {number} of {where.shown} is not valid JSON ({e.msg} at column {e.colno}). "
            "Expected one JSON object per line."
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


def _first_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0]


_READERS: dict[Format, Callable[[_Where], pd.DataFrame]] = {
    "csv": _read_csv,
    "parquet": _read_parquet,
    "jsonl": _read_jsonl,
}
