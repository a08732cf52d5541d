"""scikit-learn's names for mlci's metrics: each an alias of one registered metric (pure).

Users write the names scikit-learn taught them: a scorer name (``neg_log_loss``, ``f1_macro``,
``neg_root_mean_squared_error``) or a function name (``brier_score_loss``,
``mean_absolute_error``). Each resolves to one metric of the registry
(:data:`mlci.model.metrics.REGISTRY`), and values are reported under that canonical name only.

scikit-learn maximises every scorer, so a ``neg_*`` scorer is its metric negated: its alias
carries the sign -1. ``neg_log_loss`` is ``log_loss`` (lower is better), a gate
``{metric: neg_log_loss, min: -0.35}`` is ``{metric: log_loss, max: 0.35}``, and the margins
of change rules, which are direction-adjusted, stay as they are.

This table, and :func:`canonical_gate` and :func:`canonical_directions` which turn a config's
gates and directions written with these names into ones on registered metrics, sit below both
the config and the registry (whose lookup resolves aliases); a test keeps every target
registered.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple


class Alias(NamedTuple):
    """The registered metric a name stands for; ``sign`` -1: the name is the metric negated."""

    metric: str
    sign: int = 1


def _negated(metric: str) -> Alias:
    return Alias(metric, -1)


ALIASES: Mapping[str, Alias] = MappingProxyType(
    {
        # scorer names (sklearn.metrics.get_scorer_names())
        "precision_micro": Alias("accuracy"),  # micro-averaged single-label precision
        "recall_micro": Alias("accuracy"),
        "roc_auc_ovr": Alias("roc_auc"),
        "neg_log_loss": _negated("log_loss"),
        "neg_brier_score": _negated("brier_score"),
        "neg_mean_absolute_error": _negated("mae"),
        "neg_mean_squared_error": _negated("mse"),
        "neg_root_mean_squared_error": _negated("rmse"),
        "neg_mean_absolute_percentage_error": _negated("mape"),
        "neg_mean_squared_log_error": _negated("msle"),
        "neg_root_mean_squared_log_error": _negated("rmsle"),
        "neg_median_absolute_error": _negated("median_absolute_error"),
        "neg_max_error": _negated("max_error"),
        "d2_absolute_error_score": Alias("d2_absolute_error"),
        # function names (sklearn.metrics.<name>)
        "accuracy_score": Alias("accuracy"),
        "balanced_accuracy_score": Alias("balanced_accuracy"),
        "precision_score": Alias("precision"),
        "recall_score": Alias("recall"),
        "f1_score": Alias("f1"),
        "roc_auc_score": Alias("roc_auc"),
        "average_precision_score": Alias("average_precision"),
        "brier_score_loss": Alias("brier_score"),
        "mean_absolute_error": Alias("mae"),
        "mean_squared_error": Alias("mse"),
        "root_mean_squared_error": Alias("rmse"),
        "mean_absolute_percentage_error": Alias("mape"),
        "mean_squared_log_error": Alias("msle"),
        "root_mean_squared_log_error": Alias("rmsle"),
        "r2_score": Alias("r2"),
        "explained_variance_score": Alias("explained_variance"),
        "jaccard_score": Alias("jaccard"),
        "top_k_accuracy_score": Alias("top_k_accuracy"),
        "cohen_kappa_score": Alias("cohen_kappa"),
    }
)


def resolve_alias(name: str) -> Alias:
    """The metric ``name`` stands for: its alias target, or ``name`` itself (sign 1)."""
    return ALIASES.get(name, Alias(name))


# --- a config's gates and directions under registered names ---------------------------------

_FLIPPED = {"higher": "lower", "lower": "higher"}


def canonical_gate(section: Mapping[str, Any]) -> Mapping[str, Any]:
    """A gate on a scikit-learn name (``neg_log_loss``) as the gate on its registered metric
    (``log_loss``): a negated name turns its bounds and direction around (``min: -0.35`` is
    ``max: 0.35``); margins of change are direction-adjusted and stay as they are."""
    alias = resolve_alias(section["metric"])
    if alias.sign > 0:
        return {**section, "metric": alias.metric}
    gate = {k: v for k, v in section.items() if k not in ("min", "max")}
    gate["metric"] = alias.metric
    if "min" in section:
        gate["max"] = -section["min"]
    if "max" in section:
        gate["min"] = -section["max"]
    if "direction" in section:
        gate["direction"] = _FLIPPED[section["direction"]]
    return gate


def canonical_directions(directions: Mapping[str, str]) -> dict[str, str]:
    """``model.directions`` keyed by registered names, a negated name's direction turned."""
    found = {}
    for name, direction in directions.items():
        alias = resolve_alias(name)
        found[alias.metric] = direction if alias.sign > 0 else _FLIPPED[direction]
    return found
