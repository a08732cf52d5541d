"""Fixtures for mlci.github: the GitHub API fake over real HTTP, settings and clients for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mlci.github.client import GitHubClient, RetryPolicy
from mlci.github.settings import Settings
from tests.helpers.fake_github import FakeGitHub
from tests.helpers.github import HEAD, MERGE, PR, REPO, RUN, TOKENS, WRITE_TOKEN, Sleeps


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeGitHub]:
    server = FakeGitHub(tokens=TOKENS).start()
    yield server
    server.stop()


@pytest.fixture
def fake(fake_server: FakeGitHub) -> FakeGitHub:
    """The fake, reset, with PR #7 of octo/widgets whose head is HEAD."""
    fake_server.reset()
    fake_server.add_pull(REPO, PR, HEAD, head_repo=REPO, head_ref="feature", base_ref="main")
    return fake_server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_settings(fake: FakeGitHub, tmp_path: Path) -> Callable[..., Settings]:
    def make(token: str = WRITE_TOKEN, *, ghes: bool = False, **changes: Any) -> Settings:
        api = f"{fake.url}/api/v3" if ghes else fake.url
        settings = Settings(
            token=token,
            repository=REPO,
            api_url=api,
            server_url=fake.url,
            event_name="pull_request",
            ref=f"refs/pull/{PR}/merge",
            sha=MERGE,
            run_id=RUN,
            run_attempt="1",
            step_summary=tmp_path / "summary.md",
            output=tmp_path / "output.txt",
            actions=True,
            timeout=5,
        )
        return replace(settings, **changes)

    return make


@pytest.fixture
def make_client(
    make_settings: Callable[..., Settings], sleeps: Sleeps
) -> Callable[..., GitHubClient]:
    def make(
        token: str = WRITE_TOKEN, *, settings: Settings | None = None, **policy: Any
    ) -> GitHubClient:
        retry = RetryPolicy(sleep=sleeps, rng=lambda: 0.5, **policy)
        return GitHubClient(settings or make_settings(token), retry=retry)

    return make
