"""One report says one thing: Δ has one sign in the metric table and the gate table (the legend
says which), the evaluated commit is named for what it is, and the header's word is the last
line's."""

from __future__ import annotations

from mlci.report.html import render_html
from mlci.report.markdown import render_comment
from mlci.report.phrases import candidate_label, verdict_state
from mlci.report.terminal import render_terminal
from tests.helpers.report import gate, make_report, metric

LOG_LOSS = metric("log_loss", 0.3034, 0.0509, higher=False)  # lower is better: it got worse


def regression_gate(**kw: object):
    fields: dict[str, object] = {
        "rule": "max_regression",
        "status": "fail",
        "threshold": "regression ≤ 10%",
        "message": "log_loss got worse by 0.2525",
        "value": -0.2525,  # the rule's own value is direction-adjusted: negative is worse
        "mode": "point",
    }
    fields.update(kw)
    return gate("log_loss", **fields)


def test_one_sign_for_a_delta_in_the_metric_and_gate_tables() -> None:
    report = make_report(metrics=(LOG_LOSS,), gates=(regression_gate(),))
    comment = render_comment(report)
    metric_row = next(line for line in comment.splitlines() if line.startswith("| log\\_loss |"))
    gate_row = next(line for line in comment.splitlines() if "| log\\_loss | regression" in line)
    assert "+0.2525 ⬇" in metric_row
    assert "+0.2525 ⬇" in gate_row and "−0.2525" not in comment
    assert "Δ = this PR − main everywhere (tables and gates) · ⬆ better · ⬇ worse" in comment
    html = render_html(report)
    assert "+0.2525 ⬇" in html and "−0.2525" not in html
    assert "Δ = this PR − main everywhere" in html


def test_a_higher_is_better_metric_keeps_its_sign() -> None:
    auc = metric("roc_auc", 0.905, 0.912)
    failing = gate("roc_auc", rule="max_regression", status="fail", value=-0.007)
    comment = render_comment(make_report(metrics=(auc,), gates=(failing,)))
    assert "| ❌ | roc\\_auc | ≥ 0.85 | −0.007 ⬇ |" in comment


def test_a_run_on_main_is_not_this_pr() -> None:
    on_main = make_report(ref="refs/heads/main", metrics=(LOG_LOSS,), gates=())
    assert candidate_label(on_main) == "this commit"
    assert "this PR" not in render_comment(on_main)
    assert "this PR" not in render_terminal(on_main)
    assert "this PR" not in render_html(on_main)
    assert "| Metric | main | this commit | Δ |" in render_comment(on_main)
    assert candidate_label(make_report()) == "this PR"


def test_the_header_and_the_last_line_agree() -> None:
    inconclusive = gate("log_loss", status="inconclusive", rule="max_regression", value=-0.01)
    report = make_report(verdict="pass", metrics=(LOG_LOSS,), gates=(inconclusive,))
    assert verdict_state(report) == "warn"
    assert render_terminal(report).startswith("WARN  mlci · churn-model — passed with")
    assert render_comment(report).splitlines()[1].startswith("### ⚠️ mlci")
    plain = make_report(verdict="pass", gates=(gate("log_loss"),), checks=())
    assert verdict_state(plain) == "pass"
    assert verdict_state(make_report()) == "fail"
