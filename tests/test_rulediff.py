"""What a pull request changes in the rules it is judged by, in words (mlci.rulediff)."""

from __future__ import annotations

from typing import Any

import pytest

from mlci.config import Rules, rules_from_document
from mlci.errors import ConfigError
from mlci.rulediff import rule_changes

BASE: dict[str, Any] = {
    "gates": [
        {"metric": "roc_auc", "min": 0.85, "max_regression": 0.005},
        {"metric": "f1", "min": 0.7},
        {"metric": "recall", "slice": ["plan"], "max_regression": {"relative": 0.02}},
    ],
    "stats": {"mode": "lenient", "confidence": 0.95},
    "budgets": {"latency_p95_ms": {"max": 50}},
    "directions": {"calibration_gap": "lower"},
}


def rules(**changes: Any) -> Rules:
    return rules_from_document({**BASE, **changes}, source="test")


def test_the_same_rules_written_differently_are_no_change() -> None:
    gates = [dict(g) for g in BASE["gates"]]
    gates[0]["max_regression"] = {"absolute": 0.005}  # a bare number is an absolute margin
    assert rule_changes(rules(), rules(gates=gates)) == ()
    assert rule_changes(rules(stats={"mode": "lenient"}), rules()) == ()  # 0.95 is the default


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"gates": [{**BASE["gates"][0], "max_regression": 0.05}, *BASE["gates"][1:]]},
            ["roc_auc: max_regression 0.005 → 0.05"],
        ),
        (
            {
                "gates": [
                    {**BASE["gates"][0], "severity": "warn", "mode": "point"},
                    *BASE["gates"][1:],
                ]
            },
            ["roc_auc: severity error → warn, mode stats.mode → point"],
        ),
        (
            {"gates": [BASE["gates"][0], BASE["gates"][2]]},
            ["removed the gate on f1 (min 0.7)"],
        ),
        (
            {"gates": [*BASE["gates"], {"metric": "recall", "slice": ["plan"], "min": 0.6}]},
            ["added a gate on recall [slice plan] (min 0.6)"],
        ),
        (
            {"gates": [*BASE["gates"][:2], {**BASE["gates"][2], "max_regression": 0.1}]},
            ["recall [slice plan]: max_regression 2% → 0.1"],
        ),
        (
            {"stats": {"mode": "point", "confidence": 0.99}},
            ["stats.mode lenient → point", "stats.confidence 0.95 → 0.99"],
        ),
        ({"budgets": {"latency_p95_ms": {"max": 500}}}, ["budgets.latency_p95_ms: max 50 → 500"]),
        ({"budgets": {"latency_p95_ms": {"max": 50}, "repeats": 5}}, []),  # not a rule
        (
            {"budgets": {"latency_p95_ms": {"max": 50}, "model_size_mb": {"max": 5}}},
            ["added the budget model_size_mb (max 5)"],
        ),
        ({"directions": {}}, ["model.directions.calibration_gap lower → default"]),
        ({"min_slice_size": 500}, ["model.min_slice_size 30 → 500"]),
        (
            {"gates": []},
            [
                "removed the gate on roc_auc (min 0.85, max_regression 0.005)",
                "removed the gate on f1 (min 0.7)",
                "removed the gate on recall [slice plan] (max_regression 2%)",
            ],
        ),
    ],
)
def test_each_change_is_one_phrase(changes: dict[str, Any], expected: list[str]) -> None:
    assert list(rule_changes(rules(), rules(**changes))) == expected


def test_changes_come_in_order_gates_stats_budgets_directions() -> None:
    new = rules(
        gates=BASE["gates"][:2],
        stats={"mode": "strict"},
        budgets={"latency_p95_ms": {"max": 60}},
        directions={"calibration_gap": "higher"},
    )
    assert [c.split()[0] for c in rule_changes(rules(), new)] == [
        "removed",
        "stats.mode",
        "budgets.latency_p95_ms:",
        "model.directions.calibration_gap",
    ]


def test_a_rules_document_that_is_not_a_valid_config_part_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^report.json: gates\[0\].min: expected a number"):
        rules_from_document({"gates": [{"metric": "x", "min": "low"}]}, source="report.json")
    with pytest.raises(ConfigError, match="directions: expected metric names mapped to higher"):
        rules_from_document({"directions": {"x": "up"}}, source="report.json")
    with pytest.raises(ConfigError, match="min_slice_size: expected a whole number >= 1"):
        rules_from_document({"min_slice_size": 0}, source="report.json")
    with pytest.raises(ConfigError, match="expected a mapping"):
        rules_from_document(["gates"], source="report.json")
