from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlci.report.markdown import marker, render_comment
from mlci.results import BaselineInfo, BudgetResult, DatasetSummary, Report, SliceResult
from tests.helpers.report import (
    HOSTILE,
    MENTION,
    REFERENCE,
    URL,
    check,
    gate,
    make_report,
    metric,
    render_github,
)

NO_BASELINE = BaselineInfo(
    None, "none", "main", reason="no record for main@1a2b3c4 or 50 ancestors"
)
MARKER = "<!-- mlci:report name=churn-model -->"


def lines(report: Report, **kw: int) -> list[str]:
    return render_comment(report, **kw).splitlines()


def test_marker() -> None:
    assert marker("churn-model") == MARKER
    assert marker("a b-->x<y") == "<!-- mlci:report name=a_b--_x_y -->"


def test_anatomy(report: Report) -> None:
    body = render_comment(report)
    assert body.splitlines()[:3] == [
        MARKER,
        "### ❌ mlci · churn-model — 1 gate and 1 data check failed",
        "Compared with `main` @ 3f2c1ab (merge base) · eval: 12,400 rows · data: 1 dataset, "
        "3 checks",
    ]
    assert (
        "| Metric | main | this PR | Δ | Δ% | Gate |\n"
        "|---|--:|--:|--:|--:|---|\n"
        "| roc\\_auc | 0.912 | 0.905 | −0.007 ⬇ | −0.77% | ❌ max regression 0.005 |\n"
        "| f1 | 0.774 | 0.779 | +0.005 ⬆ | +0.65% | ✅ |\n"
        "| log\\_loss | 0.301 | 0.309 | +0.008 ⬇ | +2.7% |  |\n"
        "\n<sub>Δ = this PR − main everywhere (tables and gates) · ⬆ better · ⬇ worse</sub>\n"
    ) in body
    assert (
        "**Data:** ✅ 1 passed · ⚠️ 1 warning (drift in `tenure`: JS 0.13) · ❌ 1 failed "
        "(null fraction of `plan`)"
    ) in body
    assert body.endswith("<sub>mlci 0.1.0 · full report: artifact `mlci-report`</sub>\n")


def test_details_list_problems_before_passes(report: Report) -> None:
    body = render_comment(report)
    start = body.index("<details><summary>Data checks and drift (2 to look at, 1 passed)</summary>")
    section = body[start : body.index("</details>", start)]
    statuses = [row.split(" | ")[0] for row in section.splitlines() if row.startswith("| ")]
    assert statuses[1:] == ["| ❌", "| ⚠️", "| ✅"]  # after the header row
    assert "null fraction 1.9% &gt; 1% e.g. `row 12`, `row 40`" in section
    assert "<details><summary>Gates (2)</summary>" in body
    assert "<details><summary>Datasets (1)</summary>" in body


def test_the_comment_renders_as_intended(report: Report) -> None:
    r = render_github(render_comment(report))
    assert r.comments == [" mlci:report name=churn-model "]
    assert "a" not in r.tags and "img" not in r.tags
    assert r.cells_per_row.count(6) == 4  # the metric table: header + 3 rows
    assert r.cells_per_row.count(7) == 4  # data checks: header + 3 rows


PASS, FAIL = {"verdict": "pass"}, {"verdict": "fail"}


@pytest.mark.parametrize(
    ("kw", "title"),
    [
        ({**PASS, "gates": (gate("f1"),), "checks": (check(),)}, "✅ … — all gates passed"),
        ({**PASS, "gates": (), "checks": (check(),)}, "✅ … — all data checks passed"),
        (
            {**PASS, "gates": (), "checks": ()},
            "✅ … — report only: no gates or data checks configured",
        ),
        (
            {**PASS, "gates": (gate("f1", "warn"),), "checks": (check("warn"),)},
            "⚠️ … — passed with 2 warnings",
        ),
        ({**FAIL, "gates": (gate("f1", "fail"),) * 2, "checks": ()}, "❌ … — 2 gates failed"),
        (
            {**FAIL, "gates": (gate("f1"),), "checks": (check("fail"),)},
            "❌ … — 1 data check failed",
        ),
        (
            {
                **PASS,
                "baseline": NO_BASELINE,
                "gates": (gate("f1"), gate("f1", "skipped")),
                "checks": (),
            },
            "✅ … — all gates passed, 1 skipped (no baseline)",
        ),
    ],
)
def test_verdict_line(kw: dict[str, object], title: str) -> None:
    assert lines(make_report(**kw))[1] == "### " + title.replace("…", "mlci · churn-model")


