"""The evidence a model's gates are judged on: the candidate paired with the baseline (its
stored predictions, or its model file re-scored on this run's rows), unpaired intervals from each
side's own standard errors when rows cannot be paired, a metrics file's reported uncertainty, and
the intervals of each slice. Values in, values out; the model's side (pandas, scipy, the
loaders) is imported only by a run with a model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from mlci.config import Config
from mlci.gates import resolve_directions
from mlci.model.slices import baseline_slices
from mlci.records.format import Record
from mlci.results import ModelEvaluation

if TYPE_CHECKING:
    import pandas as pd

    from mlci.model.load import Predictions
    from mlci.model.pairing import PairedOutcome
    from mlci.model.slice_stats import SliceEvidence
    from mlci.model.slices import MeasuredSlices


def paired_stage(
    config: Config,
    repo: Path,
    baseline: Record | None,
    evaluation: ModelEvaluation | None,
    predictions: Predictions | None,
    frames: Mapping[str, pd.DataFrame],
) -> PairedOutcome | None:
    """Pair the candidate's predictions with the baseline's, re-scoring the baseline's model
    file on this run's rows when the stored ones are for other rows (or missing)."""
    if evaluation is None:
        return None
    # the model's side (pandas, scipy, the loaders): imported only by a run with a model
    from mlci.model.pairing import paired_outcome
    from mlci.model.rescore import rescore_baseline

    if evaluation.source == "metrics_file":
        return file_outcome(config, evaluation, baseline)
    model, rescore = config.model, None
    if model is not None and model.model is not None and baseline is not None:
        model_file, commit = model.model, baseline.commit
        rescore = lambda: rescore_baseline(  # noqa: E731
            model_file, model.task, repo, commit, frames
        )
    return paired_outcome(
        config,
        predictions,
        baseline,
        metrics=list(evaluation.metrics),
        directions=resolve_directions(config, list(evaluation.metrics)),
        rescore=rescore,
    )


def slices_evidence(
    config: Config,
    measured: MeasuredSlices | None,
    paired: PairedOutcome | None,
    predictions: Predictions | None,
    baseline: Record | None,
) -> SliceEvidence | None:
    """The intervals of each slice's Δ on its paired rows (or unpaired, from the standard
    errors the baseline record keeps for its slices), and the candidate's standard errors of
    the gated metrics on each slice (for ``max_gap`` and this run's record)."""
    if measured is None or paired is None or predictions is None:
        return None
    from mlci.model.slice_stats import slice_evidence  # the model's side: see paired_stage

    gated = {g.metric for g in config.gates if g.slice is not None}
    return slice_evidence(
        measured.values,
        paired.paired,
        paired.candidate,
        positions=paired.positions,
        n_rows=len(predictions.y_true),
        metrics=[m for m in measured.metrics if m in gated],
        gap_metrics=sorted(gated & set(measured.metrics)),
        directions=resolve_directions(config, list(measured.metrics)),
        confidence=config.stats.confidence,
        seed=config.stats.seed,
        unpaired=paired.evidence.unpaired,
        baseline=baseline_slices(baseline.extra if baseline is not None else None),
    )


def file_outcome(
    config: Config, evaluation: ModelEvaluation, baseline: Record | None
) -> PairedOutcome:
    """A metrics file's intervals: unpaired, from the standard errors this run's file and the
    baseline's record give (:mod:`mlci.model.uncertainty`)."""
    from mlci.model.pairing import PairedOutcome  # the model's side: see paired_stage
    from mlci.model.unpaired import reported_evidence

    names = list(evaluation.metrics)
    stored = baseline.extra.get("standard_errors") if baseline is not None else None
    baseline_se = {
        str(k): float(v)
        for k, v in (stored.items() if isinstance(stored, Mapping) else ())
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
    }
    evidence = reported_evidence(
        evaluation.metrics,
        evaluation.standard_errors,
        baseline.metrics() if baseline is not None else None,
        baseline_se,
        resolve_directions(config, names),
        confidence=config.stats.confidence,
    )
    return PairedOutcome(evidence)
