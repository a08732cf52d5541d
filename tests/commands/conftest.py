"""Fixtures for the `mlci release` tests: a git project with a predictions file, the GitHub API
fake (other command tests define their own `project` where they need one)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mlci.github.client import RetryPolicy
from mlci.github.release import ReleaseClient
from mlci.github.settings import Settings
from tests.helpers.fake_github import FakeGitHub
from tests.helpers.release import REPO, TOKENS, Project


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeGitHub]:
    server = FakeGitHub(tokens=TOKENS).start()
    yield server
    server.stop()


@pytest.fixture
def fake(fake_server: FakeGitHub) -> FakeGitHub:
    fake_server.reset()
    with fake_server.lock:
        fake_server._ensure_repo(REPO)
    return fake_server


@pytest.fixture
def project(git_project: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # records with a fixed time
    return Project(git_project, tmp_path, monkeypatch)


@pytest.fixture
def no_sleep_client(monkeypatch: pytest.MonkeyPatch) -> Callable[[Settings], ReleaseClient]:
    """Make `mlci release` build its client with a retry policy that does not sleep."""
    waits: list[float] = []

    def factory(settings: Settings) -> ReleaseClient:
        return ReleaseClient(settings, retry=RetryPolicy(sleep=waits.append, rng=lambda: 0.5))

    monkeypatch.setattr("mlci.commands.release._default_client", factory)
    return factory
