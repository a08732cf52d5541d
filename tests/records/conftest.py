"""Real git repositories under tmp_path (the root conftest.py isolates git for every test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mlci.records.format import Record
from tests.helpers.git import commit, git


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """``make_repo("name")``: a fresh repository on branch main with one commit."""

    def make(name: str = "repo") -> Path:
        repo = tmp_path / name
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        commit(repo, "initial")
        return repo

    return make


@pytest.fixture
def remote_and_clone(tmp_path: Path, make_repo: Callable[..., Path]) -> Iterator[tuple[Path, Path]]:
    """A bare ``origin`` with a main branch, and one clone of it."""
    upstream = make_repo("upstream")
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(upstream), str(bare))
    yield bare, clone(bare, tmp_path / "clone")


def clone(bare: Path, where: Path) -> Path:
    git(bare.parent, "clone", "-q", str(bare), str(where))
    return where


def make_record(commit: str = "3f2c1ab" + "0" * 33, **overrides: Any) -> Record:
    """A small valid record; any field can be overridden."""
    fields: dict[str, Any] = {
        "name": "churn-model",
        "commit": commit,
        "ref": "refs/heads/main",
        "created_at": "2024-05-01T12:00:00Z",
        "config_hash": "sha256:abc",
        "tool_version": "0.1.0",
        "environment": {"python": "3.11.7", "platform": "Linux", "packages": {"numpy": "2.0"}},
        "datasets": {
            "eval": {
                "path": "data/eval.csv",
                "fingerprint": "sha256:def",
                "rows": 3,
                "columns": 2,
                "profile": {"columns": {}},
            }
        },
        "model": {
            "task": "binary",
            "source": "metrics_file",
            "n_rows": None,
            "metrics": {"roc_auc": 0.91, "f1": 0.77},
        },
        "gates": (),
        "checks": (),
        "verdict": "pass",
    }
    fields.update(overrides)
    return Record(**fields)


@pytest.fixture(name="git")
def git_fixture() -> Callable[..., str]:
    """``git(repo, *args, identity=True)``: run git as a test would at a shell."""
    return git


@pytest.fixture(name="new_commit")
def new_commit_fixture() -> Callable[[Path, str], str]:
    """``new_commit(repo, message)``: an empty commit on the current branch; its sha."""
    return commit


@pytest.fixture(name="clone_of")
def clone_of_fixture() -> Callable[[Path, Path], Path]:
    """``clone_of(bare, where)``: a clone of ``bare`` at ``where``."""
    return clone


@pytest.fixture(name="make_record")
def make_record_fixture() -> Callable[..., Record]:
    """``make_record(commit, **fields)``: a small valid record."""
    return make_record
