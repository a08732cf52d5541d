"""Whether every gated metric is one this run computes: a gate on a metric that does not exist
(a typo such as ``rsme``) or that the task cannot compute (``accuracy`` on a regression) is a
config error, not a gate failure (pure)."""

from __future__ import annotations

from collections.abc import Collection

from mlci.config import Config
from mlci.errors import ConfigError
from mlci.model.metrics import lookup, task_metrics
from mlci.yamlfile import near_miss


def check_gated_metrics(config: Config, computed: Collection[str]) -> None:
    """Raise :class:`ConfigError` for the first gate whose metric is not in ``computed`` (the
    metrics the model stage produced: the task's metrics or the metrics file's names), with
    the likely name when it is a typo of one of them or of the task's built-in metrics."""
    if config.model is None:
        return
    task = config.model.task
    for index, gate in enumerate(config.gates):
        if gate.metric in computed:
            continue
        where = config.where(f"gates[{index}].metric")
        raise ConfigError(f"{where}: {_why(gate.metric, task, computed)}")


def _why(name: str, task: str, computed: Collection[str]) -> str:
    listed = ", ".join(computed) if computed else "none"
    spec = lookup(name)
    if spec is not None and task not in spec.tasks:
        tasks = " and ".join(sorted(spec.tasks))
        return (
            f"'{name}' is a metric of {tasks} models; this {task} model's metrics are: "
            f"{listed}. Gate one of those."
        )
    if spec is not None:
        return (
            f"'{name}' is not among this run's metrics ({listed}): add it to `model.metrics` "
            "(it may need scores: `model.predictions.y_score` or `y_proba`)."
        )
    close = near_miss(name, computed) or near_miss(name, task_metrics(task))
    hint = f" Did you mean '{close}'?" if close else ""
    return f"unknown metric '{name}'.{hint} This run's metrics: {listed}."