def test_baseline_lines() -> None:
    ancestor = replace(make_report().baseline, how="ancestor", distance=2)
    assert lines(make_report(baseline=ancestor))[2].startswith(
        "Compared with `main` @ 3f2c1ab (nearest ancestor with a record, 2 commits before the "
        "merge base) · "
    )
    skipped = make_report(baseline=NO_BASELINE, gates=(gate("f1", "skipped"),))
    next_step = (
        " To create one, run mlci on `main` once: push to `main` (the mlci-main workflow stores "
        "its record), or `mlci run` on a checkout of `main`. · "
    )
    assert lines(skipped)[2].startswith(
        "No baseline: no record for main@\u200b1a2b3c4 or 50 ancestors. Change rules were "
        "skipped." + next_step
    )
    assert lines(make_report(baseline=NO_BASELINE, gates=()))[2].startswith(
        "No baseline: no record for main@\u200b1a2b3c4 or 50 ancestors." + next_step
    )
    on_main = make_report(baseline=NO_BASELINE, gates=(), ref="refs/heads/main")
    assert lines(on_main)[2].startswith(
        "No baseline: no record for main@\u200b1a2b3c4 or 50 ancestors. This run on `main` "
        "stores the first record; later runs compare with it. · "
    )


def test_without_baseline_the_table_has_no_change_columns() -> None:
    report = make_report(
        baseline=NO_BASELINE,
        metrics=(metric("roc_auc", 0.905, None), metric("f1", float("nan"), None)),
        gates=(
            gate(
                "roc_auc",
                "skipped",
                rule="max_regression",
                threshold="max regression 0.005",
                message="no baseline",
                value=None,
            ),
        ),
    )
    body = render_comment(report)
    assert (
        "| Metric | this PR | Gate |\n|---|--:|---|\n"
        "| roc\\_auc | 0.905 | ⏭️ max regression 0.005 skipped (no baseline) |\n"
        "| f1 | n/a |  |\n"
    ) in body
    assert "<sub>Δ" not in body


def test_a_gated_metric_that_was_not_computed_gets_a_row() -> None:
    report = make_report(
        gates=(gate("roc_auk", "fail", message="metric 'roc_auk' was not computed"),)
    )
    assert "| roc\\_auk | — | n/a | — | — | ❌ not computed |" in render_comment(report)


def test_mixed_gate_results_show_what_did_not_pass() -> None:
    gates = (gate("f1"), gate("f1", "warn", rule="max_regression", threshold="max regression 0.01"))
    assert "| f1 | 0.774 | 0.779 | +0.005 ⬆ | +0.65% | ⚠️ max regression 0.01 |" in render_comment(
        make_report(gates=gates)
    )


def hostile_report(s: str) -> Report:
    return make_report(
        name=s,
        baseline=BaselineInfo(s, "ancestor", s, distance=1),
        metrics=(metric(s, 1.0, 0.5),),
        gates=(gate(s, "fail", threshold=s, message=s),),
        checks=(
            check(
                "fail",
                dataset=s,
                check=s,
                column=s,
                message=s,
                observed=s,
                expected=s,
                examples=(s, s),
            ),
            check("warn", dataset=s + "2", check="drift", column=s, method=s, score=0.2, message=s),
        ),
        datasets=(DatasetSummary(s, s, 1, 1, s),),
        tool_version=s,
        notes=(s,),
        slices=(
            SliceResult((s, "plan"), (s, None), 120, (metric(s, 0.8, 0.9),), sorted_by=s),
            SliceResult((s, "plan"), ("x", s), 3, too_small=True, min_size=30),
        ),
        budgets=(BudgetResult(s, 2.0, 1.0, 1.0, 100.0, -1.0, "record", s),),
        history={s: (0.5, 0.6, 0.7)},
    )


ALLOWED_TAGS = {
    "h3",
    "p",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "code",
    "sub",
    "strong",
    "details",
    "summary",
    "ul",
    "li",
}


@pytest.mark.parametrize("s", HOSTILE)
def test_hostile_strings_cannot_escape_the_comment(s: str) -> None:
    body = render_comment(hostile_report(s))
    assert body.splitlines()[0].startswith("<!-- mlci:report name=")
    assert (body.count("<!--"), body.count("-->")) == (1, 1)  # in the source, code spans too
    assert body.splitlines()[1].startswith("### ❌ mlci · ")
    r = render_github(body)
    assert set(r.tags) <= ALLOWED_TAGS, r.tags
    assert len(r.comments) == 1  # only our marker
    for pattern in (MENTION, REFERENCE, URL):
        assert not pattern.search(r.text), (pattern, r.text)
    # every table keeps its shape: the same rows and cells as with a harmless string
    assert r.cells_per_row == render_github(render_comment(hostile_report("plain"))).cells_per_row
    assert r.tags.count("details") == 4


def big_report(n_checks: int, *, failing_every: int = 7) -> Report:
    checks = tuple(
        check(
            "fail" if i % failing_every == 0 else "pass",
            column=f"column_{i}",
            message=f"values of column_{i} out of range [0, 120]: 3 rows",
            examples=("-1", "999"),
        )
        for i in range(n_checks)
    )
    metrics = tuple(metric(f"metric_{i}", 0.5 + i / 1e4, 0.5) for i in range(300))
    return make_report(checks=checks, metrics=metrics)


