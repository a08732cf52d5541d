"""Fixtures for the end-to-end tests: a fixture repository, an act runner, a tiny API server, and
for the template tests the GitHub API fake as a process and offline package sources."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.act_harness import PROJECT_ACTION, ActRunner, FixtureRepo, snapshot_project
from tests.helpers.recording_api import RecordingAPI
from tests.helpers.templates import FakeGitHubProcess, PackageSources, package_sources


@pytest.fixture(scope="session")
def project_action(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project as `uses: mlci-dev/mlci@<sha>` would fetch it: git-visible files only."""
    return snapshot_project(tmp_path_factory.mktemp("project-action"))


@pytest.fixture
def fixture_repo(tmp_path: Path) -> FixtureRepo:
    """acme/widgets with one commit on main, pushed to its bare origin."""
    repo = FixtureRepo(tmp_path / "github")
    repo.write("README.md", "# widgets\n")
    repo.commit("Initial commit")
    return repo


@pytest.fixture
def act(tmp_path: Path, fixture_repo: FixtureRepo, project_action: Path) -> ActRunner:
    """Runs workflows for fixture_repo, with the project's action mapped to its snapshot."""
    return ActRunner(tmp_path / "act", fixture_repo, actions={PROJECT_ACTION: project_action})


@pytest.fixture
def api() -> Iterator[RecordingAPI]:
    server = RecordingAPI()
    yield server
    server.close()


@pytest.fixture(scope="session")
def packages(tmp_path_factory: pytest.TempPathFactory, project_action: Path) -> PackageSources:
    """Where the action's install finds mlci's packages offline (tests/helpers/templates.py)."""
    work = tmp_path_factory.mktemp("warm-install")
    return package_sources(project_action, work, tmp_path_factory.mktemp("caches"))


@pytest.fixture(scope="module")
def fake_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeGitHubProcess]:
    """tests/helpers/fake_github.py as a process, one per test module."""
    fake = FakeGitHubProcess(tmp_path_factory.mktemp("fake-github"))
    yield fake
    fake.stop()


@pytest.fixture
def fake(fake_process: FakeGitHubProcess) -> FakeGitHubProcess:
    """The module's fake, reset (nothing but its tokens) for this test."""
    fake_process.reset()
    return fake_process
