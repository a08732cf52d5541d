"""JUnit XML of the gates and data checks, so Jenkins, GitLab and CircleCI show them natively.

The document follows the subset of the Surefire/Jenkins schema every CI reads::

    <testsuites name="mlci" tests= failures= errors="0" skipped=>
      <testsuite name="mlci.<name>" tests= failures= errors="0" skipped= time="0">
        <properties>  verdict, commit, ref, baseline  </properties>
        <testcase classname="mlci.<name>.gates" name="roc_auc: max regression 0.005" time="0">
          <failure message="…" type="gate">…</failure>          status fail
          <skipped message="…"/>                                  skipped, insufficient data
          <system-out>WARNING: …</system-out>                     warn (and other statuses)
        </testcase>
        <testcase classname="mlci.<name>.data.<dataset>" name="null_fraction: plan" …/>
      </testsuite>
    </testsuites>

A warning is not a failure (it does not fail the build either); it is a passing test case
whose output starts with ``WARNING:`` (``INCONCLUSIVE:`` for an inconclusive gate). Characters
XML cannot hold (control characters) are removed, and so are bidi overrides; everything else is
escaped by the XML writer. No timestamp, so the same report gives the same bytes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from mlci.results import CheckResult, GateResult, Report

# Characters outside XML 1.0's Char production (a writer would emit them and readers choke),
# C1 controls and the bidi overrides that can disguise text in a CI's test view.
_NOT_XML = re.compile(
    "[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
    "|[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_FAILED = {"fail"}
_SKIPPED = {"skipped", "insufficient_data"}


@dataclass(frozen=True)
class _Case:
    kind: str  # the failure type: "gate" or "data_check"
    classname: str
    name: str
    status: str
    message: str
    details: str


def render_junit(report: Report) -> str:
    """``report``'s gates and data checks as a JUnit XML document (UTF-8, newline-ended).

    One test case per gate (class ``mlci.<name>.gates``) and per data check (class
    ``mlci.<name>.data.<dataset>``), in the report's order.
    """
    cases = [
        *(_gate_case(report.name, g) for g in report.gates),
        *(_check_case(report.name, c) for c in report.checks),
    ]
    counts = _counts(cases)
    root = ET.Element("testsuites", {"name": "mlci", **counts, "time": "0"})
    suite = ET.SubElement(
        root, "testsuite", {"name": _x(f"mlci.{report.name}"), **counts, "time": "0"}
    )
    _properties(suite, report)
    for case in cases:
        _testcase(suite, case)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _x(s: str) -> str:
    return _NOT_XML.sub("", s)


def _counts(cases: Sequence[_Case]) -> dict[str, str]:
    failures = sum(c.status in _FAILED for c in cases)
    skipped = sum(c.status in _SKIPPED for c in cases)
    return {
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
    }


def _gate_case(name: str, g: GateResult) -> _Case:
    details = [g.message, f"rule: {g.threshold} ({g.rule})", f"severity: {g.severity}"]
    if g.value is not None:
        details.append(f"value: {g.value:.6g}")
    return _Case(
        "gate",
        f"mlci.{name}.gates",
        f"{g.metric}: {g.threshold}",
        g.status,
        g.message,
        "\n".join(details),
    )


def _check_case(name: str, c: CheckResult) -> _Case:
    label = f"{c.check}: {c.column}" if c.column else c.check
    details = [c.message]
    for key, value in (("observed", c.observed), ("expected", c.expected)):
        if value:
            details.append(f"{key}: {value}")
    if c.score is not None:
        details.append(f"score: {c.score:.6g}" + (f" ({c.method})" if c.method else ""))
    if c.examples:
        details.append("examples: " + ", ".join(c.examples[:10]))
    details.append(f"severity: {c.severity}")
    classname = f"mlci.{name}.data.{c.dataset}"
    return _Case("data_check", classname, label, c.status, c.message, "\n".join(details))


def _properties(suite: ET.Element, report: Report) -> None:
    props = ET.SubElement(suite, "properties")
    values = {
        "verdict": report.verdict,
        "commit": report.commit,
        "ref": report.ref,
        "baseline.branch": report.baseline.branch,
        "baseline.commit": report.baseline.commit or "",
        "mlci.version": report.tool_version,
    }
    for key, value in values.items():
        ET.SubElement(props, "property", {"name": key, "value": _x(value)})


def _testcase(suite: ET.Element, case: _Case) -> None:
    element = ET.SubElement(
        suite, "testcase", {"classname": _x(case.classname), "name": _x(case.name), "time": "0"}
    )
    if case.status in _FAILED:
        failure = ET.SubElement(
            element, "failure", {"message": _x(case.message), "type": case.kind}
        )
        failure.text = _x(case.details)
    elif case.status in _SKIPPED:
        why = "insufficient data" if case.status == "insufficient_data" else "skipped"
        ET.SubElement(element, "skipped", {"message": _x(f"{why}: {case.message}")})
    elif case.status != "pass":
        out = ET.SubElement(element, "system-out")
        out.text = _x(
            f"WARNING: {case.details}"
            if case.status == "warn"
            else f"{case.status.upper()}: {case.details}"
        )
    elif case.kind == "gate":  # a passed gate still says what it measured
        out = ET.SubElement(element, "system-out")
        out.text = _x(case.details)
