"""`mlci validate` writes report.json and, with --junit, JUnit XML of the data checks."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from mlci.cli import main
from mlci.report.jsonreport import load_report
from tests.helpers.xunit_rules import xunit_violations

CONFIG = """\
name: v
datasets:
  d:
    path: d.csv
    checks:
      - {column: age, min: 0}
      - {column: plan, max_null_fraction: 0.0, severity: warn}
"""
DATA = "age,plan\n3,a\n-1,\n7,b\n"  # one age below 0 (fails), one null plan (warns)


def _run(*argv: str, cwd: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["validate", "-c", str(cwd / "mlci.yml"), *argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_validate_writes_report_json_and_junit(git_project: Any) -> None:
    git_project.write("mlci.yml", CONFIG)
    git_project.write("d.csv", DATA)
    head = git_project.commit("data")
    out, junit = git_project.path / "out", git_project.path / "reports" / "checks.xml"

    code, stdout, stderr = _run(
        "--output-dir", str(out), "--junit", str(junit), cwd=git_project.path
    )

    assert (code, stderr) == (1, "")
    assert f"junit: {junit}" in stdout
    report = load_report((out / "report.json").read_text(), source="report.json")
    assert (report.verdict, report.commit, report.gates) == ("fail", head, ())
    statuses = sorted((c.column, c.status) for c in report.checks if c.status != "pass")
    assert statuses == [("age", "fail"), ("plan", "warn")]
    root = ET.parse(junit).getroot()
    assert xunit_violations(root) == []
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("skipped")) == ("1", "1")  # the warning: skipped


def test_validate_against_a_profiles_file_needs_no_repository(tmp_path: Path) -> None:
    (tmp_path / "mlci.yml").write_text(CONFIG)
    (tmp_path / "d.csv").write_text(DATA)
    (tmp_path / "none.json").write_text("{}")

    code, _, stderr = _run(
        "--against", str(tmp_path / "none.json"), "--output-dir", str(tmp_path / "o"), cwd=tmp_path
    )

    assert (code, stderr) == (1, "")
    report = load_report((tmp_path / "o" / "report.json").read_text(), source="report.json")
    assert report.commit == "" and report.baseline.commit is None
    assert "none.json" in report.baseline.reason
