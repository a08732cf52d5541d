"""The model side of a run: measuring, never judging (that is :mod:`mlci.gates`).

Its pure face, re-exported here: the metric registry with each metric's direction
(:mod:`~mlci.model.metrics`) and the paired statistics of a change
(:mod:`~mlci.model.stats`). The rest reads files or runs the model:
:mod:`~mlci.model.load` and :mod:`~mlci.model.predict` (predictions), :mod:`~mlci.model.evaluate`
(the model stage), :mod:`~mlci.model.pairing` (per-example predictions kept and paired),
:mod:`~mlci.model.slices` and :mod:`~mlci.model.budgets` (slice metrics; size, latency and
memory), :mod:`~mlci.model.rescore` (the baseline's model file) and :mod:`~mlci.model.isolate`
(pickles in a child process).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlci.lazy import exports

if TYPE_CHECKING:
    from mlci.model.metrics import REGISTRY, compute_metrics, default_metrics, higher_is_better
    from mlci.model.stats import Evidence, PairedStat, paired_statistics

__getattr__ = exports(
    __name__,
    {
        "REGISTRY": "mlci.model.metrics",
        "compute_metrics": "mlci.model.metrics",
        "default_metrics": "mlci.model.metrics",
        "higher_is_better": "mlci.model.metrics",
        "Evidence": "mlci.model.stats",
        "PairedStat": "mlci.model.stats",
        "paired_statistics": "mlci.model.stats",
    },
)

__all__ = [
    "REGISTRY",
    "Evidence",
    "PairedStat",
    "compute_metrics",
    "default_metrics",
    "higher_is_better",
    "paired_statistics",
]
