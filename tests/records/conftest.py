"""Real git repositories under tmp_path, with no global/system git config and no identity."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mlci.records.format import Record

# Commits the *tests* make carry this identity; mlci itself must cope without one.
TEST_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
}
IDENTITY_VARS = (*TEST_IDENTITY, "EMAIL")


@pytest.fixture(autouse=True)
def clean_git_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty global config, no system config, no identity: like a fresh CI runner."""
    config = tmp_path_factory.mktemp("gitconfig") / "config"
    config.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path_factory.getbasetemp()))
    for var in (*IDENTITY_VARS, "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(var, raising=False)


def git(repo: Path, *args: str, identity: bool = False) -> str:
    """Run git in ``repo`` as a test would at a shell; stripped stdout."""
    env = {**os.environ, **(TEST_IDENTITY if identity else {})}
    proc = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout.strip()


def commit(repo: Path, message: str) -> str:
    """An empty commit on the current branch; its sha."""
    git(repo, "commit", "--allow-empty", "-q", "-m", message, identity=True)
    return git(repo, "rev-parse", "HEAD")


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
    """``git(repo, *args, identity=False)``: run git as a test would at a shell."""
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
