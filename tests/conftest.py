"""Fixtures shared by the whole suite: an isolated git environment and git projects with a bare
``origin`` (the helpers they use are in tests/helpers/git.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.git import IDENTITY, GitProject

# --- git ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def isolated_git(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Every test sees git like a fresh CI runner: no global or system config, no identity, no
    repository above its temporary directories; and whatever a test's code adds to os.environ
    (git credentials, say) is gone after it."""
    saved = dict(os.environ)
    empty = tmp_path_factory.mktemp("gitconfig") / "config"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path_factory.getbasetemp()))
    for name in (*IDENTITY, "EMAIL", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name in (
        "GITHUB_ACTIONS",
        "GITHUB_EVENT_NAME",
        "GITHUB_TOKEN",
        "GITHUB_OUTPUT",
        "GITHUB_STEP_SUMMARY",
    ):
        monkeypatch.delenv(name, raising=False)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def git_project(tmp_path: Path) -> Iterator[GitProject]:
    """A git working copy with a bare ``origin`` under tmp_path."""
    yield GitProject(tmp_path)
