"""Slices judged: compared with the baseline's same slice, sorted worst first, gated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlci.config import GateConfig, Margin
from mlci.gates import compare_metrics, compare_slices, evaluate_gates, slice_gates
from mlci.model.slices import baseline_slices, record_entry
from mlci.records.format import Record
from mlci.results import SliceResult
from tests.helpers.slices import (
    DIRECTIONS,
    binary_predictions,
    evaluation,
    record_doc,
    values,
    write_config,
)
from tests.helpers.stages import evaluate_slices

# --- comparing and sorting -------------------------------------------------------------------


def test_worst_first_is_direction_aware() -> None:
    found = [
        values("a", recall=0.8, log_loss=0.2),
        values("b", recall=0.6, log_loss=0.5),
        values("c", recall=0.7, log_loss=0.1),
        values("small", n=3),
    ]
    by_recall = compare_slices(found, {}, DIRECTIONS, order={("plan",): "recall"})
    assert [r.key[0] for r in by_recall] == ["b", "c", "a", "small"]
    assert {r.sorted_by for r in by_recall} == {"recall"}
    by_loss = compare_slices(found, {}, DIRECTIONS, order={("plan",): "log_loss"})
    assert [r.key[0] for r in by_loss] == ["b", "a", "c", "small"]  # higher loss is worse


def test_each_slice_is_compared_with_the_same_slice_of_the_baseline_record() -> None:
    base = [values("a", n=90, recall=0.9), values("b", recall=0.5)]
    stored = Record.from_dict(record_doc({"slices": list(record_entry(base))}), source="test")
    parsed = baseline_slices(json.loads(stored.to_json())["extra"])
    found = [values("a", recall=0.8), values("new", recall=0.7)]
    results = {r.key[0]: r for r in compare_slices(found, parsed, DIRECTIONS)}
    assert results["a"].metrics == compare_metrics({"recall": 0.8}, {"recall": 0.9}, DIRECTIONS)
    assert results["a"].metric("recall").delta == pytest.approx(-0.1)  # type: ignore[union-attr]
    assert results["a"].baseline_n == 90
    assert results["new"].metric("recall").baseline is None  # type: ignore[union-attr]
    assert baseline_slices({"slices": [{"grouping": ["plan"]}, "junk", {"key": 1}]}) == {}


# --- gates ------------------------------------------------------------------------------------


def results_with_baseline() -> tuple[SliceResult, ...]:
    """pro regressed most (0.9 -> 0.7) but basic is the lowest (0.65 -> 0.66)."""
    current = [
        values("basic", recall=0.66),
        values("pro", recall=0.7),
        values("enterprise", recall=0.85),
        values("tiny", n=4),
    ]
    base = {
        (("plan",), (k,)): values(k, recall=r)
        for k, r in (("basic", 0.65), ("pro", 0.9), ("enterprise", 0.84))
    }
    return compare_slices(current, base, DIRECTIONS, min_size=30)


def test_every_slice_gets_each_rule() -> None:
    gate = GateConfig("recall", slice=("plan",), min=0.66, max_regression=Margin(absolute=0.05))
    got = slice_gates([gate], results_with_baseline(), has_baseline=True, min_size=30)
    assert [(g.metric, g.rule, g.status) for g in got] == [
        ("recall [plan=basic]", "min", "pass"),
        ("recall [plan=pro]", "min", "pass"),
        ("recall [plan=enterprise]", "min", "pass"),
        ("recall [plan=basic]", "max_regression", "pass"),
        ("recall [plan=pro]", "max_regression", "fail"),
        ("recall [plan=enterprise]", "max_regression", "pass"),
    ]
    assert {g.scope for g in got} == {"slice"}
    assert got[4].message == (
        "recall [plan=pro] got worse by 0.2 (−22.2%), more than the tolerated regression of 0.05"
    )


def test_worst_checks_the_slice_nearest_to_breaching_each_rule() -> None:
    gate = GateConfig(
        "recall",
        slice=("plan",),
        slices="worst",
        min=0.7,
        max_regression=Margin(absolute=0.05),
        severity="warn",
    )
    got = slice_gates([gate], results_with_baseline(), has_baseline=True, min_size=30)
    assert [(g.metric, g.rule, g.status) for g in got] == [
        ("recall [plan=basic]", "min", "warn"),  # the lowest value
        ("recall [plan=pro]", "max_regression", "warn"),  # the largest drop
    ]
    assert (
        got[0].message
        == "recall [plan=basic] 0.66 is below the minimum 0.7 (the worst of 3 slices)"
    )


def test_every_and_worst_agree_on_the_verdict() -> None:
    results = results_with_baseline()
    for rule in (
        {"min": 0.6},
        {"min": 0.68},
        {"max_regression": Margin(absolute=0.25)},
        {"max_regression": Margin(relative=0.1)},
        {"max": 0.8},
        {"max_improvement": Margin(absolute=0.005)},
    ):
        every = slice_gates(
            [GateConfig("recall", slice=("plan",), **rule)], results, has_baseline=True, min_size=30
        )
        worst = slice_gates(
            [GateConfig("recall", slice=("plan",), slices="worst", **rule)],
            results,
            has_baseline=True,
            min_size=30,
        )
        assert ({g.status for g in every} - {"pass"}) == ({worst[0].status} - {"pass"}), rule


def test_the_gap_rule_is_best_minus_worst_and_needs_no_baseline() -> None:
    found = [values("a", log_loss=0.2), values("b", log_loss=0.5), values("c", log_loss=0.3)]
    results = compare_slices(found, {}, DIRECTIONS)
    [ok] = slice_gates(
        [GateConfig("log_loss", slice=("plan",), max_gap=0.3)],
        results,
        has_baseline=False,
        min_size=30,
    )
    assert (ok.metric, ok.rule, ok.status, ok.threshold) == (
        "log_loss [across plan]",
        "max_gap",
        "pass",
        "max gap 0.3",
    )
    assert ok.value == pytest.approx(0.3)
    assert ok.message == (
        "log_loss differs by 0.3 across plan (best plan=a: 0.2, worst plan=b: 0.5), "
        "within the tolerated gap of 0.3"
    )
    [bad] = slice_gates(
        [GateConfig("log_loss", slice=("plan",), max_gap=0.29)],
        results,
        has_baseline=False,
        min_size=30,
    )
    assert bad.status == "fail"
    one = compare_slices([values("a", log_loss=0.2), values("b", n=2)], {}, DIRECTIONS)
    [skipped] = slice_gates(
        [GateConfig("log_loss", slice=("plan",), max_gap=0.1)], one, has_baseline=False, min_size=30
    )
    assert (skipped.status, skipped.message) == (
        "skipped",
        "fewer than 2 slices by plan have a defined log_loss",
    )


def test_gates_without_any_large_slice_or_metric() -> None:
    results = compare_slices([values("a", n=3)], {}, DIRECTIONS, min_size=30)
    got = slice_gates(
        [GateConfig("recall", slice=("plan",), min=0.5, max_gap=0.1)],
        results,
        has_baseline=False,
        min_size=30,
    )
    assert [(g.metric, g.rule, g.status, g.message) for g in got] == [
        (
            "recall [plan]",
            "min",
            "skipped",
            "insufficient data: no slice by plan has 30 rows or more",
        ),
        (
            "recall [across plan]",
            "max_gap",
            "skipped",
            "insufficient data: no slice by plan has 30 rows or more",
        ),
    ]
    results = compare_slices([values("a", recall=0.5)], {}, DIRECTIONS)
    [missing] = slice_gates(
        [GateConfig("f1", slice=("plan",), min=0.5)], results, has_baseline=False, min_size=30
    )
    assert (missing.metric, missing.status) == ("f1 [plan=a]", "fail")
    assert "metric 'f1' was not computed" in missing.message


def test_change_rules_on_a_slice_the_baseline_lacks_say_so() -> None:
    results = compare_slices([values("new", recall=0.5)], {}, DIRECTIONS)
    gate = GateConfig("recall", slice=("plan",), max_regression=Margin(absolute=0.01))
    [with_record] = slice_gates([gate], results, has_baseline=True, min_size=30)
    assert (with_record.status, with_record.message) == (
        "skipped",
        "the baseline record has no recall for plan=new (new or too small there)",
    )
    [without] = slice_gates([gate], results, has_baseline=False, min_size=30)
    assert (without.status, without.message) == ("skipped", "no baseline")


def test_overall_gates_leave_slice_gates_alone() -> None:
    comparisons = compare_metrics({"recall": 0.1}, None, DIRECTIONS)
    got = evaluate_gates(
        [GateConfig("recall", slice=("plan",), min=0.5), GateConfig("recall", min=0.05)],
        comparisons,
        has_baseline=False,
    )
    assert [(g.metric, g.status) for g in got] == [("recall", "pass")]


# --- the stage --------------------------------------------------------------------------------


def test_evaluate_slices_adds_the_groupings_of_gates_and_sorts_by_the_gated_metric(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = write_config(
        tmp_path,
        """\
        model: {task: binary, slices: [[plan, country]], min_slice_size: 50,
                predictions: {path: p.csv, y_pred: pred}}
        gates:
          - {metric: recall, slice: [plan], slices: worst, min: 0.0}
        """,
    )
    p = binary_predictions()
    outcome = evaluate_slices(config, evaluation(p), p, None)
    assert [r.grouping for r in outcome.slices][:1] == [("plan", "country")]
    plan = [r for r in outcome.slices if r.grouping == ("plan",)]
    assert {r.sorted_by for r in plan} == {"recall"}
    recalls = [r.metric("recall").value for r in plan]  # type: ignore[union-attr]
    assert recalls == sorted(recalls)
    assert [g.metric for g in outcome.gates] == [f"recall [{plan[0].label}]"]
    assert {r.min_size for r in outcome.slices} == {50}
    assert len(outcome.record) == sum(not r.too_small for r in outcome.slices)
