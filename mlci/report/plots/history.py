"""Metric history on the default branch, one line chart per metric."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from mlci.report.plots.render import BASELINE_COLOR, CANDIDATE_COLOR, plot_text, render_png

if TYPE_CHECKING:
    from matplotlib.figure import Figure


MAX_HISTORY_METRICS = 6


def history_png(
    history: Mapping[str, Sequence[tuple[str, float]]],
    *,
    current: Mapping[str, float] | None = None,
    branch: str = "main",
    current_label: str = "this PR",
) -> bytes:
    """One line chart per metric of its values on ``branch`` (``[(short sha, value)]``, oldest
    first), commits on the x axis; ``current`` values are drawn as a last, separate point.
    """
    metrics = [m for m, points in history.items() if points][:MAX_HISTORY_METRICS]
    if not metrics:
        raise ValueError("no metric has a history to draw")
    commits = _commit_axis(history, metrics)
    now = {m: v for m, v in (current or {}).items() if m in metrics and math.isfinite(v)}
    height = 0.7 + 1.55 * len(metrics)

    def draw(fig: Figure) -> None:
        axes = fig.subplots(len(metrics), 1, sharex=True, squeeze=False)[:, 0]
        position = {sha: i for i, sha in enumerate(commits)}
        for ax, metric in zip(axes, metrics, strict=False):
            x = [position[sha] for sha, _ in history[metric]]
            y = [v for _, v in history[metric]]
            ax.plot(
                x, y, marker="o", ms=3, lw=1.3, color=CANDIDATE_COLOR, label=plot_text(branch, 30)
            )
            if metric in now:
                ax.plot(
                    [len(commits)],
                    [now[metric]],
                    marker="*",
                    ms=9,
                    ls="none",
                    color=BASELINE_COLOR,
                    label=plot_text(current_label, 30),
                )
            ax.set_ylabel(plot_text(metric, 24))
        axes[0].legend(loc="best")
        labels = commits + ([plot_text(current_label, 12)] if now else [])
        step = max(1, math.ceil(len(labels) / 16))
        ticks = list(range(0, len(labels), step))
        axes[-1].set_xticks(
            ticks, [labels[i] for i in ticks], rotation=60, ha="right", family="DejaVu Sans Mono"
        )
        records = f"{len(commits)} record{'s' if len(commits) != 1 else ''}"
        axes[0].set_title(f"History on {plot_text(branch, 40)} (last {records})")

    return render_png(6.4, height, draw)


def _commit_axis(
    history: Mapping[str, Sequence[tuple[str, float]]], metrics: Sequence[str]
) -> list[str]:
    """Every commit of the histories once, in order (they come from the same records)."""
    seen: dict[str, None] = {}
    for metric in metrics:
        for sha, _ in history[metric]:
            seen.setdefault(sha, None)
    return list(seen)
