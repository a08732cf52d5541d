"""Fixtures shared by the whole suite: an isolated git environment and small project factories."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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


@pytest.fixture(scope="session")
def spark_cwd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Spark JVM's working directory: relative paths given to Spark resolve there."""
    return tmp_path_factory.mktemp("spark-cwd")


@pytest.fixture(scope="session")
def spark(spark_cwd: Path) -> Iterator[Any]:
    """One local Spark session (2 cores) for every Spark test: starting the JVM takes seconds.

    Needs pyspark (in the `test` extra) and Java 17+. The executors run this interpreter,
    which has mlci installed, as PYSPARK_PYTHON tells them (read once, when the session
    starts).
    """
    from pyspark.sql import SparkSession  # the JVM starts only for the tests that ask

    before = os.getcwd()
    os.chdir(spark_cwd)  # the JVM inherits it
    os.environ["PYSPARK_PYTHON"] = sys.executable
    try:
        session = (
            SparkSession.builder.master("local[2]")
            .appName("mlci-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.memory", "1g")
            .getOrCreate()
        )
    finally:
        os.chdir(before)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
