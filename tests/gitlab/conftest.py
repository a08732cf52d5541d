"""Fixtures for mlci.gitlab: the GitLab API fake over real HTTP, with one merge request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.fake_gitlab import FakeGitLab
from tests.helpers.gitlab import HEAD, IID, PROJECT, TOKENS


@pytest.fixture(scope="session")
def gitlab_server() -> Iterator[FakeGitLab]:
    server = FakeGitLab(TOKENS).start()
    yield server
    server.stop()


@pytest.fixture
def fake_gitlab(gitlab_server: FakeGitLab) -> FakeGitLab:
    """The fake, reset, with merge request !5 of project 278964 whose head is HEAD."""
    gitlab_server.reset()
    gitlab_server.add_merge_request(PROJECT, IID, HEAD)
    return gitlab_server
