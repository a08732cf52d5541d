"""`mlci publish` reads the fork's artifact within stated limits (mlci.bounded): a report.json
or pull-request.json that is huge or nested too deeply is refused before any API call."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from mlci.cli import main

HEAD = "a" * 40


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"workflow_run": {"head_sha": HEAD, "event": "pull_request"}}))
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_TOKEN": "t",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_EVENT_NAME": "workflow_run",
        "GITHUB_EVENT_PATH": str(event),
        # no server: a test that got as far as the API would fail to connect
        "GITHUB_API_URL": "http://127.0.0.1:9",
    }


def publish(report_dir: Path, environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    config = report_dir.parent / "default-branch" / "mlci.yml"  # the default branch's checkout
    config.parent.mkdir()
    config.write_text("name: churn-model\ngates: []\n")
    err = io.StringIO()
    argv = ["publish", "--report-dir", str(report_dir), "--config", str(config)]
    assert main(argv, stderr=err) == 2
    return err.getvalue()


def artifact(tmp_path: Path, *, report: str | None = None, pull: str = '{"number": 7}') -> Path:
    folder = tmp_path / "artifact"
    folder.mkdir()
    (folder / "pull-request.json").write_text(pull)
    if report is not None:
        (folder / "report.json").write_text(report)
    return folder


def test_a_deeply_nested_report_is_refused(tmp_path, environ, monkeypatch):
    folder = artifact(tmp_path, report='{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert publish(folder, environ, monkeypatch) == (
        "mlci: error: report.json of the artifact: nested too deeply: more than 64 levels, "
        "the limit.\n"
    )


def test_a_report_past_16_mib_is_refused_unread(tmp_path, environ, monkeypatch):
    folder = artifact(tmp_path, report="")
    with (folder / "report.json").open("wb") as f:
        f.truncate(17 << 20)  # sparse
    assert publish(folder, environ, monkeypatch) == (
        f"mlci: error: {folder / 'report.json'}: larger than 16 MiB, the limit for this file.\n"
    )


def test_a_deeply_nested_pull_request_file_is_refused(tmp_path, environ, monkeypatch):
    nested = '{"number": ' + "[" * 1_000 + "]" * 1_000 + "}"  # within the 4 KiB limit
    folder = artifact(tmp_path, report="{}", pull=nested)
    assert publish(folder, environ, monkeypatch) == (
        "mlci: error: pull-request.json: nested too deeply: more than 64 levels, the limit.\n"
    )
