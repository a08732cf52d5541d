"""The release check (pure): strict gates against the last release, and every refusal."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mlci.config import Config, GateConfig, Margin, ModelConfig, PredictionsConfig
from mlci.model.load import Predictions
from mlci.model.pairing import encode, row_outputs
from mlci.records.format import Record
from mlci.release.check import (
    NO_BLOCKING_RULE,
    PreviousRelease,
    check_release,
    strict_config,
)
from tests.helpers.release import predictions

SHA_A, SHA_B = "a" * 40, "b" * 40
REGRESSION = GateConfig(metric="roc_auc", max_regression=Margin(absolute=0.005))
FLOOR = GateConfig(metric="roc_auc", min=0.8)


def config(*gates: GateConfig) -> Config:
    model = ModelConfig(task="binary", predictions=PredictionsConfig(Path("/p.csv")))
    return Config(
        name="m", path=Path("/repo/mlci.yml"), root=Path("/repo"), model=model, gates=gates
    )


def record(commit: str, metrics: dict[str, float], **changes: Any) -> Record:
    base = Record(
        name="m",
        commit=commit,
        ref=commit,
        created_at="2025-01-01T00:00:00Z",
        config_hash="sha256:0",
        tool_version="0",
        environment={},
        verdict="pass",
        model={"task": "binary", "source": "predictions", "n_rows": 4000, "metrics": metrics},
    )
    return replace(base, **changes)


def previous(metrics: dict[str, float], **changes: Any) -> PreviousRelease:
    return PreviousRelease("v1.0.0", SHA_A, record(SHA_A, metrics, **changes))


def stored(quality: float, seed: int = 0, rows: slice = slice(None)) -> dict[str, Any]:
    """A record's ``extra`` with the predictions of the test model, as `mlci run` stores them."""
    frame = predictions(quality, seed).iloc[rows].reset_index(drop=True)
    p = Predictions(
        frame["y_true"].to_numpy(),
        frame["y_pred"].to_numpy(),
        frame["y_score"].to_numpy(),
        None,
        None,
        frame,
    )
    return {"predictions": encode(row_outputs(p, "binary", id_column=None))}


def auc(quality: float, seed: int = 0) -> float:
    from sklearn.metrics import roc_auc_score

    frame = predictions(quality, seed)
    return float(roc_auc_score(frame["y_true"], frame["y_score"]))


# -- refusals before judging -------------------------------------------------------------------


@pytest.mark.parametrize("gates", [(), (replace(FLOOR, severity="warn"),)])
def test_without_a_blocking_rule_nothing_is_released(gates: tuple[GateConfig, ...]) -> None:
    check = check_release(
        config(*gates), record(SHA_B, {"roc_auc": 0.9}), None, tag="v1.0.0", bootstrap=True
    )
    assert not check.passed
    assert check.refusal == (
        f"Refusing to release v1.0.0 (commit bbbbbbb): {NO_BLOCKING_RULE}. Add a gate with "
        "severity error (the default) under `gates:` in mlci.yml."
    )
    assert NO_BLOCKING_RULE == (
        "no blocking rule configured: mlci never passes a release it did not check"
    )


def test_without_a_previous_release_it_is_refused_unless_bootstrapped() -> None:
    cfg, rec = config(FLOOR, REGRESSION), record(SHA_B, {"roc_auc": 0.9})

    refused = check_release(cfg, rec, None, tag="v1.0.0", no_previous="no earlier release")
    bootstrapped = check_release(cfg, rec, None, tag="v1.0.0", bootstrap=True)

    assert refused.refusal == (
        "Refusing to release v1.0.0 (commit bbbbbbb): no earlier release to compare with. For "
        "the first release of this model run `mlci release --bootstrap` (change rules are "
        "then skipped; min/max rules still apply)."
    )
    assert bootstrapped.passed
    assert [(g.rule, g.status) for g in bootstrapped.gates] == [
        ("min", "pass"),
        ("max_regression", "skipped"),
    ]
    assert any("--bootstrap" in n for n in bootstrapped.notes)


