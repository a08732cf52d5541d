"""`mlci demo` runs offline, shows a failing PR verdict, and itself succeeds."""

from __future__ import annotations

import io
import json

import pytest

from mlci.cli import main

pytestmark = pytest.mark.integration  # the demo: a git project, mlci in a process


def test_demo_shows_a_failing_pull_request_and_exits_0(tmp_path, monkeypatch):
    # even inside a GitHub Actions job the demo stays local: nothing is published
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")  # nothing listens there
    out, err = io.StringIO(), io.StringIO()
    project = tmp_path / "demo"

    code = main(["demo", "--keep", str(project)], stdout=out, stderr=err)

    text = out.getvalue()
    assert (code, err.getvalue()) == (0, "")
    assert "### ❌ mlci · tumor-classifier" in text
    assert "The demo itself succeeded." in text
    report = json.loads((project / "mlci-out/pr/report.json").read_text())
    assert report["verdict"] == "fail"
    assert report["baseline"]["how"] == "merge_base"
    status = {(g["metric"], g["rule"]): g["status"] for g in report["gates"]}
    # accuracy's whole 95% interval lies beyond its margin: a sure regression, the gate fails;
    # roc_auc's drop is past its margin but its interval is not: inconclusive, not a failure
    assert status[("accuracy", "max_regression")] == "fail"
    assert status[("roc_auc", "max_regression")] == "inconclusive"
    assert {m for (m, _), s in status.items() if s == "fail"} == {"accuracy"}
    failed_checks = {
        (c["dataset"], c["check"], c["column"]) for c in report["checks"] if c["status"] == "fail"
    }
    assert ("eval", "range", "mean radius") in failed_checks
    for name in ("report.md", "report.html", "report.json", "record.json"):
        assert str(project / "mlci-out/pr" / name) in text


def test_demo_refuses_a_non_empty_directory(tmp_path):
    (tmp_path / "something").write_text("x")
    err = io.StringIO()
    assert main(["demo", "--keep", str(tmp_path)], stdout=io.StringIO(), stderr=err) == 2
    assert "not empty" in err.getvalue()
