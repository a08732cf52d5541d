"""Reading files mlci does not control, within stated limits.

A pull request controls ``mlci.yml``, the data schema and metrics files it names, and the data
files; an artifact controls the ``report.json`` the fork-comment job reads; the records branch
holds JSON that earlier runs wrote. None of them may make mlci run for minutes, exhaust memory
or overflow the stack. So every YAML and JSON document is read through this module (JSON) or
:mod:`mlci.yamlfile` (YAML), which refuse, with a :class:`ValueError` naming the limit:

- a file larger than its byte limit (checked before it is read: only ``limit + 1`` bytes are);
- nesting deeper than :data:`MAX_DEPTH` levels (far above any real document: a config is
  about 6 levels deep, a record about 8);
- for YAML, more than :data:`MAX_YAML_VALUES` values once aliases are expanded (the
  "billion laughs" document is 541 bytes), and an alias inside the value it names;
- zlib data in a record (stored predictions, sketches) that inflates past what it should hold.
"""

from __future__ import annotations

import json
import os
import stat
import zlib
from pathlib import Path
from typing import Any

MIB = 1 << 20
MAX_DEPTH = 64  # nesting levels of any YAML or JSON document
MAX_YAML_BYTES = 2 * MIB  # mlci.yml, data schema files, metrics files (YAML or JSON)
MAX_YAML_VALUES = 250_000  # values (mappings, lists, scalars) after expanding aliases
MAX_RECORD_BYTES = 64 * MIB  # a record, a profile file (profiles of wide datasets are large)
MAX_REPORT_BYTES = 16 * MIB  # report.json and pull-request.json of a fork's artifact
MAX_EVENT_BYTES = 32 * MIB  # the event payload (GitHub caps webhook payloads at 25 MB)
MAX_INFLATED_BYTES = 256 * MIB  # zlib data inside a record (stored predictions, sketches)


class DocumentError(ValueError):
    """A document is malformed or past a limit; ``str()`` is the reason, without the file.

    For a JSON syntax error, ``json_problem`` is the parser's own words (e.g. ``"Extra data"``)
    and ``column`` where it stopped; both are None for a document past a limit.
    """

    def __init__(
        self, reason: str, *, json_problem: str | None = None, column: int | None = None
    ) -> None:
        super().__init__(reason)
        self.json_problem = json_problem
        self.column = column


def size_text(n: int) -> str:
    """``16 MiB``, ``512 KiB``, ``900 bytes``."""
    if n >= MIB and n % MIB == 0:
        return f"{n // MIB} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n:,} bytes"


def too_large(limit: int) -> DocumentError:
    return DocumentError(f"larger than {size_text(limit)}, the limit for this file")


def read_bytes(path: Path, *, limit: int) -> bytes:
    """The file's bytes; :class:`DocumentError` when it holds more than ``limit`` bytes.

    At most ``limit + 1`` bytes are read, whatever the file is (a FIFO, ``/dev/zero``).
    ``OSError`` (``FileNotFoundError``, ``IsADirectoryError``...) is left to the caller.
    """
    with open(path, "rb") as f:
        info = os.fstat(f.fileno())
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            raise too_large(limit)
        data = f.read(limit + 1)
    if len(data) > limit:
        raise too_large(limit)
    return data


def read_text(path: Path, *, limit: int, encoding: str = "utf-8") -> str:
    """:func:`read_bytes` decoded (``UnicodeDecodeError`` is left to the caller)."""
    return read_bytes(path, limit=limit).decode(encoding)


def parse_json(text: str | bytes, *, limit: int | None, max_depth: int = MAX_DEPTH) -> Any:
    """Parse a JSON document of at most ``limit`` bytes (None: its size was bounded when it
    was read) and ``max_depth`` levels.

    Raises
    ------
    DocumentError
        ``"invalid JSON at line 3, column 5 (Expecting value)"``, ``"nested too deeply: more
        than 64 levels, the limit"``, ``"larger than 16 MiB, the limit for this file"``, or
        an integer too long to convert.
    """
    if limit is not None and len(text) > limit:
        raise too_large(limit)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})",
            json_problem=exc.msg,
            column=exc.colno,
        ) from None
    except RecursionError:
        raise too_deep(max_depth) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise DocumentError(f"invalid JSON ({str(exc).splitlines()[0]})") from None
    if depth_of(value) > max_depth:
        raise too_deep(max_depth)
    return value


def too_deep(max_depth: int) -> DocumentError:
    return DocumentError(f"nested too deeply: more than {max_depth} levels, the limit")


def depth_of(value: Any) -> int:
    """How many levels of lists and dicts ``value`` has (``{"a": [1]}`` has 2), without
    recursion: a level at a time, so no document can overflow the stack."""
    depth = 0
    level = [value] if isinstance(value, (dict, list)) else []
    while level:
        depth += 1
        below: list[Any] = []
        for container in level:
            items = container.values() if isinstance(container, dict) else container
            below.extend(v for v in items if isinstance(v, (dict, list)))
        level = below
    return depth


def inflate(data: bytes, *, limit: int = MAX_INFLATED_BYTES) -> bytes:
    """zlib-decompress ``data`` into at most ``limit`` bytes (a 64 MiB record could otherwise
    hold data that inflates to tens of gigabytes); :class:`DocumentError` past it, and for
    data that is not zlib."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise DocumentError(f"invalid compressed data ({exc})") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise DocumentError(f"compressed data inflates past {size_text(limit)}, the limit")
    return out
