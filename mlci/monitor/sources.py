"""Which files hold the production rows: one file, a folder of partitions, or a glob pattern.

A day of request logs is rarely one file. A configured path is expanded, in name order, to:

- itself, when it is a file;
- every data file below it, when it is a folder (Hive-style ``date=2024-05-01/hour=03/``
  partitions included); names starting with ``.`` or ``_`` are skipped, as Spark's
  ``_SUCCESS`` and ``.crc`` files, and so are files of other suffixes;
- the matching files, when it holds a wildcard (``*``, ``?``, ``[``; ``**`` spans folders).

Every file found must still lead inside the repository (a partition may be a symlink), and all
must share one format. Partition values in folder names are not added as columns.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mlci.config import format_from_suffix
from mlci.errors import DataError
from mlci.paths import leads_outside, real

Format = Literal["csv", "parquet", "jsonl"]
_WILDCARDS = ("*", "?", "[")


@dataclass(frozen=True)
class Files:
    """The files of one monitored input, in read order, and their common format."""

    shown: str  # the path as configured, for messages and reports
    paths: tuple[Path, ...]
    format: Format

    @property
    def bytes(self) -> int:
        return sum(p.stat().st_size for p in self.paths)


def expand(path: Path, *, fmt: Format | None, what: str, shown: str, repository: Path) -> Files:
    """The files ``path`` names (see the module docstring).

    Parameters:
        path: the configured path (absolute), a file, a folder or a glob pattern.
        fmt: the configured format, or None for each file's suffix.
        what: the input, for messages, e.g. ``"monitor.data.eval"``.
        shown: the path as written, for messages.
        repository: every file must lead inside it.

    Raises:
        DataError: nothing matched, a file leads outside the repository, a file's format is
            unknown, or the files mix formats.
    """
    found = _candidates(path, fmt)
    if not found:
        raise DataError(
            f"{what}: no data file at {shown!r}. Expected a file, a folder of .csv, .parquet or "
            ".jsonl files, or a glob pattern such as logs/*.parquet; download the day's rows "
            "before mlci monitor runs."
        )
    for file in found:
        target = leads_outside(file, repository)
        if target is not None:
            raise DataError(
                f"{what}: {file} leads to {target}, outside the repository {real(repository)}: "
                "monitored files must resolve inside it."
            )
    return Files(shown, tuple(found), _common_format(found, fmt, what))


def _candidates(path: Path, fmt: Format | None) -> list[Path]:
    text = str(path)
    if any(w in text for w in _WILDCARDS) and not path.exists():
        matched = (Path(p) for p in glob.glob(text, recursive=True))
        return sorted(p for p in matched if p.is_file() and _visible(p))
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in _walk(path) if _is_data(p, fmt))
    return []


def _walk(folder: Path) -> list[Path]:
    """Every visible file below ``folder`` (hidden and ``_`` folders skipped)."""
    files = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        files += [Path(root) / n for n in names if not n.startswith((".", "_"))]
    return files


def _visible(path: Path) -> bool:
    return not path.name.startswith((".", "_"))


def _is_data(path: Path, fmt: Format | None) -> bool:
    found = format_from_suffix(path)
    return found is not None and (fmt is None or found == fmt)


def _common_format(files: list[Path], fmt: Format | None, what: str) -> Format:
    if fmt is not None:
        return fmt
    formats = {p: format_from_suffix(p) for p in files}
    unknown = [p for p, f in formats.items() if f is None]
    if unknown:
        raise DataError(
            f"{what}: cannot tell the format of {unknown[0]} from its suffix. Use .csv, "
            ".parquet, .pq, .jsonl or .ndjson files, or set `format`."
        )
    kinds = sorted({f for f in formats.values() if f is not None})
    if len(kinds) > 1:
        raise DataError(
            f"{what}: the files mix formats ({', '.join(kinds)}). Keep one format per input, "
            "or narrow the path with a glob pattern such as logs/*.parquet."
        )
    return kinds[0]
