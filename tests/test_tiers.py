"""The test tiers hold what they promise: a unit test cannot run git or open a connection (so a
test that needs them must say it is an integration test), and every test has one tier."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest


def test_a_unit_test_cannot_run_git() -> None:
    with pytest.raises(AssertionError, match=r"a unit test ran git: mark the test"):
        subprocess.run(["git", "--version"], capture_output=True)


def test_a_unit_test_cannot_open_a_connection() -> None:
    with pytest.raises(AssertionError, match=r"a unit test opened a connection to \('127.0.0.1'"):
        socket.create_connection(("127.0.0.1", 9), timeout=1)


def test_a_unit_test_may_run_python_itself() -> None:
    done = subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, text=True)
    assert done.stdout == "42\n"


@pytest.mark.integration
def test_an_integration_test_may_run_git() -> None:
    done = subprocess.run(["git", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("git version")


def test_each_test_has_one_tier(request: pytest.FixtureRequest) -> None:
    tiers = [
        m.name for m in request.node.iter_markers() if m.name in ("unit", "integration", "e2e")
    ]
    assert tiers == ["unit"]
