"""The report as plain text for a terminal or a CI log.

Verdict line, baseline line, the metric table, the checks that did not pass, then the gates.
No markdown; strings from the data only lose their control characters (so a column name cannot
move the cursor, colour the log or fake a line of its own).
"""

from __future__ import annotations

from collections.abc import Sequence

from mlci.report.cells import GateCell, metric_row
from mlci.report.escape import strip_controls
from mlci.report.phrases import (
    baseline_sentence,
    candidate_label,
    context_parts,
    count_statuses,
    headline,
    heads_up,
    on_baseline_branch,
    plural,
    verdict_state,
)
from mlci.results import STATUS_LABELS, CheckResult, GateResult, MetricComparison, Report
from mlci.vocab import clip, fmt_int, fmt_share

_MAX_CHECK_LINES = 50


def render_terminal(report: Report) -> str:
    """``report`` as readable plain text, ending with a newline.

    Example first line: ``FAIL  mlci · churn-model — 1 gate failed``.
    """
    blocks = [_header(report)]
    if report.metrics:
        blocks.append(_metrics(report))
    if report.checks:
        blocks.append(_checks(report.checks))
    if report.gates:
        blocks.append(_gates(report.gates))
    blocks += [f"note: {_plain(n, 500)}" for n in report.notes]
    return "\n\n".join(blocks) + "\n"


def _label(status: str) -> str:
    return STATUS_LABELS.get(status, status.upper())


def _plain(s: str, n: int = 120) -> str:
    return clip(strip_controls(s), n)


def _header(report: Report) -> str:
    label = verdict_state(report).upper()
    verdict = f"{label}  mlci · {_plain(report.name, 100)} — {headline(report)}"
    skipped = sum(g.status == "skipped" for g in report.gates)
    baseline = baseline_sentence(
        report.baseline,
        skipped_gates=skipped,
        text=_plain,
        on_baseline=on_baseline_branch(report),
    )
    notices = [f"{label} {line}" for _, label, line in heads_up(report, text=_plain, code=_plain)]
    return "\n".join([verdict, *notices, " · ".join([baseline, *context_parts(report)])])


def _metrics(report: Report) -> str:
    by_metric: dict[str, list[GateResult]] = {}
    for g in report.gates:
        by_metric.setdefault(g.metric, []).append(g)
    with_baseline = report.baseline.commit is not None
    rows = [_metric_row(m, by_metric.get(m.name, []), with_baseline) for m in report.metrics]
    levels = [m.ci_level for m in report.metrics if m.ci_low is not None and m.ci_level]
    if with_baseline and levels:
        level = f"{fmt_share(levels[0])} CI of Δ"
        headers = [
            "metric",
            _plain(report.baseline.branch, 40),
            candidate_label(report),
            "Δ",
            "Δ%",
            level,
            "method",
            "gate",
        ]
        align: tuple[str, ...] = (
            "left",
            "right",
            "right",
            "right",
            "right",
            "right",
            "left",
            "left",
        )
        rows = [
            [*r[:-1], row.interval or "-", row.method or "", r[-1]]
            for r, row in zip(rows, (metric_row(m, ()) for m in report.metrics), strict=True)
        ]
    elif with_baseline:
        headers = ["metric", _plain(report.baseline.branch, 40), candidate_label(report)]
        headers += ["Δ", "Δ%", "gate"]
        align = ("left", "right", "right", "right", "right", "left")
    else:
        headers = ["metric", candidate_label(report), "gate"]
        align = ("left", "right", "left")
    from tabulate import tabulate  # tabulate (and wcwidth): only for a table of metrics

    return tabulate(rows, headers=headers, colalign=align, disable_numparse=True)


def _metric_row(m: MetricComparison, gates: list[GateResult], with_baseline: bool) -> list[str]:
    row = metric_row(m, gates)
    gate = _gate_summary(row.gate)
    if not with_baseline:
        return [_plain(row.name, 60), row.value, gate]
    words = {"better": " (better)", "worse": " (worse)", None: ""}
    change = "-" if row.change is None else row.change + words[row.direction]
    return [
        _plain(row.name, 60),
        row.baseline or "-",
        row.value,
        change,
        row.change_pct or "-",
        gate,
    ]


def _gate_summary(cell: GateCell) -> str:
    """``PASS``, or each rule that did not pass: ``INCONCLUSIVE max regression 0.005``."""
    if cell.passed:
        return STATUS_LABELS["pass"]
    return "; ".join(
        f"{_label(mark.status)} {mark.threshold}"
        + (f" ({_plain(mark.reason)})" if mark.reason else "")
        for mark in cell.marks
    )


def _checks(checks: Sequence[CheckResult]) -> str:
    n = count_statuses(c.status for c in checks)
    counts = [f"{fmt_int(n.passed)} passed", plural(n.warnings, "warning")]
    counts.append(f"{fmt_int(n.failed)} failed")
    if n.insufficient_data:
        counts.append(f"{fmt_int(n.insufficient_data)} with insufficient data")
    if n.skipped:
        counts.append(f"{fmt_int(n.skipped)} skipped")
    lines = ["Data checks: " + ", ".join(counts)]
    problems = sorted((c for c in checks if c.status != "pass"), key=lambda c: c.status != "fail")
    lines += [_check_line(c) for c in problems[:_MAX_CHECK_LINES]]
    if len(problems) > _MAX_CHECK_LINES:
        lines.append(f"  … {fmt_int(len(problems) - _MAX_CHECK_LINES)} more in the full report")
    return "\n".join(lines)


def _check_line(c: CheckResult) -> str:
    where = _plain(c.dataset, 40) + (f".{_plain(c.column, 60)}" if c.column else "")
    return f"  {_label(c.status):<4}  {where}  {_plain(c.check, 40)}: {_plain(c.message, 200)}"


def _gates(gates: Sequence[GateResult]) -> str:
    rows = [
        [
            _label(g.status),
            _plain(g.metric, 60),
            g.threshold,
            _plain(g.message, 160),
        ]
        for g in gates
    ]
    from tabulate import tabulate  # tabulate (and wcwidth): only for a table of gates

    table = tabulate(rows, headers=["", "metric", "rule", "details"], tablefmt="simple")
    return "Gates:\n" + table
