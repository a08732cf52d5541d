"""JSON and files read within stated limits: size, nesting depth, integers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlci.bounded import (
    MAX_DEPTH,
    MAX_EVENT_BYTES,
    MAX_RECORD_BYTES,
    MAX_REPORT_BYTES,
    MAX_YAML_BYTES,
    DocumentError,
    depth_of,
    inflate,
    parse_json,
    read_bytes,
    size_text,
)


def test_the_stated_limits() -> None:
    """The figures SECURITY.md and docs/limits.md state."""
    assert MAX_DEPTH == 64
    assert (MAX_YAML_BYTES, MAX_REPORT_BYTES, MAX_EVENT_BYTES, MAX_RECORD_BYTES) == (
        2 << 20,
        16 << 20,
        32 << 20,
        64 << 20,
    )


def nest(levels: int) -> Any:
    value: Any = 1
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


@pytest.mark.parametrize("levels", [0, 1, 2, 5, 64, 65])
def test_depth_of_counts_levels_of_containers(levels: int) -> None:
    assert depth_of(nest(levels)) == levels
    assert depth_of({"a": 1, "b": [nest(levels)]}) == levels + 2


def test_json_up_to_64_levels_is_read_and_deeper_is_refused() -> None:
    assert parse_json(json.dumps(nest(64)), limit=None) == nest(64)
    with pytest.raises(DocumentError) as info:
        parse_json(json.dumps(nest(65)), limit=None)
    assert str(info.value) == "nested too deeply: more than 64 levels, the limit"
    assert info.value.json_problem is None


def test_json_nested_past_the_stack_is_refused_not_a_crash() -> None:
    with pytest.raises(DocumentError, match=r"^nested too deeply: more than 64 levels"):
        parse_json("[" * 200_000 + "]" * 200_000, limit=None)


def test_invalid_json_keeps_the_parser_words() -> None:
    with pytest.raises(DocumentError) as info:
        parse_json('{"a": 1}\n{"b": 2}', limit=100)
    assert str(info.value) == "invalid JSON at line 2, column 1 (Extra data)"
    assert (info.value.json_problem, info.value.column) == ("Extra data", 1)


def test_an_integer_too_long_to_convert_is_invalid_json() -> None:
    with pytest.raises(DocumentError, match=r"^invalid JSON \(Exceeds the limit \(4300 digits\)"):
        parse_json("9" * 5000, limit=10_000)


def test_text_past_its_limit_is_refused() -> None:
    assert parse_json("[1, 2]", limit=6) == [1, 2]
    with pytest.raises(DocumentError) as info:
        parse_json("[1, 22]", limit=6)
    assert str(info.value) == "larger than 6 bytes, the limit for this file"


def test_read_bytes_reads_at_most_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert read_bytes(path, limit=10) == b"x" * 10
    with pytest.raises(DocumentError, match=r"^larger than 9 bytes"):
        read_bytes(path, limit=9)
    with pytest.raises(DocumentError, match=r"^larger than 1 MiB"):
        read_bytes(Path("/dev/zero"), limit=1 << 20)  # endless: stops after the limit
    with pytest.raises(FileNotFoundError):
        read_bytes(tmp_path / "missing", limit=1)


@pytest.mark.parametrize(
    ("n", "text"),
    [(900, "900 bytes"), (2048, "2 KiB"), (2 << 20, "2 MiB"), (1500, "1,500 bytes")],
)
def test_size_text(n: int, text: str) -> None:
    assert size_text(n) == text


def test_inflate_stops_at_its_limit() -> None:
    import zlib

    data = zlib.compress(b"x" * 1000)
    assert inflate(data, limit=1000) == b"x" * 1000
    with pytest.raises(DocumentError) as info:
        inflate(data, limit=999)
    assert str(info.value) == "compressed data inflates past 999 bytes, the limit"
    bomb = zlib.compress(bytes(64 << 20), 9)  # 64 MiB of zeros in about 64 KB
    assert len(bomb) < 100_000
    with pytest.raises(DocumentError, match=r"^compressed data inflates past 1 MiB"):
        inflate(bomb, limit=1 << 20)
    with pytest.raises(DocumentError, match=r"^invalid compressed data"):
        inflate(b"not zlib", limit=10)
