"""Fixtures shared by the whole suite: an isolated git environment and small project factories."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.append(str(Path(__file__).parent))  # for git_http; last, so it shadows nothing

from git_http import GitHttpServer

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.invalid",
}


@pytest.fixture(autouse=True)
def isolated_git(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Every test sees git like a fresh CI runner: no global config, no identity; and whatever
    a test's code adds to os.environ (git credentials, say) is gone after it."""
    saved = dict(os.environ)
    empty = tmp_path_factory.mktemp("gitconfig") / "config"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in IDENTITY:
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


def git(repo: Path, *args: str) -> str:
    """Run git as a test author (the code under test must cope without an identity)."""
    env = dict(os.environ, **IDENTITY)
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


class GitProject:
    """A git working copy with a bare `origin`, for integration tests."""

    def __init__(self, root: Path) -> None:
        self.remote = root / "origin.git"
        self.path = root / "work"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(self.remote)], check=True)
        self.path.mkdir()
        git(self.path, "init", "-q", "-b", "main")
        git(self.path, "remote", "add", "origin", str(self.remote))

    def write(self, relpath: str, text: str) -> Path:
        target = self.path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def commit(self, message: str, *, push: bool = True) -> str:
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "--allow-empty", "-m", message)
        if push:
            branch = git(self.path, "rev-parse", "--abbrev-ref", "HEAD")
            git(self.path, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
        return git(self.path, "rev-parse", "HEAD")

    def checkout(self, *args: str) -> None:
        git(self.path, "checkout", "-q", *args)

    def remote_records(self, branch: str = "mlci-records") -> list[str]:
        out = subprocess.run(
            ["git", "ls-tree", "-r", "--name-only", branch],
            cwd=self.remote,
            capture_output=True,
            text=True,
        )
        return out.stdout.split() if out.returncode == 0 else []


@pytest.fixture
def git_project(tmp_path: Path) -> Iterator[GitProject]:
    yield GitProject(tmp_path)


@pytest.fixture
def serve_git() -> Iterator[Callable[..., GitHttpServer]]:
    """``serve_git(root, tokens={TOKEN: "read" | "write"}, public=False)``: the bare
    repositories under ``root`` over HTTP, authenticated like GitHub (see tests/git_http.py)."""
    servers: list[GitHttpServer] = []

    def serve(root: Path, **kw: Any) -> GitHttpServer:
        server = GitHttpServer(root, **kw).start()
        servers.append(server)
        return server

    yield serve
    for server in servers:
        server.stop()
