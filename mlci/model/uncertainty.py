"""How sure a metrics file is of each number: the optional uncertainty shape (pure).

A metric in a metrics file is a number (a point estimate, as DVC writes them) or a mapping
with its ``value`` and one way of saying how sure it is:

- ``se``: the standard error of the value;
- ``ci: [low, high]`` with ``level`` (default 0.95): a confidence interval, read as a normal
  one (``se = (high - low) / (2 z)``);
- ``n``: for a proportion metric (accuracy, precision, recall, balanced_accuracy, f1_micro, or
  any name the file's author knows to be a share), the number of rows it is a share of:
  ``se = √(p (1 - p) / n)`` (Wald).

``{"accuracy": {"value": 0.91, "n": 2000}}``. Both the candidate's file and the baseline's run
must say it for a gate to use an interval: the two values are then independent estimates and
Δ's interval is the unpaired one (:func:`mlci.model.unpaired.difference`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist
from typing import Any

KEYS = frozenset({"value", "se", "ci", "level", "n"})


def is_uncertain_metric(node: Mapping[Any, Any]) -> bool:
    """Whether a mapping in a metrics file is one metric with its uncertainty (it has a
    ``value`` and only the keys of the shape), not a group of metrics."""
    return "value" in node and all(isinstance(k, str) and k in KEYS for k in node)


def parse_uncertain(name: str, node: Mapping[str, Any]) -> tuple[float, float | None]:
    """The value and standard error of one metric in the shape; ValueError with a reason."""
    value = _number(node["value"], f"`{name}.value`")
    ways = [k for k in ("se", "ci", "n") if k in node]
    if len(ways) > 1:
        raise ValueError(f"`{name}` gives {' and '.join(ways)}; give one of se, ci or n")
    if "level" in node and "ci" not in node:
        raise ValueError(f"`{name}.level` belongs to a `ci`, which `{name}` does not give")
    if not ways:
        return value, None
    if ways[0] == "se":
        se = _number(node["se"], f"`{name}.se`")
        if se < 0:
            raise ValueError(f"`{name}.se` is {se:g}; a standard error is at least 0")
        return value, se
    if ways[0] == "ci":
        return value, _from_interval(name, value, node["ci"], node.get("level", 0.95))
    return value, _from_count(name, value, node["n"])


def _from_interval(name: str, value: float, ci: Any, level: Any) -> float:
    if not isinstance(ci, list) or len(ci) != 2:
        raise ValueError(f"`{name}.ci` must be [low, high]")
    low, high = (_number(x, f"`{name}.ci`") for x in ci)
    if not low <= value <= high:
        raise ValueError(f"`{name}.ci` [{low:g}, {high:g}] does not contain the value {value:g}")
    level = _number(level, f"`{name}.level`")
    if not 0 < level < 1:
        raise ValueError(f"`{name}.level` is {level:g}; a confidence level is between 0 and 1")
    return (high - low) / (2 * NormalDist().inv_cdf((1 + level) / 2))


def _from_count(name: str, value: float, n: Any) -> float:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"`{name}.n` must be a whole number of rows, at least 1")
    if not 0 <= value <= 1:
        raise ValueError(f"`{name}.n` is for a proportion between 0 and 1; the value is {value:g}")
    return math.sqrt(value * (1 - value) / n)


def _number(x: Any, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise ValueError(f"{what} must be a finite number")
    return float(x)
