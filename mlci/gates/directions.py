"""Whether each metric is better higher or lower, decided once for a run (pure)."""

from __future__ import annotations

from collections.abc import Iterable

from mlci.config import Config
from mlci.errors import ConfigError
from mlci.model.metrics import higher_is_better


def resolve_directions(config: Config, metric_names: Iterable[str]) -> dict[str, bool]:
    """Whether each reported or gated metric is better higher (``True``) or lower (``False``).

    Looked up in order: the gate's ``direction``, ``model.directions``, then the metric registry
    and name patterns (:func:`mlci.model.metrics.higher_is_better`). Metrics whose direction
    stays unknown are left out (they are reported without a direction-adjusted Δ), except
    gated ones, which raise :class:`ConfigError`.

    Example: ``resolve_directions(config, ["roc_auc", "log_loss"])`` is
    ``{"roc_auc": True, "log_loss": False}``.
    """
    from_gates = _gate_directions(config)
    overrides = config.model.directions if config.model is not None else {}
    gated = [g.metric for g in config.gates]
    directions: dict[str, bool] = {}
    for name in dict.fromkeys([*metric_names, *gated]):
        found = from_gates.get(name)
        if found is None:
            found = higher_is_better(name, overrides)
        if found is not None:
            directions[name] = found
        elif name in gated:
            raise _unknown_direction(config, gated.index(name), name)
    return directions


def _gate_directions(config: Config) -> dict[str, bool]:
    """``direction`` set on gate entries; two entries of one metric must agree."""
    found: dict[str, tuple[int, str]] = {}
    for i, gate in enumerate(config.gates):
        if gate.direction is None:
            continue
        first = found.setdefault(gate.metric, (i, gate.direction))
        if first[1] != gate.direction:
            raise ConfigError(
                f"{config.where(f'gates[{i}].direction')}: '{gate.direction}' contradicts "
                f"gates[{first[0]}].direction '{first[1]}' for metric '{gate.metric}'. "
                "Give the metric one direction."
            )
    return {metric: direction == "higher" for metric, (_, direction) in found.items()}


def _unknown_direction(config: Config, index: int, name: str) -> ConfigError:
    return ConfigError(
        f"{config.where(f'gates[{index}].metric')}: metric '{name}' has no known direction. "
        "Add `direction: higher` (or lower) to the gate, or "
        f"`model.directions: {{{name}: higher}}`."
    )
