"""Fixtures shared by the whole suite (an isolated git environment, git projects, the GitHub API
fake) and the test tiers: every test is marked ``unit``, ``integration`` or ``e2e``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from tests.helpers.git import IDENTITY, GitProject
from tests.helpers.git_http import GitHttpServer

TESTS = Path(__file__).resolve().parent

# Property tests draw the same examples on every run, so CI on a fresh machine cannot fail on a
# case no one has seen; MLCI_HYPOTHESIS=explore draws new random ones (run it to look for bugs,
# then pin what it finds as an explicit test).
settings.register_profile("pinned", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("MLCI_HYPOTHESIS", "pinned"))
TIERS = ("unit", "integration", "e2e")
# Fixtures that make real git repositories, serve the GitHub or GitLab API fake or start Spark
# (a JVM and Python workers talking over sockets): a test that uses one is an integration test.
INTEGRATION_FIXTURES = frozenset(
    {
        "git_project",
        "make_repo",
        "remote_and_clone",
        "fake",
        "fake_server",
        "fake_process",
        "fake_gitlab",
        "gitlab_server",
        "make_client",
        "make_settings",
        "serve_git",
        "spark",
    }
)


# --- tiers -----------------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier (before ``-m`` selects): a marker the test or its module
    sets wins; then tests/e2e/ is ``e2e``, a test using an integration fixture ``integration``,
    and every other test ``unit``."""
    for item in items:
        given = {mark.name for mark in item.iter_markers() if mark.name in TIERS}
        if len(given) > 1:
            raise pytest.UsageError(f"{item.nodeid} is marked {' and '.join(sorted(given))}")
        if given:
            continue
        if TESTS / "e2e" in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)
        elif INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
        else:
            item.add_marker(pytest.mark.unit)


@pytest.fixture(autouse=True)
def unit_tests_run_no_git_and_open_no_connection(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hold the unit tier to its promise: a unit test that runs git or connects anywhere fails,
    saying what to do."""
    if request.node.get_closest_marker("unit") is None:
        return
    popen, connect = subprocess.Popen.__init__, socket.socket.connect
    hint = "mark the test (or its module) with pytest.mark.integration"

    def no_git(self: subprocess.Popen[Any], args: Any, *rest: Any, **kw: Any) -> None:
        program = args if isinstance(args, (str, bytes, os.PathLike)) else next(iter(args))
        if Path(os.fsdecode(program)).name == "git" and not kw.get("shell"):
            raise AssertionError(f"a unit test ran git: {hint}")
        popen(self, args, *rest, **kw)

    def no_connection(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise AssertionError(f"a unit test opened a connection to {address}: {hint}")
        connect(self, address)

    monkeypatch.setattr(subprocess.Popen, "__init__", no_git)
    monkeypatch.setattr(socket.socket, "connect", no_connection)


# --- git ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def isolated_git(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Every test sees git like a fresh CI runner: no global or system config, no identity, no
    repository above its temporary directories; and whatever a test's code adds to os.environ
    (git credentials, say) is gone after it."""
    saved = dict(os.environ)
    empty = tmp_path_factory.mktemp("gitconfig") / "config"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path_factory.getbasetemp()))
    for name in (*IDENTITY, "EMAIL", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
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


@pytest.fixture
def git_project(tmp_path: Path) -> Iterator[GitProject]:
    """A git working copy with a bare ``origin`` under tmp_path."""
    yield GitProject(tmp_path)


@pytest.fixture
def serve_git() -> Iterator[Callable[..., GitHttpServer]]:
    """``serve_git(root, tokens={TOKEN: "read" | "write"}, public=False)``: the bare
    repositories under ``root`` over HTTP, authenticated like GitHub (tests/helpers/git_http.py)."""
    servers: list[GitHttpServer] = []

    def serve(root: Path, **kw: Any) -> GitHttpServer:
        server = GitHttpServer(root, **kw).start()
        servers.append(server)
        return server

    yield serve
    for server in servers:
        server.stop()


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
