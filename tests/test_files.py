"""The one atomic writer: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from mlci import files
from mlci.errors import MlciError
from mlci.files import write_atomic


def test_writes_text_and_bytes_creating_the_folder(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a" / "b" / "report.md", "Δ −0.007\n")
    write_atomic(tmp_path / "fig.png", b"\x89PNG\r\n")
    assert (tmp_path / "a/b/report.md").read_text(encoding="utf-8") == "Δ −0.007\n"
    assert (tmp_path / "fig.png").read_bytes() == b"\x89PNG\r\n"
    assert stat.S_IMODE((tmp_path / "fig.png").stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "fig.png"]  # no temporary left


def test_never_writes_through_an_existing_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    (tmp_path / "link.txt").symlink_to(outside)
    write_atomic(tmp_path / "link.txt", "new", durable=True)
    assert outside.read_text() == "keep"
    assert not (tmp_path / "link.txt").is_symlink()
    assert (tmp_path / "link.txt").read_text() == "new"


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "record.json"
    write_atomic(target, "old")

    def crash(src: Any, dst: Any) -> None:
        raise OSError(28, os.strerror(28))

    monkeypatch.setattr(files.os, "replace", crash)
    with pytest.raises(MlciError) as info:
        write_atomic(target, "new")
    assert str(info.value) == f"Cannot write {target}: {os.strerror(28)}."
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["record.json"]


def test_an_unwritable_folder_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(MlciError, match=r"^Cannot write .*file/out\.json: "):
        write_atomic(tmp_path / "file" / "out.json", "{}")
