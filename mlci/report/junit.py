"""JUnit XML of the gates and data checks, so Jenkins, GitLab and CircleCI show them natively.

The document is valid against the Jenkins xunit plugin's JUnit schema (``junit-10.xsd``), the
strictest of the JUnit dialects CIs read::

    <testsuites name="mlci" tests= failures= errors="0" time="0">
      <testsuite name="mlci.<name>" tests= failures= errors="0" skipped= time="0">
        <properties>  verdict, commit, ref, baseline  </properties>
        <testcase classname="mlci.<name>.gates" name="roc_auc: max regression 0.005" time="0">
          <failure message="…" type="gate">…</failure>          status fail
          <skipped message="…" type="skipped"/>                   skipped, insufficient data
          <skipped message="WARNING: …" type="warning"/>          warn
          <skipped message="INCONCLUSIVE: …" type="inconclusive"/>  inconclusive
          <system-out>…</system-out>                              what was measured
        </testcase>
        <testcase classname="mlci.<name>.data.<dataset>" name="null_fraction: plan" …/>
      </testsuite>
    </testsuites>

JUnit knows pass, failure, error and skipped. A warning or an inconclusive gate fails nothing
(the build's result is the verdict's), but is not a pass either: it is a skipped test case whose
``type`` and message say which, so a CI's test view lists it apart from the passes. Only the
``<testsuite>`` counts the skipped (the schema has no ``skipped`` on ``<testsuites>``).
Characters XML cannot hold (control characters) are removed, and so are bidi overrides;
everything else is escaped by the XML writer. No timestamp, so the same report gives the same
bytes.
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
_SKIPPED = {"skipped", "insufficient_data", "warn", "inconclusive"}


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
    totals = {k: v for k, v in counts.items() if k != "skipped"}  # not in the xunit schema
    root = ET.Element("testsuites", {"name": "mlci", **totals, "time": "0"})
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
        kind, why = _SKIP_KINDS[case.status]
        ET.SubElement(element, "skipped", {"message": _x(f"{why}: {case.message}"), "type": kind})
        if case.status in ("warn", "inconclusive") or case.kind == "gate":
            out = ET.SubElement(element, "system-out")
            out.text = _x(case.details)
    elif case.kind == "gate":  # a passed gate still says what it measured
        out = ET.SubElement(element, "system-out")
        out.text = _x(case.details)


_SKIP_KINDS = {
    "skipped": ("skipped", "skipped"),
    "insufficient_data": ("skipped", "insufficient data"),
    "warn": ("warning", "WARNING"),
    "inconclusive": ("inconclusive", "INCONCLUSIVE"),
}
