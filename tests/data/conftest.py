"""Factories for the data tests: files under tmp_path and dataset configs over them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlci.config import DatasetConfig

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    """The folder of small hand-made data files (ragged CSV, corrupt Parquet, ...)."""
    return FIXTURES


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """Write text (or bytes) to ``tmp_path / name`` and return the path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def dataset() -> Callable[..., DatasetConfig]:
    """``dataset(path, name="eval", **fields)``: a DatasetConfig for a file."""

    def _dataset(path: Path, name: str = "eval", **kw: Any) -> DatasetConfig:
        return DatasetConfig(name=name, path=path, **kw)

    return _dataset
