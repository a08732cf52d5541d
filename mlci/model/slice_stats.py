"""The intervals of each slice's Δ, computed on that slice's rows (pure).

A slice's Δ is judged like an overall Δ: the same methods (:func:`mlci.model.stats.
paired_statistics`) on the slice's rows of the paired data, so a slice of 1,250 rows gets the
wide interval its size deserves. The cost is linear: every row belongs to one slice of a
grouping, and each method is O(n log n) or better in its rows plus a fixed cost per slice.

For ``max_gap`` the slices' own uncertainty matters (a gap is between two slices of the same
model), so the candidate's standard error of each gap metric on each slice is computed too
(:func:`mlci.model.unpaired.side_errors`); slices are disjoint, so the variance of a gap is the
sum of the two slices' variances.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from mlci.model.slices import Grouping, Key, SliceValues
from mlci.model.stats import Paired, PairedStat, Side, paired_statistics
from mlci.model.unpaired import Estimate, Sample, difference, side_errors

SliceId = tuple[Grouping, Key]


@dataclass(frozen=True)
class SliceEvidence:
    """What the slice gates know about each slice.

    ``stats``: the interval of each metric's Δ per slice (paired on the slice's rows; unpaired
    when the rows could not be paired and the baseline's record keeps the slice's standard
    errors). ``spread``: the candidate's standard error of each gated metric per slice (for
    ``max_gap``, and kept in the record).
    ``unpaired``: why a slice's change rules have no interval (empty when they have).
    """

    stats: Mapping[SliceId, Mapping[str, PairedStat]] = field(default_factory=dict)
    spread: Mapping[SliceId, Mapping[str, Estimate]] = field(default_factory=dict)
    unpaired: str = ""


def subset(data: Paired, rows: np.ndarray) -> Paired:
    """``data`` on some of its rows."""

    def take(side: Side) -> Side:
        return Side(
            None if side.y_pred is None else side.y_pred[rows],
            None if side.y_score is None else side.y_score[rows],
        )

    return Paired(
        data.task, data.y_true[rows], take(data.baseline), take(data.candidate), data.n_classes
    )


def slice_evidence(
    values: Sequence[SliceValues],
    paired: Paired | None,
    candidate: Sample | None = None,
    *,
    positions: np.ndarray | None,
    n_rows: int,
    metrics: Sequence[str],
    gap_metrics: Sequence[str] = (),
    directions: Mapping[str, bool] | None = None,
    confidence: float = 0.95,
    seed: int = 0,
    unpaired: str = "",
    baseline: Mapping[SliceId, SliceValues] | None = None,
) -> SliceEvidence:
    """The intervals of Δ and the standard errors of every computed slice in ``values``.

    ``paired``: both models on the same rows, or None (``unpaired`` says why).
    ``candidate``: the candidate's outputs on all its rows, for the standard errors of
    ``gap_metrics``. ``positions``: for each paired row, its row
    in the candidate's predictions (None: the same rows in the same order); ``n_rows``: how
    many rows the candidate's predictions have. A slice's Δ uses only its rows that are paired.
    ``gap_metrics``: the metrics whose candidate standard errors are computed (``spread``).
    Without ``paired``, a slice whose ``baseline`` slice keeps standard errors gets the
    unpaired interval of each such metric (:func:`mlci.model.unpaired.difference`).
    """
    to_paired = _inverse(positions, n_rows)
    stats: dict[SliceId, Mapping[str, PairedStat]] = {}
    spread: dict[SliceId, Mapping[str, Estimate]] = {}
    for v in values:
        if not v.metrics or v.rows is None:
            continue
        sid = (v.grouping, v.key)
        if paired is not None:
            rows = v.rows if to_paired is None else to_paired[v.rows]
            rows = rows[rows >= 0]
            if len(rows):
                stats[sid] = paired_statistics(
                    subset(paired, rows),
                    metrics,
                    confidence=confidence,
                    seed=seed,
                    higher_is_better=directions,
                )
        if gap_metrics and candidate is not None:
            spread[sid] = side_errors(_rows_of(candidate, v.rows), gap_metrics, seed=seed)
        before = (baseline or {}).get(sid)
        if paired is None and before is not None and sid in spread:
            found = _unpaired(v, before, spread[sid], directions or {}, confidence)
            stats[sid] = found if found else stats.get(sid, {})
    why = "" if paired is not None else unpaired
    return SliceEvidence({k: v for k, v in stats.items() if v}, spread, why)


def _unpaired(
    v: SliceValues,
    before: SliceValues,
    own: Mapping[str, Estimate],
    directions: Mapping[str, bool],
    confidence: float,
) -> dict[str, PairedStat]:
    """The unpaired interval of each metric both the baseline's slice and this one can say."""
    z = NormalDist().inv_cdf((1 + confidence) / 2)
    out: dict[str, PairedStat] = {}
    for name, estimate in own.items():
        se, value = before.errors.get(name), before.metrics.get(name)
        if se is None or value is None or name not in directions:
            continue
        sign = 1.0 if directions[name] else -1.0
        base = Estimate(value, se)
        out[name] = difference(name, base, estimate, sign, confidence, z)
    return out


def _rows_of(sample: Sample, rows: np.ndarray) -> Sample:
    side = sample.side
    return Sample(
        sample.task,
        sample.y_true[rows],
        Side(
            None if side.y_pred is None else side.y_pred[rows],
            None if side.y_score is None else side.y_score[rows],
        ),
        sample.n_classes,
    )


def _inverse(positions: np.ndarray | None, n_rows: int) -> np.ndarray | None:
    """For each candidate row, its paired row (−1: not paired); None: the identity."""
    if positions is None:
        return None
    inverse = np.full(n_rows, -1, dtype=np.int64)
    inverse[positions] = np.arange(len(positions))
    return inverse