def test_bootstrapping_still_applies_absolute_rules() -> None:
    check = check_release(
        config(FLOOR), record(SHA_B, {"roc_auc": 0.7}), None, tag="v1.0.0", bootstrap=True
    )
    assert check.refusal == (
        "Refusing to release v1.0.0 (commit bbbbbbb): 1 gate failed: roc_auc ≥ 0.8: roc_auc "
        "0.7 is below the minimum 0.8."
    )


# -- judging against the previous release ------------------------------------------------------


def test_a_regression_since_the_previous_release_names_the_gate_and_both_commits() -> None:
    check = check_release(
        config(FLOOR, REGRESSION),
        record(SHA_B, {"roc_auc": 0.90}),
        previous({"roc_auc": 0.92}),
        tag="v1.1.0",
    )
    assert check.refusal is not None
    assert check.refusal.startswith(
        "Refusing to release v1.1.0 (commit bbbbbbb): 1 gate failed in strict mode against "
        "v1.0.0 (aaaaaaa): roc_auc max regression 0.005: roc_auc got worse by 0.02"
    )
    [roc] = [c for c in check.comparisons if c.name == "roc_auc"]
    assert (roc.baseline, roc.value) == (0.92, 0.90)


def test_every_failing_gate_and_data_check_is_named_in_one_message() -> None:
    broken = {
        "dataset": "eval",
        "check": "missing_column",
        "column": "age",
        "status": "fail",
        "severity": "error",
        "message": "column age is missing",
    }
    accuracy = GateConfig(metric="accuracy", min=0.95)
    check = check_release(
        config(FLOOR, REGRESSION, accuracy),
        record(SHA_B, {"roc_auc": 0.7, "accuracy": 0.9}, checks=(broken,)),
        previous({"roc_auc": 0.92, "accuracy": 0.9}),
        tag="v1.1.0",
    )
    assert check.refusal is not None
    assert "3 gates and 1 data check failed in strict mode against v1.0.0" in check.refusal
    assert check.refusal.count("; ") >= 3
    assert check.refusal.endswith("data check missing_column on eval.age: column age is missing.")
    assert "\n" not in check.refusal


def test_an_override_recorded_on_a_pull_request_never_counts_for_a_release() -> None:
    overridden = {
        "metric": "roc_auc",
        "rule": "max_regression",
        "status": "warn",
        "severity": "error",
        "threshold": "max regression 0.005",
        "message": "overridden by @maint: roc_auc got worse",
    }
    rec = record(
        SHA_B,
        {"roc_auc": 0.90},
        verdict="pass",
        gates=(overridden,),
        extra={"override": {"by": "maint", "accepted": True}},
    )
    check = check_release(config(REGRESSION), rec, previous({"roc_auc": 0.92}), tag="v1.1.0")
    assert not check.passed
    assert [g.status for g in check.gates] == ["fail"]


def test_nothing_checkable_is_refused() -> None:
    check = check_release(
        config(REGRESSION),
        record(SHA_B, {"roc_auc": 0.9}),
        previous({"accuracy": 0.9}),
        tag="v1.1.0",
    )
    assert check.refusal == (
        "Refusing to release v1.1.0 (commit bbbbbbb): none of the blocking rules could be "
        "checked in strict mode against v1.0.0 (aaaaaaa) (roc_auc: no baseline). mlci never "
        "passes a release it did not check."
    )


def test_slice_and_budget_gates_come_from_the_tagged_record() -> None:
    failed = {
        "metric": "latency_p95_ms",
        "rule": "max",
        "status": "fail",
        "severity": "error",
        "threshold": "≤ 20",
        "message": "latency_p95_ms 31 is above the maximum 20",
        "scope": "budget",
    }
    check = check_release(
        config(FLOOR),
        record(SHA_B, {"roc_auc": 0.9}, gates=(failed,)),
        previous({"roc_auc": 0.9}),
        tag="v1.1.0",
    )
    assert check.refusal is not None
    assert "latency_p95_ms ≤ 20: latency_p95_ms 31 is above the maximum 20" in check.refusal


