"""Fixtures for the end-to-end tests: a fixture repository, an act runner, a tiny API server, and
for the template tests the GitHub API fake as a process and offline package sources."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from act_harness import PROJECT_ACTION, ActRunner, FixtureRepo, snapshot_project
from templates_support import FakeGitHubProcess, PackageSources, package_sources


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: end-to-end test that runs real workflows with act in host mode"
    )


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


@dataclass
class Recorded:
    """Requests a RecordingAPI received: method, path and headers (lower-case names)."""

    requests: list[dict[str, Any]] = field(default_factory=list)


class RecordingAPI:
    """A trivial HTTP server on 127.0.0.1 answering every GET with 200 and recording it."""

    def __init__(self) -> None:
        recorded = self.recorded = Recorded()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                recorded.requests.append({"method": "GET", "path": self.path, "headers": headers})
                body = json.dumps({"ok": True}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.recorded.requests

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api() -> Iterator[RecordingAPI]:
    server = RecordingAPI()
    yield server
    server.close()


@pytest.fixture(scope="session")
def packages(tmp_path_factory: pytest.TempPathFactory, project_action: Path) -> PackageSources:
    """Where the action's install finds mlci's packages offline (templates_support.py)."""
    work = tmp_path_factory.mktemp("warm-install")
    return package_sources(project_action, work, tmp_path_factory.mktemp("caches"))


@pytest.fixture(scope="module")
def fake_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeGitHubProcess]:
    """tests/github/fake_github.py as a process, one per test module."""
    fake = FakeGitHubProcess(tmp_path_factory.mktemp("fake-github"))
    yield fake
    fake.stop()


@pytest.fixture
def fake(fake_process: FakeGitHubProcess) -> FakeGitHubProcess:
    """The module's fake, reset (nothing but its tokens) for this test."""
    fake_process.reset()
    return fake_process
