"""The PR comment's slice and budget sections, as pieces :mod:`mlci.report.markdown` assembles.

- :func:`slices_line`: one line naming the worst slice of each grouping (and, when it is
  another slice, the one whose metric dropped most against the baseline);
- :func:`slice_tables`: one table per grouping, worst first, for the ``Slices (worst first)``
  details section;
- :func:`budgets_block`: the budget table with a one-line legend;
- :func:`params_block`: the DVC params that changed since the baseline commit.

Column names and metric names come from the config, slice values from the data and params
from files the pull request controls: all of them are escaped
(:func:`~mlci.report.escape.md_text`, :func:`~mlci.report.escape.md_code`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mlci.report.cells import gate_cell, interval_text, md_arrow, md_gate_cell
from mlci.report.escape import md_code, md_text
from mlci.results import (
    BudgetResult,
    GateResult,
    MetricComparison,
    ParamChange,
    Report,
    SliceResult,
)
from mlci.vocab import clip, fmt_delta, fmt_int, fmt_pct, fmt_share, fmt_value

MAX_SLICE_METRICS = 6  # metric columns of a slice table (the sorting metric first)
MAX_PARAM_ROWS = 30  # rows of the "Params changed" table; the rest are in report.json

BUDGET_LABELS = {
    "model_size_mb": "model size",
    "latency_p95_ms": "p95 latency, one row",
    "batch_latency_p95_ms": "p95 latency, one batch",
    "peak_memory_mb": "peak memory, one batch",
}


@dataclass(frozen=True)
class SliceTable:
    """One grouping's slices: a title line, a table header and its rows (worst first)."""

    title: str
    header: str
    rows: tuple[str, ...]


def _gate_cell(gates: Sequence[GateResult]) -> str:
    return md_gate_cell(gate_cell(gates))


def groupings(slices: Sequence[SliceResult]) -> dict[tuple[str, ...], list[SliceResult]]:
    """The slices of each grouping, in report order (worst first)."""
    found: dict[tuple[str, ...], list[SliceResult]] = {}
    for s in slices:
        found.setdefault(s.grouping, []).append(s)
    return found


# -- the summary line ---------------------------------------------------------------------------


def slices_line(report: Report) -> str:
    """``**Worst slices:** plan = `pro`: recall 0.61 (−0.22 ⬇), worst of 3 · plan, country = …``."""
    items = [_worst_item(group) for group in groupings(report.slices).values()]
    items = [item for item in items if item]
    return "**Worst slices:** " + " · ".join(items) if items else ""


def _worst_item(group: Sequence[SliceResult]) -> str:
    computed = [s for s in group if not s.too_small]
    columns = md_text(clip(", ".join(group[0].grouping), 60))
    sort_by = group[0].sorted_by
    if not computed or sort_by is None:
        return f"{columns}: no slice of {fmt_int(group[0].min_size)} rows or more"
    worst = computed[0]
    text = f"{columns} = {_key(worst)}: {_brief(worst, sort_by)}, worst of {fmt_int(len(group))}"
    dropped = _largest_drop(computed, sort_by)
    if dropped is not None and dropped is not worst:
        text += f"; largest drop {_key(dropped)}: {_brief(dropped, sort_by)}"
    return text


def _brief(s: SliceResult, metric: str) -> str:
    m = s.metric(metric)
    if m is None:
        return ""
    change = f" ({fmt_delta(m.change)}{md_arrow(m.delta)})" if m.change is not None else ""
    return f"{md_text(clip(metric, 40))} {fmt_value(m.value)}{change}"


def _largest_drop(computed: Sequence[SliceResult], metric: str) -> SliceResult | None:
    drops = [(d, s) for s in computed if (d := _drop(s.metric(metric))) < 0]
    return min(drops, key=lambda d: d[0])[1] if drops else None


