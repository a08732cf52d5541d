"""The deploy command: its environment, its output, its exit code, its timeout."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from mlci.release.deploy import deploy_environment, run_deploy
from mlci.release.version import parse_tag

pytestmark = pytest.mark.integration  # the deploy command in bash


def env(tmp_path: Path) -> dict[str, str]:
    base = {"PATH": "/usr/bin:/bin", "MLCI_GITHUB_TOKEN": "secret-token", "DEPLOY_KEY": "k"}
    return deploy_environment(
        base,
        bundle_dir=tmp_path / "bundle",
        tag=parse_tag("v2.0.0-rc.1"),
        commit="c" * 40,
        environment="staging",
        release_url="https://x/releases/tag/v2.0.0-rc.1",
    )


def test_the_command_sees_the_bundle_version_tag_and_commit_but_not_the_token(
    tmp_path: Path,
) -> None:
    out = io.StringIO()
    script = (
        'echo "$MLCI_BUNDLE_DIR|$MLCI_VERSION|$MLCI_TAG|$MLCI_COMMIT|$MLCI_ENVIRONMENT|'
        '${MLCI_GITHUB_TOKEN:-unset}|$DEPLOY_KEY|$PWD"'
    )

    result = run_deploy(script, cwd=tmp_path, env=env(tmp_path), timeout=30, out=out)

    assert result.ok and result.exit_code == 0
    expected = f"{tmp_path / 'bundle'}|2.0.0-rc.1|v2.0.0-rc.1|{'c' * 40}|staging|unset|k|{tmp_path}"
    assert out.getvalue() == expected + "\n"
    assert result.tail == expected


def test_stderr_is_captured_and_a_failure_keeps_the_last_lines(tmp_path: Path) -> None:
    out = io.StringIO()
    script = "for i in $(seq 1 30); do echo line $i; done; echo boom >&2; exit 7"

    result = run_deploy(script, cwd=tmp_path, env=env(tmp_path), timeout=30, out=out)

    assert (result.ok, result.exit_code, result.timed_out) == (False, 7, False)
    assert out.getvalue().splitlines()[-1] == "boom"
    assert result.tail.splitlines() == [f"line {i}" for i in range(12, 31)] + ["boom"]
    assert result.describe().startswith("the deploy command exited with 7 after ")


def test_a_pipeline_fails_like_a_bash_step(tmp_path: Path) -> None:
    result = run_deploy(
        "false | cat; echo not reached",
        cwd=tmp_path,
        env=env(tmp_path),
        timeout=30,
        out=io.StringIO(),
    )
    assert result.exit_code == 1 and "not reached" not in result.tail


def test_a_command_past_its_timeout_is_stopped_with_its_children(tmp_path: Path) -> None:
    marker = tmp_path / "survived"
    started = time.monotonic()

    result = run_deploy(
        f"(sleep 3; touch {marker}) & echo started; wait",
        cwd=tmp_path,
        env=env(tmp_path),
        timeout=0.5,
        out=io.StringIO(),
    )

    assert result.timed_out and not result.ok and result.exit_code is None
    assert time.monotonic() - started < 1.4
    assert result.describe().startswith("the deploy command timed out after 0.")
    time.sleep(1.5)
    assert not marker.exists()
