"""The interval of Δ, its method and inconclusive gates in the comment, the terminal and JSON."""

from __future__ import annotations

import json
from dataclasses import replace

from mlci.report.jsonreport import dumps_report, load_report, report_to_dict
from mlci.report.markdown import render_comment
from mlci.report.phrases import headline
from mlci.report.terminal import render_terminal
from mlci.results import Report
from tests.helpers.report import gate, make_report, metric, render_github


def with_intervals() -> Report:
    roc = replace(
        metric("roc_auc", 0.905, 0.912),
        ci_low=-0.011,
        ci_high=-0.003,
        p_value=0.0009,
        method="delong",
        ci_level=0.95,
    )
    acc = replace(
        metric("accuracy", 0.871, 0.868),
        ci_low=-0.002,
        ci_high=0.008,
        p_value=0.31,
        method="multinomial+mcnemar",
        ci_level=0.95,
    )
    loss = replace(
        metric("log_loss", 0.309, 0.301, higher=False),
        ci_low=-0.012,
        ci_high=-0.004,
        method="bootstrap",
        ci_level=0.95,
    )
    inconclusive = gate(
        "log_loss",
        "inconclusive",
        rule="max_regression",
        threshold="max regression 0.005",
        message="log_loss got worse by 0.008 (+2.7%), more than the tolerated regression of "
        "0.005, but its 95% CI of Δ [+0.004, +0.012] is not entirely beyond the margin: "
        "inconclusive",
        value=-0.008,
        mode="lenient",
        p_value=0.2,
    )
    failed = gate(
        "roc_auc",
        "fail",
        rule="max_regression",
        threshold="max regression 0.002",
        value=-0.007,
        mode="lenient",
        p_value=0.01,
    )
    return make_report(
        metrics=(roc, acc, loss, metric("f1", 0.779, 0.774)),
        gates=(failed, inconclusive),
        checks=(),
    )


def test_the_metric_table_shows_the_interval_and_the_method():
    body = render_comment(with_intervals())
    assert (
        "| Metric | main | this PR | Δ | Δ% | 95% CI of Δ | Method | Gate |\n"
        "|---|--:|--:|--:|--:|--:|---|---|\n"
        "| roc\\_auc | 0.912 | 0.905 | −0.007 ⬇ | −0.77% | [−0.011, −0.003] | DeLong p<0.001 "
        "| ❌ max regression 0.002 |\n"
        "| accuracy | 0.868 | 0.871 | +0.003 ⬆ | +0.35% | [−0.002, +0.008] "
        "| multinomial · McNemar p=0.31 |  |\n"
        "| log\\_loss | 0.301 | 0.309 | +0.008 ⬇ | +2.7% | [+0.004, +0.012] | bootstrap "
        "| ⚠️ max regression 0.005 inconclusive |\n"
        "| f1 | 0.774 | 0.779 | +0.005 ⬆ | +0.65% | — |  |  |\n"
        "\n<sub>Δ = this PR − main everywhere (tables and gates) · ⬆ better · ⬇ worse · 95% CI "
        "of Δ: both models on the same "
        "rows</sub>\n"
    ) in body
    assert render_github(body).cells_per_row.count(8) == 5  # header + 4 rows, 8 cells each


def test_lower_is_better_intervals_read_like_the_change():
    """log_loss rose by 0.008: its direction-adjusted interval [−0.012, −0.004] reads +…"""
    assert "| +0.008 ⬇ | +2.7% | [+0.004, +0.012] |" in render_comment(with_intervals())


def test_inconclusive_is_a_warning_in_the_verdict_line():
    passing = replace(with_intervals(), verdict="pass", gates=with_intervals().gates[1:])
    assert headline(passing) == "passed with 1 inconclusive gate"
    assert render_comment(passing).splitlines()[1] == (
        "### ⚠️ mlci · churn-model — passed with 1 inconclusive gate"
    )
    assert render_terminal(passing).startswith(
        "WARN  mlci · churn-model — passed with 1 inconclusive gate"
    )
    both = replace(passing, gates=(*passing.gates, gate("f1", "warn")))
    assert headline(both) == "passed with 1 warning and 1 inconclusive gate"


def test_the_terminal_shows_intervals_and_inconclusive_gates():
    text = render_terminal(with_intervals())
    assert "95% CI of Δ" in text and "[−0.011, −0.003]" in text and "DeLong p<0.001" in text
    assert "INCONCLUSIVE max regression 0.005" in text  # the metric table's gate column
    assert "\nINCONCLUSIVE  log_loss  max regression 0.005  log_loss got worse" in text


def test_report_json_carries_intervals_and_reads_them_back():
    report = with_intervals()
    doc = report_to_dict(report)
    assert doc["metrics"][0] | {"change": None, "change_pct": None, "delta": None} == {
        "name": "roc_auc",
        "value": 0.905,
        "baseline": 0.912,
        "change": None,
        "change_pct": None,
        "delta": None,
        "higher_is_better": True,
        "ci_low": -0.011,
        "ci_high": -0.003,
        "ci_level": 0.95,
        "p_value": 0.0009,
        "method": "delong",
    }
    assert doc["summary"]["gates"]["inconclusive"] == 1
    assert [g["mode"] for g in doc["gates"]] == ["lenient", "lenient"]
    back = load_report(dumps_report(report), source="report.json")
    assert back.metrics == report.metrics
    assert back.gates == report.gates


def test_without_intervals_the_table_is_unchanged():
    body = render_comment(make_report())
    assert "CI of Δ" not in body and "Method" not in body
    assert json.loads(dumps_report(make_report()))["metrics"][0]["method"] is None