# -- strict mode with paired predictions ------------------------------------------------------


def test_every_gate_is_judged_strict_whatever_its_own_mode() -> None:
    cfg = strict_config(config(replace(REGRESSION, mode="point"), FLOOR))
    assert {g.mode for g in cfg.gates} == {"strict"} and cfg.stats.mode == "strict"


@pytest.mark.parametrize(
    ("quality", "seed", "released"),
    [
        (1.45, 1, False),  # −0.002 by the point estimate, but the interval reaches past −0.005
        (1.5, 1, True),  # no real change: the whole interval is within the margin
        (1.6, 0, True),  # better
        (1.3, 0, False),  # clearly worse
    ],
)
def test_strict_mode_needs_the_whole_interval_within_the_margin(
    quality: float, seed: int, released: bool
) -> None:
    cfg = config(replace(REGRESSION, mode="lenient"))
    prev = previous({"roc_auc": auc(1.5)}, extra=stored(1.5))
    rec = record(SHA_B, {"roc_auc": auc(quality, seed)}, extra=stored(quality, seed))

    check = check_release(cfg, rec, prev, tag="v1.1.0")

    [roc] = [c for c in check.comparisons if c.name == "roc_auc"]
    assert roc.method == "delong" and roc.ci_low is not None and roc.ci_high is not None
    assert roc.ci_low <= roc.delta <= roc.ci_high  # type: ignore[operator]
    assert roc.delta == pytest.approx(auc(quality, seed) - auc(1.5), abs=1e-6)
    assert check.passed is released
    assert check.passed is (roc.ci_low >= -0.005)
    assert [g.mode for g in check.gates] == ["strict"]


def test_when_the_evaluation_rows_changed_between_releases_they_are_compared_unpaired() -> None:
    prev = previous({"roc_auc": 0.9}, extra=stored(1.5, rows=slice(0, 3000)))
    rec = record(SHA_B, {"roc_auc": 0.9}, extra=stored(1.5))

    check = check_release(config(REGRESSION), rec, prev, tag="v1.1.0")

    [roc] = [c for c in check.comparisons if c.name == "roc_auc"]
    assert roc.method == "unpaired"
    assert roc.ci_low is not None and roc.ci_high is not None
    assert roc.ci_low < roc.delta < roc.ci_high  # the records' values, the unpaired interval
    assert [g.mode for g in check.gates] == ["strict"]
    assert check.passed is (roc.ci_low >= -0.005)
    assert any("Δ compared unpaired" in n for n in check.notes)
    # fewer rows on the earlier side: a wider interval, which no longer shows non-inferiority
    small = previous({"roc_auc": 0.9}, extra=stored(1.5, rows=slice(0, 300)))
    refused = check_release(config(REGRESSION), rec, small, tag="v1.1.0")
    assert [(g.status, g.mode) for g in refused.gates] == [("fail", "strict")]
    assert "not entirely within the margin" in refused.gates[0].message


def test_without_stored_predictions_strict_rules_use_the_point_estimate() -> None:
    check = check_release(
        config(REGRESSION),
        record(SHA_B, {"roc_auc": 0.918}),
        previous({"roc_auc": 0.92}),
        tag="v1.1.0",
    )
    assert check.passed
    assert [g.mode for g in check.gates] == ["point"]


def test_a_budget_rule_is_a_blocking_rule_too() -> None:
    from mlci.config import BudgetRule, BudgetsConfig

    cfg = replace(config(), budgets=BudgetsConfig(model_size_mb=BudgetRule(max=50.0)))
    check = check_release(cfg, record(SHA_B, {"roc_auc": 0.9}), None, tag="v1.0.0", bootstrap=True)
    assert check.passed
    no_rule = replace(config(), budgets=BudgetsConfig(model_size_mb=BudgetRule()))
    assert not check_release(no_rule, record(SHA_B, {}), None, tag="v1", bootstrap=True).passed