def _drop(m: MetricComparison | None) -> float:
    """The direction-adjusted change when it is a finite drop, else 0."""
    if m is None or m.delta is None or not math.isfinite(m.delta):
        return 0.0
    return min(m.delta, 0.0)


def _key(s: SliceResult) -> str:
    """The slice's values as inline code: ``pro`` · ``DE``; a missing value is (missing)."""
    return " · ".join("(missing)" if v is None else md_code(clip(v, 40)) for v in s.key)


# -- the tables ---------------------------------------------------------------------------------


def slice_tables(report: Report) -> tuple[SliceTable, ...]:
    """One table per grouping, worst first, with the slice gates' results of each row."""
    with_baseline = report.baseline.commit is not None
    slice_gates = [g for g in report.gates if g.scope == "slice"]
    return tuple(
        _table(group, slice_gates, with_baseline) for group in groupings(report.slices).values()
    )


def _table(
    group: Sequence[SliceResult],
    gates: Sequence[GateResult],
    with_baseline: bool,
) -> SliceTable:
    first = group[0]
    names = _metric_names(group)
    by_row = {
        s.label: [g for g in gates if _gated_slice(g.metric, names) == s.label] for s in group
    }
    gated = any(by_row.values())
    header = _header(first.grouping, names, gated)
    rows = tuple(
        _slice_row(s, names, _gate_cell(by_row[s.label]) if gated else None) for s in group
    )
    return SliceTable(_title(group, gates, with_baseline), header, rows)


def _metric_names(group: Sequence[SliceResult]) -> list[str]:
    names = next(([m.name for m in s.metrics] for s in group if s.metrics), [])
    first = group[0].sorted_by
    ordered = ([first] if first in names else []) + [n for n in names if n != first]
    return ordered[:MAX_SLICE_METRICS]


def _gated_slice(gate_metric: str, names: Sequence[str]) -> str | None:
    """``"plan=pro"`` for a slice gate result named ``"recall [plan=pro]"``."""
    for name in names:
        prefix = f"{name} ["
        if gate_metric.startswith(prefix) and gate_metric.endswith("]"):
            return gate_metric[len(prefix) : -1]
    return None


def _title(group: Sequence[SliceResult], gates: Sequence[GateResult], with_baseline: bool) -> str:
    first = group[0]
    columns = md_text(clip(", ".join(first.grouping), 80))
    parts = [f"**By {columns}**"]
    if first.sorted_by:
        parts.append(f"worst first by {md_text(clip(first.sorted_by, 40))}")
    parts.append(f"slices under {fmt_int(first.min_size)} rows are too small, never gated")
    if with_baseline:
        levels = [
            m.ci_level for s in group for m in s.metrics if m.ci_level and m.ci_low is not None
        ]
        level = f", its {fmt_share(levels[0])} CI on the slice's rows" if levels[0:1] else ""
        parts.append(f"cells: value (Δ vs the baseline{level})")
    gap_name = f"[across {', '.join(first.grouping)}]"
    for g in gates:
        if g.rule == "max_gap" and g.metric.endswith(gap_name):
            parts.append(f"{md_text(clip(g.metric, 80))}: {fmt_value(g.value)} {_gate_cell([g])}")
    return " · ".join(parts)


def _header(grouping: Sequence[str], names: Sequence[str], gated: bool) -> str:
    columns = [md_text(clip(", ".join(grouping), 60)), "n", *(md_text(clip(n, 30)) for n in names)]
    columns += ["Gate"] if gated else []
    rule = ["---", "--:", *("--:" for _ in names), *(["---"] if gated else [])]
    return "| " + " | ".join(columns) + " |\n|" + "|".join(rule) + "|"


def _slice_row(s: SliceResult, names: Sequence[str], gate: str | None) -> str:
    if s.too_small:
        cells = ["too small", *("—" for _ in names[1:])] if names else []
    else:
        cells = [_cell(s.metric(n)) for n in names]
    extra = [gate] if gate is not None else []
    return "| " + " | ".join([_key(s), fmt_int(s.n), *cells, *extra]) + " |"


