"""Which files a monitored path names: a file, a folder of partitions, a glob pattern."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlci.errors import DataError
from mlci.monitor.sources import expand


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")


def found(root: Path, written: str, fmt=None) -> list[str]:
    files = expand(
        root / written, fmt=fmt, what="monitor.data.eval", shown=written, repository=root
    )
    return [p.relative_to(root).as_posix() for p in files.paths]


def test_a_folder_is_read_recursively_in_name_order_skipping_hidden_and_underscore(
    tmp_path: Path,
) -> None:
    touch(
        tmp_path,
        "logs/date=2024-05-01/hour=10/part-1.parquet",
        "logs/date=2024-05-01/hour=02/part-0.parquet",
        "logs/date=2024-05-01/hour=02/.part-0.parquet.crc",
        "logs/_SUCCESS",
        "logs/_temporary/part-9.parquet",
        "logs/.hidden/part-8.parquet",
        "logs/README.txt",
    )
    assert found(tmp_path, "logs") == [
        "logs/date=2024-05-01/hour=02/part-0.parquet",
        "logs/date=2024-05-01/hour=10/part-1.parquet",
    ]
    assert (
        expand(tmp_path / "logs", fmt=None, what="w", shown="logs", repository=tmp_path).format
        == "parquet"
    )


def test_a_file_and_a_glob(tmp_path: Path) -> None:
    touch(tmp_path, "a/x.csv", "a/y.csv", "a/b/z.csv", "a/w.jsonl")
    assert found(tmp_path, "a/x.csv") == ["a/x.csv"]
    assert found(tmp_path, "a/*.csv") == ["a/x.csv", "a/y.csv"]
    assert found(tmp_path, "a/**/*.csv") == ["a/b/z.csv", "a/x.csv", "a/y.csv"]


def test_a_format_narrows_a_folder_and_mixed_formats_are_refused(tmp_path: Path) -> None:
    touch(tmp_path, "a/x.csv", "a/w.jsonl")
    assert found(tmp_path, "a", fmt="jsonl") == ["a/w.jsonl"]
    with pytest.raises(DataError, match=r"monitor.data.eval: the files mix formats \(csv, jsonl\)"):
        found(tmp_path, "a")


def test_nothing_found_says_what_was_expected(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for written in ("empty", "missing/", "nothing-*.parquet"):
        with pytest.raises(
            DataError, match=re.escape(f"monitor.data.eval: no data file at '{written}'")
        ):
            found(tmp_path, written)


def test_a_partition_leading_outside_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    touch(outside, "secret.parquet")
    repo = tmp_path / "repo"
    touch(repo, "logs/part-0.parquet")
    (repo / "logs" / "part-1.parquet").symlink_to(outside / "secret.parquet")
    with pytest.raises(DataError, match="outside the repository"):
        expand(repo / "logs", fmt=None, what="monitor.data.eval", shown="logs", repository=repo)
