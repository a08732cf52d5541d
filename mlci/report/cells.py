"""A metric's row and a gate's cell as values, made once for every format.

The PR comment, report.html, the terminal and the model card show the same numbers, interval,
method and gate marks for a metric because :func:`metric_row` and :func:`gate_cell` make them;
each format only adds its markup (escaping, arrows or words, chips). The comment and the model
card are both markdown, so they also share :func:`md_gate_cell` and :func:`md_arrow`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from mlci.report.escape import md_text
from mlci.results import STATUS_ICONS, GateResult, MetricComparison
from mlci.vocab import clip, fmt_delta, fmt_pct, fmt_value

METHOD_NAMES = {
    "multinomial": "multinomial",
    "multinomial+mcnemar": "multinomial · McNemar",
    "delong": "DeLong",
    "bootstrap": "bootstrap",
    "bootstrap_grouped": "bootstrap (grouped)",
    "influence": "influence (normal)",
}
MAX_REASON = 60  # characters of a skipped rule's reason in a cell


@dataclass(frozen=True)
class GateMark:
    """One rule on a metric that did not pass: its status, its threshold, and why it was
    skipped (``reason``, for a skipped rule only)."""

    status: str
    threshold: str
    reason: str = ""

    @property
    def note(self) -> str:
        """What the icon alone does not say: ``inconclusive`` (⚠️ is also a warning), or
        ``skipped (why)``."""
        if self.status == "inconclusive":
            return "inconclusive"
        return f"skipped ({self.reason})" if self.status == "skipped" else ""


@dataclass(frozen=True)
class GateCell:
    """The gate column of one row: no gate at all, every rule passed, or the rules that did not
    pass (``marks``), in the order they were judged."""

    gated: bool = False
    marks: tuple[GateMark, ...] = ()

    @property
    def passed(self) -> bool:
        return self.gated and not self.marks


def gate_cell(gates: Sequence[GateResult]) -> GateCell:
    """The cell of the rules ``gates`` applied to one metric (or slice, or budget)."""
    marks = tuple(
        GateMark(
            g.status, g.threshold, clip(g.message, MAX_REASON) if g.status == "skipped" else ""
        )
        for g in gates
        if g.status != "pass"
    )
    return GateCell(bool(gates), marks)


def _reason(g: GateResult) -> str:
    return clip(g.message, MAX_REASON) if g.status == "skipped" else ""


@dataclass(frozen=True)
class MetricRow:
    """One metric next to the baseline, as text. ``None``: no such value (no baseline, no
    interval); ``direction`` says whether the change is an improvement."""

    name: str
    value: str
    baseline: str | None
    change: str | None
    change_pct: str | None
    direction: Literal["better", "worse"] | None
    interval: str | None
    method: str | None
    gate: GateCell


def metric_row(m: MetricComparison, gates: Sequence[GateResult]) -> MetricRow:
    """The row of ``m`` and the cell of its ``gates``."""
    compared = m.baseline is not None
    return MetricRow(
        name=m.name,
        value=fmt_value(m.value),
        baseline=fmt_value(m.baseline) if compared else None,
        change=fmt_delta(m.change) if compared else None,
        change_pct=fmt_pct(m.change_pct) if m.change_pct is not None else None,
        direction=direction(m.delta),
        interval=interval_text(m),
        method=method_text(m.method, m.p_value),
        gate=gate_cell(gates),
    )


def direction(delta: float | None) -> Literal["better", "worse"] | None:
    """Whether a direction-adjusted change is an improvement; None for none or no change."""
    if delta is None or math.isnan(delta) or delta == 0:
        return None
    return "better" if delta > 0 else "worse"


def interval_text(m: MetricComparison) -> str | None:
    """``[−0.011, −0.003]``: the interval of the shown (raw) change, like the Δ column (the
    comparison's own interval bounds the direction-adjusted Δ)."""
    if m.ci_low is None or m.ci_high is None:
        return None
    low, high = (
        (m.ci_low, m.ci_high) if m.higher_is_better is not False else (-m.ci_high, -m.ci_low)
    )
    return f"[{fmt_delta(low)}, {fmt_delta(high)}]"


def gate_value(g: GateResult, metrics: Sequence[MetricComparison]) -> str:
    """A gate row's Value: the metric for ``min``/``max``, the gap for ``max_gap``, and for a
    change rule Δ = candidate − baseline, the same signed number as the metric table's Δ
    column (a lower-is-better metric that got worse shows +); the arrow says better or worse.
    The rule's own value is direction-adjusted (positive is better)."""
    if g.rule in ("min", "max", "max_gap"):
        return fmt_value(g.value)
    if g.value is None or math.isnan(g.value):
        return fmt_delta(g.value)
    higher = _higher_is_better(g, metrics)
    raw = g.value if higher is not False else -g.value
    arrow = {"better": " ⬆", "worse": " ⬇", None: ""}[direction(g.value)]
    return fmt_delta(raw) + arrow


def _higher_is_better(g: GateResult, metrics: Sequence[MetricComparison]) -> bool | None:
    if g.scope == "budget":
        return False  # latency and size: lower is better
    name = g.metric.split(" [", 1)[0]  # a slice's gate: "recall [plan=pro]"
    return next((m.higher_is_better for m in metrics if m.name == name), None)


DELTA_LEGEND = "Δ = {candidate} − {baseline} everywhere (tables and gates) · ⬆ better · ⬇ worse"


def method_text(
    method: str | None, p_value: float | None, *, escape: Callable[[str], str] = str
) -> str | None:
    """``DeLong p=0.041``: how the interval was computed, and the test's p-value if any
    (``escape`` is applied to a method name mlci does not know, as a report claims it)."""
    if method is None:
        return None
    name = METHOD_NAMES.get(method) or escape(clip(method, 30))
    return name if p_value is None or math.isnan(p_value) else f"{name} {fmt_p(p_value)}"


def fmt_p(p: float) -> str:
    """``p=0.041``, ``p=0.5``, ``p<0.001``."""
    return "p<0.001" if p < 0.001 else f"p={p:.2g}"


# -- markdown: the PR comment and the model card ------------------------------------------------


def md_gate_cell(cell: GateCell) -> str:
    """``✅`` when every rule passed, else each rule that did not: ``⚠️ max regression 0.005
    inconclusive · ⏭️ ≥ 0.8 skipped (no baseline)``."""
    if cell.passed:
        return STATUS_ICONS["pass"]
    return " · ".join(_md_mark(mark) for mark in cell.marks)


def _md_mark(mark: GateMark) -> str:
    brief = f"{STATUS_ICONS.get(mark.status, '')} {md_text(mark.threshold)}"
    if mark.status == "skipped":
        return f"{brief} skipped ({md_text(mark.reason)})"
    return f"{brief} {mark.note}" if mark.note else brief


def md_arrow(delta: float | None) -> str:
    """`` ⬆`` after an improvement, `` ⬇`` after a regression, nothing otherwise."""
    return {"better": " ⬆", "worse": " ⬇", None: ""}[direction(delta)]
