"""Metric history on the baseline branch, read from the stored records.

The history of a metric is its value in the records of the last commits of ``main`` (following
first parents, as ``git log --first-parent`` does), oldest first. Commits without a record,
records without the metric, and corrupt records are left out: a history is a picture of the
trend, never a reason for a run to fail.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from mlci.errors import RecordError
from mlci.git import first_parent_ancestors, resolve_commit
from mlci.records.format import Record
from mlci.records.store import RecordStore

History = dict[str, list[tuple[str, float]]]  # metric -> [(short sha, value)], oldest first


def history_from_store(
    repo: Path,
    store: RecordStore,
    name: str,
    branch: str,
    metrics: Sequence[str],
    *,
    start: str | None = None,
    limit: int = 30,
    max_depth: int = 500,
) -> History:
    """The values of ``metrics`` in the last ``limit`` records of ``branch``.

    Parameters
    ----------
    repo, store, name:
        The repository, where records live, and the config name they are stored under.
    branch:
        The baseline branch; its tip (``origin/<branch>``, else the local branch) is where the
        walk starts unless ``start`` is given.
    metrics:
        The metric names wanted (each gets a list, possibly empty).
    start:
        The commit to walk back from, e.g. the baseline commit of a pull request; it is
        included when it has a record.
    limit:
        How many records at most (the most recent ones).
    max_depth:
        How many first-parent ancestors are looked at, records or not.

    Returns
    -------
    ``{metric: [(short sha, value), ...]}``, oldest first, e.g.
    ``{"roc_auc": [("3f2c1ab", 0.81), ("9a0b1c2", 0.84)]}``.
    """
    records = _recent_records(repo, store, name, branch, start, limit, max_depth)
    return {
        m: [(r.commit[:7], v) for r in records if (v := metric_value(r, m)) is not None]
        for m in metrics
    }


def metric_value(record: Record, metric: str) -> float | None:
    """The finite value of ``metric`` in ``record``, or None when it has none."""
    value = (record.model or {}).get("metrics", {}).get(metric)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _recent_records(
    repo: Path,
    store: RecordStore,
    name: str,
    branch: str,
    start: str | None,
    limit: int,
    max_depth: int,
) -> list[Record]:
    """Up to ``limit`` readable records of first-parent ancestors of the start, oldest first."""
    tip = resolve_commit(repo, start) if start else _branch_tip(repo, branch)
    if tip is None or limit <= 0:
        return []
    stored = {ref.commit for ref in store.list(name)}
    found: list[Record] = []
    for commit in first_parent_ancestors(repo, tip, max_depth):
        if commit not in stored:
            continue
        try:
            record = store.get(name, commit)
        except RecordError:
            continue
        if record is not None:
            found.append(record)
        if len(found) >= limit:
            break
    return found[::-1]


def _branch_tip(repo: Path, branch: str) -> str | None:
    for ref in (f"refs/remotes/origin/{branch}", f"refs/heads/{branch}"):
        sha = resolve_commit(repo, ref)
        if sha:
            return sha
    return None
