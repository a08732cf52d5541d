"""JUnit XML: parses, counts right, one test case per gate and check, any string survives."""

from __future__ import annotations

import unicodedata
import xml.etree.ElementTree as ET

import pytest

from mlci.report.junit import render_junit
from mlci.results import Report
from tests.helpers.report import HOSTILE, check, gate, make_report
from tests.helpers.xunit_rules import xunit_violations

BIDI = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _kept(ch: str) -> bool:
    """Whether a character can stay in the XML: no controls, surrogates, non-characters, bidi."""
    if ch in "\t\n\r":
        return True
    return unicodedata.category(ch) not in ("Cc", "Cs", "Cn") and ch not in BIDI


def parse(report: Report) -> ET.Element:
    text = render_junit(report)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')
    assert text.endswith("</testsuites>\n")
    return ET.fromstring(text.encode("utf-8"))


def mixed_report() -> Report:
    return make_report(
        gates=(
            gate(
                "roc_auc",
                "fail",
                rule="max_regression",
                threshold="max regression 0.005",
                message="roc_auc got worse by 0.007",
                value=-0.007,
            ),
            gate("f1", "pass", threshold="≥ 0.7"),
            gate(
                "log_loss",
                "warn",
                severity="warn",
                threshold="max regression 10%",
                message="log_loss got worse by 12%",
            ),
            gate(
                "recall",
                "skipped",
                rule="max_regression",
                threshold="max regression 0.02",
                message="no baseline",
            ),
        ),
        checks=(
            check("pass"),
            check(
                "fail",
                check="null_fraction",
                column="plan",
                message="null fraction 1.9% > 1%",
                observed="1.9%",
                expected="≤ 1%",
                examples=("row 12",),
            ),
            check(
                "warn",
                check="drift",
                column="tenure",
                severity="warn",
                score=0.13,
                method="jensen_shannon",
                message="tenure drifted",
            ),
            check("insufficient_data", check="drift", column="age", message="too few rows"),
            check("pass", dataset="train", check="row_count", column=None, message="1,000 rows"),
        ),
    )


def test_counts_and_one_case_per_gate_and_check() -> None:
    root = parse(mixed_report())
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    assert suite.get("name") == "mlci.churn-model"
    counts = ("tests", "failures", "errors", "skipped")
    assert [suite.get(k) for k in counts] == ["9", "2", "0", "4"]  # 2 skips, 2 warnings
    assert [root.get(k) for k in counts] == ["9", "2", "0", None]
    cases = suite.findall("testcase")
    assert [c.get("classname") for c in cases] == [
        *["mlci.churn-model.gates"] * 4,
        *["mlci.churn-model.data.eval"] * 4,
        "mlci.churn-model.data.train",
    ]
    assert [c.get("name") for c in cases] == [
        "roc_auc: max regression 0.005",
        "f1: ≥ 0.7",
        "log_loss: max regression 10%",
        "recall: max regression 0.02",
        "range: age",
        "null_fraction: plan",
        "drift: tenure",
        "drift: age",
        "row_count",
    ]
    assert all(c.get("time") == "0" for c in cases)


def test_failures_skips_and_warnings() -> None:
    cases = {c.get("name"): c for c in parse(mixed_report()).iter("testcase")}
    gate_failure = cases["roc_auc: max regression 0.005"].find("failure")
    assert gate_failure is not None
    assert gate_failure.get("message") == "roc_auc got worse by 0.007"
    assert gate_failure.get("type") == "gate"
    assert "value: -0.007" in (gate_failure.text or "")
    check_failure = cases["null_fraction: plan"].find("failure")
    assert check_failure is not None and check_failure.get("type") == "data_check"
    assert "observed: 1.9%" in (check_failure.text or "")
    assert "examples: row 12" in (check_failure.text or "")
    skipped = cases["recall: max regression 0.02"].find("skipped")
    assert skipped is not None and skipped.get("message") == "skipped: no baseline"
    insufficient = cases["drift: age"].find("skipped")
    assert insufficient is not None
    assert insufficient.get("message") == "insufficient data: too few rows"
    warning = cases["log_loss: max regression 10%"]
    assert warning.find("failure") is None
    shown = warning.find("skipped")  # not a pass: listed apart, failing nothing
    assert shown is not None and shown.get("type") == "warning"
    assert shown.get("message") == "WARNING: log_loss got worse by 12%"
    assert "severity: warn" in (warning.findtext("system-out") or "")
    drift = cases["drift: tenure"].find("skipped")
    assert drift is not None and (drift.get("message") or "").startswith("WARNING: ")
    assert list(cases["range: age"]) == []  # a passed check is an empty test case


def test_properties_say_what_was_compared() -> None:
    suite = parse(mixed_report()).find("testsuite")
    assert suite is not None
    assert suite[0].tag == "properties"  # the schema wants properties before the test cases
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["verdict"] == "fail"
    assert props["commit"] == "a" * 40
    assert props["baseline.commit"] == "3f2c1ab9d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4"


def test_an_empty_report_is_a_valid_empty_suite() -> None:
    root = parse(make_report(gates=(), checks=(), verdict="pass"))
    assert root.get("tests") == "0"
    suite = root.find("testsuite")
    assert suite is not None and suite.findall("testcase") == []


def test_the_same_report_gives_the_same_bytes() -> None:
    assert render_junit(mixed_report()) == render_junit(mixed_report())


@pytest.mark.parametrize("s", [*HOSTILE, "]]></failure><x>", "nul\x00 and \ufffe\uffff", "\ud800"])
def test_any_string_survives_as_text(s: str) -> None:
    report = make_report(
        name=s,
        gates=(gate(s, "fail", threshold=s, message=s),),
        checks=(check("warn", dataset=s, check=s, column=s, message=s),),
    )
    root = parse(report)
    case = root.find("testsuite/testcase")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "".join(ch for ch in s if _kept(ch))
    assert len(root.findall(".//failure")) == 1 and root.find(".//x") is None


def test_an_inconclusive_gate_is_reported_but_passes() -> None:
    report = make_report(
        verdict="pass",
        gates=(gate("roc_auc", "inconclusive", rule="max_regression", message="maybe worse"),),
        checks=(),
    )
    root = parse(report)
    assert root.get("failures") == "0" and root.find("testsuite").get("skipped") == "1"
    case = root.find("testsuite/testcase")
    assert case is not None and case.find("failure") is None
    shown = case.find("skipped")
    assert shown is not None and shown.get("type") == "inconclusive"
    assert shown.get("message") == "INCONCLUSIVE: maybe worse"


@pytest.mark.parametrize(
    "report",
    [
        mixed_report(),
        make_report(gates=(), checks=(), verdict="pass"),
        make_report(gates=(gate("auc", "inconclusive"),), checks=(), verdict="pass"),
    ],
)
def test_valid_against_the_jenkins_xunit_schema(report: Report) -> None:
    assert xunit_violations(parse(report)) == []


def test_the_xunit_rules_refuse_what_the_schema_refuses() -> None:
    bad = ET.fromstring(
        '<testsuites skipped="1"><testsuite name="s" tests="1" failures="0" time="1s">'
        "<testcase><warning/></testcase></testsuite></testsuites>"
    )
    assert xunit_violations(bad) == [
        "<testsuites> has attribute skipped",
        "<testsuite> lacks attribute errors",
        "<testsuite> time '1s'",
        "<testcase> lacks attribute name",
        "<testcase> has child <warning>",
    ]
