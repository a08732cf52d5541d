"""How a pull request changes the rules it is judged by: gates, stats, budgets, directions, slices.

A pull request can loosen its own gates in its ``mlci.yml``. In a same-repository pull request
the status still comes from the PR's own config (its job is trusted to run it), and in the
fork-safe workflow the status comes from the default branch's config; either way the comment
says so at the top, with what changed. :func:`rule_changes` is pure: two :class:`Rules` in, one
short phrase per change out, e.g.::

    roc_auc: max_regression 0.005 → 0.05
    removed the gate on f1 (min 0.7)
    added a gate on recall [slice plan] (min 0.6, severity warn)
    stats.mode lenient → point
    budgets.latency_p95_ms: max 50 → 500
    model.directions.calibration_gap default → higher
    model.min_slice_size 30 → 500
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields

from mlci.config import BUDGETS, BudgetRule, GateConfig, Margin, Rules
from mlci.vocab import fmt_value

_GATE_FIELDS = (
    "min",
    "max",
    "max_regression",
    "min_improvement",
    "max_improvement",
    "max_gap",
    "severity",
    "direction",
    "mode",
    "slices",
)
_GATE_DEFAULTS = {f.name: f.default for f in fields(GateConfig)}
_BUDGET_FIELDS = ("max", "max_regression", "min_improvement", "severity")
_BUDGET_DEFAULTS = {f.name: f.default for f in fields(BudgetRule)}
_UNSET = {"mode": "stats.mode", "direction": "default"}  # what an unset setting means
_Target = tuple[str, tuple[str, ...] | None]  # a gate's metric and slice columns


def rule_changes(old: Rules, new: Rules) -> tuple[str, ...]:
    """What ``new`` judges differently from ``old``, one phrase per change, in config order:
    the gates, then the stats, the budgets, the directions and the smallest gated slice. Empty
    when they judge alike."""
    return (
        *_gate_changes(old.gates, new.gates),
        *_stats_changes(old, new),
        *_budget_changes(old, new),
        *_direction_changes(old.directions, new.directions),
        *_min_slice_size_change(old, new),
    )


# -- gates --------------------------------------------------------------------------------------


def _gate_changes(old: Sequence[GateConfig], new: Sequence[GateConfig]) -> list[str]:
    before, after = _by_target(old), _by_target(new)
    changes: list[str] = []
    for target in dict.fromkeys([*before, *after]):
        was, now = before.get(target, []), after.get(target, [])
        label = _label(target)
        for a, b in zip(was, now, strict=False):
            diff = _field_changes(a, b, _GATE_FIELDS)
            if diff:
                changes.append(f"{label}: {diff}")
        changes += [f"removed the gate on {label} ({_describe(g)})" for g in was[len(now) :]]
        changes += [f"added a gate on {label} ({_describe(g)})" for g in now[len(was) :]]
    return changes


def _by_target(gates: Iterable[GateConfig]) -> dict[_Target, list[GateConfig]]:
    found: dict[_Target, list[GateConfig]] = {}
    for gate in gates:
        key = (gate.metric, tuple(gate.slice) if gate.slice is not None else None)
        found.setdefault(key, []).append(gate)
    return found


def _label(target: _Target) -> str:
    metric, columns = target
    return metric if columns is None else f"{metric} [slice {', '.join(columns)}]"


def _describe(gate: GateConfig) -> str:
    """``min 0.7, max_regression 0.005`` plus the settings that are not the defaults."""
    parts = [
        f"{name} {_text(getattr(gate, name))}"
        for name in _GATE_FIELDS
        if getattr(gate, name) != _GATE_DEFAULTS[name]
    ]
    return ", ".join(parts) or "no rule"


# -- stats, budgets, directions -----------------------------------------------------------------


def _stats_changes(old: Rules, new: Rules) -> list[str]:
    return [
        f"stats.{name} {_text(getattr(old.stats, name))} → {_text(getattr(new.stats, name))}"
        for name in ("mode", "confidence", "seed")
        if getattr(old.stats, name) != getattr(new.stats, name)
    ]


def _budget_changes(old: Rules, new: Rules) -> list[str]:
    changes = []
    for name in BUDGETS:
        a = getattr(old.budgets, name) if old.budgets is not None else None
        b = getattr(new.budgets, name) if new.budgets is not None else None
        if a is not None and b is not None:
            diff = _field_changes(a, b, _BUDGET_FIELDS)
            changes += [f"budgets.{name}: {diff}"] if diff else []
        elif a is not None:
            changes.append(f"removed the budget {name} ({_describe_budget(a)})")
        elif b is not None:
            changes.append(f"added the budget {name} ({_describe_budget(b)})")
    return changes


def _describe_budget(rule: BudgetRule) -> str:
    parts = [
        f"{name} {_text(getattr(rule, name))}"
        for name in _BUDGET_FIELDS
        if getattr(rule, name) != _BUDGET_DEFAULTS[name]
    ]
    return ", ".join(parts) or "measured only"


def _direction_changes(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    return [
        f"model.directions.{metric} {old.get(metric, 'default')} → {new.get(metric, 'default')}"
        for metric in dict.fromkeys([*old, *new])
        if old.get(metric) != new.get(metric)
    ]


def _min_slice_size_change(old: Rules, new: Rules) -> list[str]:
    if old.min_slice_size == new.min_slice_size:
        return []
    return [f"model.min_slice_size {old.min_slice_size} → {new.min_slice_size}"]


# -- words ----------------------------------------------------------------------------------------


def _field_changes(a: object, b: object, names: Sequence[str]) -> str:
    """``max_regression 0.005 → 0.05, severity error → warn`` for the fields that differ."""
    return ", ".join(
        f"{name} {_text(getattr(a, name), _UNSET.get(name, 'none'))} → "
        f"{_text(getattr(b, name), _UNSET.get(name, 'none'))}"
        for name in names
        if getattr(a, name) != getattr(b, name)
    )


def _text(value: object, unset: str = "none") -> str:
    """A rule value in words: ``0.005``, ``2%``, ``0.005 or 2%``, ``lenient``; ``unset``
    when it is not set."""
    if value is None:
        return unset
    if isinstance(value, Margin):
        parts = [fmt_value(value.absolute)] if value.absolute is not None else []
        if value.relative is not None:
            parts.append(f"{fmt_value(100 * value.relative)}%")
        return " or ".join(parts) or "0"
    if isinstance(value, float):
        return fmt_value(value)
    return str(value)
