"""The PR comment's history line: a sparkline per gated metric, between the table and the data."""

from __future__ import annotations

import pytest

from mlci.report.markdown import render_comment
from mlci.results import BaselineInfo
from tests.helpers.report import HOSTILE, MAIN, MENTION, REFERENCE, URL, make_report, render_github


def history_line(body: str) -> str:
    lines = [line for line in body.splitlines() if line.startswith("**History on ")]
    assert len(lines) <= 1
    return lines[0] if lines else ""


def test_history_line_shows_each_metric_as_a_sparkline() -> None:
    report = make_report(history={"roc_auc": (0.81, 0.82, 0.82, 0.83, 0.84), "f1": (0.77, 0.78)})
    body = render_comment(report)
    assert history_line(body) == (
        "**History on `main`** (oldest → newest): roc\\_auc ▁▃▃▆█ 0.81 → 0.84 (5 commits)"
        " · f1 ▁█ 0.77 → 0.78 (2 commits)"
    )
    assert body.index("| roc\\_auc |") < body.index("**History on") < body.index("**Data:**")


def test_no_history_line_without_a_trend() -> None:
    assert history_line(render_comment(make_report())) == ""
    one_point = make_report(history={"roc_auc": (0.81,), "f1": (float("nan"), 0.7)})
    assert history_line(render_comment(one_point)) == ""


def test_gaps_keep_their_place() -> None:
    report = make_report(history={"roc_auc": (0.8, float("nan"), 0.9)})
    assert "roc\\_auc ▁ █ 0.8 → 0.9 (3 commits)" in history_line(render_comment(report))


@pytest.mark.parametrize("s", HOSTILE)
def test_metric_and_branch_names_are_escaped(s: str) -> None:
    baseline = BaselineInfo(MAIN.commit, "merge_base", s)
    body = render_comment(make_report(baseline=baseline, history={s: (0.1, 0.2)}))
    rendered = render_github(history_line(body))
    assert set(rendered.tags) <= {"p", "strong", "code"}, rendered.tags
    assert rendered.comments == []
    for pattern in (MENTION, REFERENCE, URL):
        assert not pattern.search(rendered.text), (pattern, rendered.text)


def test_the_history_line_goes_before_the_metric_table_is_cut() -> None:
    report = make_report(history={"roc_auc": tuple(0.8 + i / 1000 for i in range(30))})
    full = render_comment(report)
    small = render_comment(report, max_chars=len(full) - 1)
    assert history_line(full) and history_line(small)  # details go first
    tiny = render_comment(report, max_chars=450)
    assert history_line(tiny) == "" and len(tiny) <= 450
