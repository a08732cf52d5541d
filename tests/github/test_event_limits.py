"""The event payload is read within stated limits (mlci.bounded): size and nesting depth."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlci.errors import MlciError
from mlci.github.event import load_event
from mlci.github.settings import Settings


def error_of(path: Path) -> str:
    with pytest.raises(MlciError) as info:
        load_event(Settings(token="t", repository="o/r", event_path=path))
    return str(info.value)


def test_a_deeply_nested_payload_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert error_of(path) == (
        f"GITHUB_EVENT_PATH ({path}) is not a readable JSON file: nested too deeply: more than "
        "64 levels, the limit. It should be the event payload GitHub Actions writes."
    )


def test_a_payload_past_32_mib_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    with path.open("wb") as f:  # sparse: 33 MiB that take no disk space
        f.truncate(33 << 20)
    assert error_of(path) == (
        f"GITHUB_EVENT_PATH ({path}) is not a readable JSON file: larger than 32 MiB, the "
        "limit for this file. It should be the event payload GitHub Actions writes."
    )
