"""Fixtures for `mlci monitor`: a released project with a day of production logs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.fake_github import FakeGitHub
from tests.helpers.github import REPO, TOKENS
from tests.helpers.monitor import MonitorProject


@pytest.fixture
def project(git_project: Any, tmp_path: Path) -> MonitorProject:
    """The project, committed on main, its record stored by `mlci run`, tagged v1.0.0."""
    project = MonitorProject(git_project, tmp_path)
    project.commit("the churn model")
    code, out, err = project.run_main()
    assert (code, err) == (0, ""), out
    project.tag("v1.0.0")
    return project


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeGitHub]:
    server = FakeGitHub(tokens=TOKENS).start()
    yield server
    server.stop()


@pytest.fixture
def fake(fake_server: FakeGitHub) -> FakeGitHub:
    """The fake, reset, knowing the repository."""
    fake_server.reset()
    with fake_server.lock:
        fake_server._ensure_repo(REPO)
    return fake_server