def test_5000_checks_stay_under_the_limit_and_keep_the_verdict() -> None:
    report = big_report(5000)
    body = render_comment(report, max_chars=60_000)
    assert len(body) <= 60_000
    assert body.startswith(
        MARKER + "\n### ❌ mlci · churn-model — 1 gate and 715 data checks failed\n"
    )
    assert "passed checks: range ×4,285 (each is in the full report)." in body or (
        "<details>" not in body
    )
    assert "more rows in the full report." in body
    assert body.rstrip().endswith("full report: artifact `mlci-report`</sub>")
    r = render_github(body)
    assert r.comments == [" mlci:report name=churn-model "]


def test_shrinking_drops_passed_checks_first() -> None:
    report = big_report(30, failing_every=2)  # 15 failures, 15 passes: all listed in full
    full = render_comment(report, max_chars=10**7)
    assert full.count("| ✅ | eval | range |") == 15
    body = render_comment(report, max_chars=len(full) - 1)
    assert "✅ 15 passed checks: range ×15 (each is in the full report)." in body
    assert body.count("| ❌ | eval | range |") == 15
    assert "| ✅ | eval | range |" not in body
    assert "more rows" not in body


def test_many_passed_checks_are_counted_by_kind_not_listed() -> None:
    report = big_report(400, failing_every=50)  # 8 failures, 392 passes
    body = render_comment(report, max_chars=10**7)
    assert "✅ 392 passed checks: range ×392 (each is in the full report)." in body
    assert body.count("| ❌ | eval | range |") == 8
    assert "| ✅ | eval | range |" not in body


def test_shrinking_cuts_detail_tables_before_dropping_them() -> None:
    report = big_report(3000, failing_every=1)
    body = render_comment(report, max_chars=60_000)
    assert len(body) <= 60_000
    assert "<summary>Data checks and drift (3,000 to look at, 0 passed)</summary>" in body
    assert 0 < body.count("| ❌ | eval | range |") < 3000
    assert "more rows in the full report." in body


def test_shrinking_finally_cuts_the_metric_table() -> None:
    report = big_report(100)
    body = render_comment(report, max_chars=5_000)
    assert len(body) <= 5_000
    assert "<details>" not in body
    assert "| metric\\_0 |" in body and "| metric\\_299 |" not in body
    assert "more rows in the full report." in body


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=30_000))
def test_never_longer_than_max_chars(max_chars: int) -> None:
    body = render_comment(BIG, max_chars=max_chars)
    assert len(body) <= max_chars
    head = MARKER + "\n### ❌ mlci · churn-model — 1 gate and 143 data checks failed"
    if max_chars >= len(head):
        assert body.startswith(head)
    else:
        assert head.startswith(body)


BIG = replace(big_report(1000), notes=("a note " * 50,) * 20)


# -- the heads-up lines under the verdict ---------------------------------------------------------


def test_changed_gates_are_named_right_under_the_verdict() -> None:
    report = make_report(
        gate_changes=("roc_auc: max_regression 0.005 → 0.05", "stats.mode lenient → point")
    )

    body = lines(report)

    assert body[2] == (
        "⚠️ **Heads-up:** this PR changes its gates: roc\\_auc: max\\_regression 0.005 → 0.05; "
        "stats.mode lenient → point (applied: the status uses this PR's own gates)."
    )
    assert body[3] == "" and body[4].startswith("Compared with `main` @ 3f2c1ab")


def test_a_report_judged_by_publish_says_whose_numbers_and_whose_gates() -> None:
    report = make_report(judged_with="main", gate_changes=("removed the gate on f1 (min 0.7)",))

    body = lines(report)

    assert body[2].startswith("🔒 **Fork-safe publishing:** the numbers below were computed by ")
    assert "this pull request's own job" in body[2] and body[2].endswith("config of `main`.")
    assert body[4] == (
        "⚠️ **Heads-up:** this PR changes its gates: removed the gate on f1 \\(min 0.7\\) "
        "(not applied: the status uses the gates of `main`)."
    )


def test_heads_up_lines_are_escaped_counted_and_survive_shrinking() -> None:
    hostile = tuple(f"@octocat <!-- mlci:report name=x --> #{i}" for i in range(12))
    report = make_report(gate_changes=hostile, metrics=big_report(10).metrics)

    full = render_comment(report)
    tiny = render_comment(report, max_chars=2_000)

    assert "; and 4 more (applied" in full
    assert (full.count("<!--"), full.count("-->")) == (1, 1)
    r = render_github(full)
    assert not MENTION.search(r.text) and not REFERENCE.search(r.text)
    assert "this PR changes its gates: " in tiny and len(tiny) <= 2_000
