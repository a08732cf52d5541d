from __future__ import annotations

import re

from mlci.report.terminal import render_terminal
from mlci.results import BaselineInfo, Report
from tests.helpers.report import check, gate, make_report, metric


def test_example(report: Report) -> None:
    assert render_terminal(report) == (
        "FAIL  mlci · churn-model — 1 gate and 1 data check failed\n"
        "Compared with main @ 3f2c1ab (merge base) · eval: 12,400 rows · "
        "data: 1 dataset, 3 checks\n"
        "\n"
        "metric      main    this PR                Δ      Δ%  gate\n"
        "--------  ------  ---------  ---------------  ------  -------------------------\n"
        "roc_auc    0.912      0.905   −0.007 (worse)  −0.77%  FAIL max regression 0.005\n"
        "f1         0.774      0.779  +0.005 (better)  +0.65%  PASS\n"
        "log_loss   0.301      0.309   +0.008 (worse)   +2.7%\n"
        "\n"
        "Data checks: 1 passed, 1 warning, 1 failed\n"
        "  FAIL  eval.plan  null_fraction: null fraction 1.9% > 1%\n"
        "  WARN  eval.tenure  drift: tenure drifted: JS distance 0.13 (warn at 0.1)\n"
        "\n"
        "Gates:\n"
        "      metric    rule                  details\n"
        "----  --------  --------------------  " + "-" * 66 + "\n"
        "FAIL  roc_auc   max regression 0.005  "
        "roc_auc got worse by 0.007 (−0.77%), more than the tolerated 0.005\n"
        "PASS  f1        ≥ 0.7                 f1 is fine\n"
    )


def test_without_baseline_and_passing() -> None:
    report = make_report(
        verdict="pass",
        baseline=BaselineInfo(None, "none", "main", reason="first run on main"),
        metrics=(metric("r2", float("nan"), None),),
        gates=(),
        checks=(check(), check("insufficient_data", check="drift")),
        evaluation=None,
        datasets=(),
    )
    assert render_terminal(report) == (
        "PASS  mlci · churn-model — all data checks passed\n"
        "No baseline: first run on main. To create one, run mlci on main once: push to main "
        "(the mlci-main workflow stores its record), or `mlci run` on a checkout of main. · "
        "data: 0 datasets, 2 checks\n"
        "\n"
        "metric      this PR  gate\n"
        "--------  ---------  ------\n"
        "r2              n/a\n"
        "\n"
        "Data checks: 1 passed, 0 warnings, 0 failed, 1 with insufficient data\n"
        "  N/A   eval.age  drift: all values within [0, 120]\n"
    )


def test_control_characters_are_stripped() -> None:
    evil = "col\x1b[2J\rname\nnext\x07"
    report = make_report(
        name=evil,
        checks=(check("fail", column=evil, message=evil),),
        gates=(gate(evil, "fail", message=evil),),
        metrics=(metric(evil, 1.0, 0.5),),
        notes=(evil,),
    )
    text = render_terminal(report)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text)
    assert "col[2J name next" in text
    assert text.endswith("note: col[2J name next\n")


def test_many_problems_are_capped() -> None:
    report = make_report(checks=tuple(check("fail", column=f"c{i}") for i in range(120)))
    text = render_terminal(report)
    assert text.count("  FAIL  eval.c") == 50
    assert "  … 70 more in the full report" in text


def test_changed_gates_and_fork_safe_judging_are_said_under_the_verdict() -> None:
    report = make_report(judged_with="main", gate_changes=("stats.mode lenient → point",))
    first = render_terminal(report).splitlines()[:4]
    assert first[0].startswith("FAIL  mlci · churn-model")
    assert first[1].startswith("Fork-safe publishing: the numbers below were computed by this")
    assert first[2] == (
        "Heads-up: this PR changes its gates: stats.mode lenient → point "
        "(not applied: the status uses the gates of main)."
    )
    assert first[3].startswith("Compared with main @ 3f2c1ab")
