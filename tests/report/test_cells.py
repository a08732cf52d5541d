"""One row and one gate cell for every format: the comment, report.html, the terminal and the
model card say the same about a metric and its gates."""

from __future__ import annotations

from dataclasses import replace

from mlci.release.check import ReleaseCheck
from mlci.release.model_card import metric_table
from mlci.release.version import parse_tag
from mlci.report.cells import gate_cell, md_gate_cell, method_text, metric_row
from mlci.report.html import render_html
from mlci.report.markdown import render_comment
from mlci.report.terminal import render_terminal
from mlci.results import (
    STATUS_ICONS,
    STATUS_LABELS,
    STATUS_ORDER,
    STATUS_WORDS,
    MetricComparison,
)
from tests.helpers.report import gate, make_report, metric

GATES = (
    gate("log_loss", "inconclusive", rule="max_regression", threshold="max regression 0.005"),
    gate("log_loss", "skipped", rule="min_improvement", threshold="min improvement 0.01",
         message="no baseline"),
    gate("log_loss", "pass", rule="max", threshold="≤ 0.5"),
)  # fmt: skip


def loss_with_interval() -> MetricComparison:
    loss = metric("log_loss", 0.309, 0.301, higher=False)
    return replace(
        loss, ci_low=-0.012, ci_high=-0.004, method="delong", p_value=0.041, ci_level=0.95
    )


def test_every_status_has_an_icon_a_label_a_word_and_a_place() -> None:
    statuses = {"pass", "warn", "fail", "skipped", "insufficient_data", "inconclusive"}
    for table in (STATUS_ICONS, STATUS_LABELS, STATUS_WORDS, STATUS_ORDER):
        assert set(table) == statuses
    assert sorted(statuses, key=STATUS_ORDER.__getitem__)[0] == "fail"
    assert sorted(statuses, key=STATUS_ORDER.__getitem__)[-1] == "pass"


def test_the_row_of_a_lower_is_better_metric_reads_on_the_scale_of_its_change() -> None:
    row = metric_row(loss_with_interval(), GATES)
    assert (row.value, row.baseline, row.change, row.change_pct) == (
        "0.309",
        "0.301",
        "+0.008",
        "+2.7%",
    )
    assert row.direction == "worse"
    assert row.interval == "[+0.004, +0.012]"  # the interval of Δ turned to the raw change
    assert row.method == "DeLong p=0.041"
    assert [m.status for m in row.gate.marks] == ["inconclusive", "skipped"]
    assert row.gate.marks[1].reason == "no baseline"


def test_a_cell_says_whether_there_is_a_gate_at_all() -> None:
    assert not gate_cell(()).gated and not gate_cell(()).passed
    assert gate_cell([gate("f1")]).passed
    assert md_gate_cell(gate_cell([gate("f1")])) == "✅"
    assert method_text("a|b", None, escape=lambda s: s.replace("|", "\\|")) == "a\\|b"
    assert method_text(None, 0.5) is None


def test_every_format_shows_the_same_gate_cell() -> None:
    report = make_report(metrics=(loss_with_interval(),), gates=GATES, checks=())
    cell = md_gate_cell(gate_cell(GATES))
    assert cell == (
        "⚠️ max regression 0.005 inconclusive · ⏭️ min improvement 0.01 skipped (no baseline)"
    )
    assert cell in render_comment(report)
    check = ReleaseCheck("v2", "d" * 40, None, comparisons=report.metrics, gates=GATES)
    assert cell in metric_table(check, parse_tag("v2"))  # the model card: the same markdown
    terminal = render_terminal(report)
    assert "INCONCLUSIVE max regression 0.005; SKIP min improvement 0.01 (no baseline)" in terminal
    page = render_html(report)
    assert "⚠️ inconclusive</span> max regression 0.005" in page
    assert "⏭️ skipped</span> min improvement 0.01 <span class=muted>(no baseline)</span>" in page


def test_every_format_shows_the_same_numbers_interval_and_method() -> None:
    report = make_report(metrics=(loss_with_interval(),), gates=(), checks=())
    row = metric_row(report.metrics[0], ())
    for text in (render_comment(report), render_terminal(report), render_html(report)):
        for piece in (row.value, row.baseline, row.change, row.change_pct, row.interval):
            assert piece is not None and piece in text
        assert "95% CI of Δ" in text
    for text in (render_comment(report), render_terminal(report), render_html(report)):
        assert "DeLong p=0.041" in text