def _cell(m: MetricComparison | None) -> str:
    if m is None:
        return "—"
    if m.change is None:
        return fmt_value(m.value)
    interval = interval_text(m)
    shown = f", {interval}" if interval else ""
    return f"{fmt_value(m.value)} ({fmt_delta(m.change)}{md_arrow(m.delta)}{shown})"


# -- budgets ------------------------------------------------------------------------------------


def budgets_block(report: Report) -> str:
    """The budget table and its legend; empty without budgets."""
    if not report.budgets:
        return ""
    gates = [g for g in report.gates if g.scope == "budget"]
    branch = md_text(clip(report.baseline.branch, 40))
    header = f"| Budget | {branch} | this PR | Δ | Gate | Measured |\n|---|--:|--:|--:|---|---|"
    rows = [_budget_row(b, [g for g in gates if g.metric == b.name]) for b in report.budgets]
    return "\n".join([header, *rows]) + "\n\n" + _budget_legend(report.budgets, branch)


def _budget_row(b: BudgetResult, gates: list[GateResult]) -> str:
    unit = _unit(b.name)
    label = BUDGET_LABELS.get(b.name, "budget")
    base = "—" if b.baseline is None else f"{fmt_value(b.baseline)} {unit}"
    if b.baseline_source == "record" and b.baseline is not None:
        base += "†"
    change = "—" if b.change_pct is None else fmt_pct(b.change_pct) + md_arrow(b.delta)
    cells = [
        f"{label} ({md_code(b.name)})",
        base,
        f"{fmt_value(b.value)} {unit}",
        change,
        _gate_cell(gates),
        md_text(clip(b.method, 160)),
    ]
    return "| " + " | ".join(cells) + " |"


def _unit(name: str) -> str:
    return "ms" if name.endswith("_ms") else "MB" if name.endswith("_mb") else ""


def _budget_legend(budgets: Sequence[BudgetResult], branch: str) -> str:
    parts = ["Budgets: lower is better · ⬆ better · ⬇ worse · MB = 10⁶ bytes"]
    if any(b.baseline_source == "same_job" for b in budgets):
        parts.append(f"{branch}'s model measured in this job, alternating with this PR's")
    if any(b.baseline_source == "record" for b in budgets):
        parts.append(f"† from {branch}'s record (its model could not be measured in this job)")
    return "<sub>" + " · ".join(parts) + "</sub>"


def params_block(report: Report, max_rows: int = MAX_PARAM_ROWS) -> str:
    """``Params changed`` and a table (param, the baseline's value, this PR's), at most
    ``max_rows`` rows; empty when no param changed. The file is named in each row when params
    of several files changed, else in the title."""
    changes = report.params_changed
    if not changes:
        return ""
    files = list(dict.fromkeys(p.file for p in changes))
    branch = md_text(clip(report.baseline.branch, 40))
    several = len(files) > 1
    title = "**Params changed**" + ("" if several else f" in {md_code(clip(files[0], 100))}")
    header = f"| Param | {branch} | this PR |\n|---|---|---|"
    rows = [_param_row(p, several) for p in changes[:max_rows]]
    more = len(changes) - len(rows)
    tail = f"\n\n… {fmt_int(more)} more in report.json." if more > 0 else ""
    return f"{title} (as `dvc params diff`)\n\n" + "\n".join([header, *rows]) + tail


def _param_row(p: ParamChange, several: bool) -> str:
    name = f"{p.file}:{p.param}" if several else p.param
    cells = [md_code(clip(name, 100)), _param_value(p.baseline), _param_value(p.current)]
    return "| " + " | ".join(cells) + " |"


def _param_value(value: Any) -> str:
    """A param's value as written in a file: text as is, anything else as JSON; — when absent."""
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return md_code(clip(text, 80))
