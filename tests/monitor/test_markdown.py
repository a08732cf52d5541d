"""The monitoring report and issue in GitHub markdown: verdict first, data made inert, bounded."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mlci.data.stage import DatasetOutcome
from mlci.github.issues import issue_marker
from mlci.monitor.markdown import closing_note, issue_title, render_monitor
from mlci.monitor.result import MonitorOutcome, ReleaseRef, RunInfo
from mlci.results import DatasetSummary, GateResult
from tests.helpers.report import (
    HOSTILE,
    MENTION,
    REFERENCE,
    URL,
    check,
    metric,
    render_github,
)

RELEASE = ReleaseRef("v1.4.0", "3f2c1ab" + "0" * 33, "deployment", "store")
RUN = RunInfo("812", "1", "schedule", "https://github.com/o/r/actions/runs/812")


def outcome(**kw) -> MonitorOutcome:
    fields = dict(
        name="churn-model",
        created_at="2024-05-02T06:17:02Z",
        tool_version="0.1.0",
        release=RELEASE,
        run=RUN,
        datasets=(
            DatasetOutcome(DatasetSummary("eval", "logs/", 24_000, 9, "sha256:x"), {}, ()),
        ),
        files={"eval": 24},
        checks=(
            check("fail", check="drift", column="tenure", score=0.31, method="jensen_shannon",
                  message="`tenure` drifted: Jensen-Shannon distance 0.310 ≥ 0.2"),
            check("pass", check="drift", column="age", score=0.02, method="jensen_shannon"),
            check("warn", check="drift_null_rate", column="plan", score=0.12, method="cohen_h"),
        ),
        comparisons=(replace(metric("roc_auc", 0.84, 0.91), ci_low=-0.09, ci_high=-0.05,
                             ci_level=0.95),),
        gates=(
            GateResult("roc_auc", "max_regression", "fail", "error", "regression ≤ 0.02 (abs)",
                       "roc_auc got worse by 0.07"),
        ),
    )  # fmt: skip
    fields.update(kw)
    return MonitorOutcome(**fields)


def test_the_report_leads_with_the_verdict_and_names_the_drifted_columns() -> None:
    body = render_monitor(outcome(), marker=issue_marker("churn-model"))
    lines = body.splitlines()
    assert lines[0] == "<!-- mlci:monitor name=churn-model -->"
    assert lines[1] == ("### ❌ mlci monitor · churn-model — drift in 1 column, 1 gate failed")
    assert lines[2].startswith(
        "Compared with release `v1.4.0` @ 3f2c1ab (live in the deployment environment) · "
        "`eval`: 24,000 rows in 24 files"
    )
    assert "**Drifted:** `tenure` (JS 0.31)." in body
    assert (
        "| roc\\_auc | 0.91 | 0.84 | — | −0.07 ⬇ | [−0.09, −0.05] | "
        "❌ regression ≤ 0.02 \\(abs\\) |" in body
    )
    assert body.rstrip().endswith(
        "<sub>mlci 0.1.0 · monitoring run [812](https://github.com/o/r/actions/runs/812) · "
        "2024-05-02T06:17:02Z · full report: monitor.json in the artifact `mlci-monitor`</sub>"
    )


def test_a_clean_run_and_its_closing_note() -> None:
    clean = outcome(checks=(check("pass", check="drift", column="age", score=0.01),), gates=())
    assert render_monitor(clean).startswith(
        "### ✅ mlci monitor · churn-model — production is within every threshold"
    )
    note = closing_note(clean)
    assert note.startswith(
        "✅ **Resolved** by monitoring run [812](https://github.com/o/r/actions/runs/812) at "
        "2024-05-02T06:17:02Z"
    )
    assert "against release `v1.4.0` (1 of 1 data checks passed)" in note


def test_the_title_names_what_failed() -> None:
    assert issue_title(outcome()) == (
        "mlci monitor: churn-model — drift in tenure; gate failed: roc_auc"
    )


@pytest.mark.parametrize("hostile", HOSTILE)
def test_nothing_from_the_data_can_mention_link_inject_or_forge_the_marker(hostile: str) -> None:
    bad = outcome(
        name=hostile,
        release=replace(RELEASE, tag=hostile),
        datasets=(DatasetOutcome(DatasetSummary(hostile, hostile, 5, 1, "sha256:x"), {}, ()),),
        files={hostile: 2},
        checks=(check("fail", dataset=hostile, check="drift", column=hostile, message=hostile,
                      score=0.5, method="jensen_shannon"),),
        comparisons=(metric(hostile, 0.5, 0.6),),
        gates=(GateResult(hostile, "min", "fail", "error", hostile, hostile),),
        notes=(hostile,),
    )  # fmt: skip
    body = render_monitor(bad, marker=issue_marker(hostile))
    assert body.count("<!--") == 1 and body.startswith("<!-- mlci:monitor name=")
    rendered = render_github(body)
    assert set(rendered.tags) <= {
        "p", "h3", "table", "thead", "tbody", "tr", "th", "td", "code", "strong", "ul", "li",
        "details", "summary", "sub", "a",
    }, rendered.tags  # fmt: skip
    assert rendered.comments == [issue_marker(hostile).removeprefix("<!--").removesuffix("-->")]
    assert rendered.tags.count("a") == 1  # the footer's link to the run, and no other
    assert not MENTION.search(rendered.text), rendered.text
    assert not URL.search(rendered.text), rendered.text
    assert not REFERENCE.search(rendered.text.replace("[812]", "")), rendered.text
    assert len(set(rendered.cells_per_row)) <= 3  # no table broken by a pipe or a newline
    for table_row in rendered.cells_per_row:
        assert table_row in (7, 5, 4)


def test_the_body_stays_within_the_limit() -> None:
    many = tuple(
        check("fail", check="range", column=f"c{i}", message="x" * 400) for i in range(2000)
    )
    body = render_monitor(outcome(checks=many), max_chars=20_000)
    assert len(body) <= 20_000
    assert body.startswith("### ❌ mlci monitor · churn-model")


def test_a_run_url_that_is_not_a_plain_url_is_not_linked() -> None:
    forged = outcome(
        run=RunInfo("812", "1", "schedule", "https://x.example/a) [click](https://evil")
    )
    body = render_monitor(forged)
    assert "monitoring run 812 ·" in body and "evil" not in body
