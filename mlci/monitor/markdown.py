"""A monitoring run in GitHub markdown: report.md, the job summary and the sticky issue's body.

Verdict first, then what it was compared with, the drifted columns, the release's metrics on
the production rows next to its evaluation, the data line, notes, then the detail tables in
``<details>``. Every string that came from the data, the config or the release (column and
dataset names, messages, tags, paths) is escaped by :mod:`mlci.report.escape`, as in the PR
comment: it cannot mention anyone, link, inject HTML, break a table or forge the hidden marker.
The body stays within ``max_chars`` (the detail tables go first).
"""

from __future__ import annotations

import re

from mlci.data.drift import DRIFT_CHECKS
from mlci.monitor.result import MonitorOutcome
from mlci.report.cells import md_arrow, md_gate_cell, metric_row
from mlci.report.escape import md_code, md_text
from mlci.report.phrases import count_statuses, plural
from mlci.results import STATUS_ICONS, STATUS_ORDER, CheckResult, GateResult
from mlci.vocab import clip, fmt_int, fmt_value

MAX_CHARS = 60_000
MAX_ROWS = 200  # detail rows listed; the rest are counted
_SHOWN_DRIFT = 10  # drifted columns named on the drift line and in the title
_HOW = {
    "given": "given with --release",
    "deployment": "live in the deployment environment",
    "latest_release": "the latest published release",
}
_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~%/-]*)?")


def render_monitor(outcome: MonitorOutcome, *, marker: str = "", max_chars: int = MAX_CHARS) -> str:
    """The markdown of a monitoring run; ``marker`` (the issue's hidden line) goes first."""
    top = [marker] if marker else []
    top += [_verdict_line(outcome), _context_line(outcome)]
    blocks = ["\n".join(top)]
    drift = _drift_line(outcome)
    blocks += [b for b in (drift, _metric_table(outcome), _data_line(outcome)) if b]
    if outcome.notes:
        blocks.append("\n".join(f"- {md_text(clip(n, 500))}" for n in outcome.notes[:20]))
    details = _details(outcome)
    footer = _footer(outcome)
    for shown in (details, details[:1], []):
        body = "\n\n".join([*blocks, *shown, footer]) + "\n"
        if len(body) <= max_chars:
            return body
    return clip("\n\n".join([*blocks[:2], footer]), max_chars - 1) + "\n"


def issue_title(outcome: MonitorOutcome) -> str:
    """Plain text: ``mlci monitor: churn-model — drift in tenure, plan; roc_auc`` (the issue
    module neutralises it further)."""
    parts = []
    drifted = list(dict.fromkeys(c.column or c.dataset for c in outcome.drifted()))
    if drifted:
        shown = ", ".join(clip(c, 40) for c in drifted[:_SHOWN_DRIFT])
        more = f" and {len(drifted) - _SHOWN_DRIFT} more" if len(drifted) > _SHOWN_DRIFT else ""
        parts.append(f"drift in {shown}{more}")
    gates, checks = outcome.failing()
    if gates:
        parts.append("gate failed: " + ", ".join(dict.fromkeys(clip(g.metric, 40) for g in gates)))
    if checks:
        parts.append(plural(len(checks), "data check") + " failed")
    what = "; ".join(parts) or "a fail threshold is crossed"
    return f"mlci monitor: {outcome.name} — {what}"


def closing_note(outcome: MonitorOutcome) -> str:
    """The comment that closes the issue: which clean run, against which release."""
    checks = count_statuses(c.status for c in outcome.checks)
    gates = count_statuses(g.status for g in outcome.gates)
    run = _run_ref(outcome)
    what = [f"{fmt_int(checks.passed)} of {fmt_int(checks.total)} data checks passed"]
    if gates.total:
        what.append(f"{fmt_int(gates.passed)} of {fmt_int(gates.total)} gates passed")
    release = md_code(clip(outcome.release.tag, 60))
    return (
        f"{STATUS_ICONS['pass']} **Resolved** by {run} at {md_text(outcome.created_at)}: "
        f"production is within every fail threshold against release {release} "
        f"({'; '.join(what)}). Closing this issue; mlci opens a new one if a later run crosses "
        "a threshold again."
    )


# -- the pieces -------------------------------------------------------------------------------


def _verdict_line(outcome: MonitorOutcome) -> str:
    name = md_text(clip(outcome.name, 100))
    if outcome.alert:
        return f"### {STATUS_ICONS['fail']} mlci monitor · {name} — {_alert_phrase(outcome)}"
    counts = count_statuses(
        [*(c.status for c in outcome.checks), *(g.status for g in outcome.gates)]
    )
    if counts.warnings or counts.inconclusive:
        n = counts.warnings + counts.inconclusive
        within = f"within the fail thresholds, {plural(n, 'warning')}"
        return f"### {STATUS_ICONS['warn']} mlci monitor · {name} — {within}"
    return (
        f"### {STATUS_ICONS['pass']} mlci monitor · {name} — production is within every threshold"
    )


def _alert_phrase(outcome: MonitorOutcome) -> str:
    drifted = {(c.dataset, c.column) for c in outcome.drifted()}
    gates, checks = outcome.failing()
    parts = []
    if drifted:
        parts.append(f"drift in {plural(len(drifted), 'column')}")
    if gates:
        parts.append(f"{plural(len(gates), 'gate')} failed")
    if checks:
        parts.append(f"{plural(len(checks), 'data check')} failed")
    return ", ".join(parts) or "a fail threshold is crossed"


def _context_line(outcome: MonitorOutcome) -> str:
    r = outcome.release
    parts = [
        f"Compared with release {md_code(clip(r.tag, 60))} @ {md_text(r.commit[:7])} "
        f"({_HOW.get(r.how, md_text(r.how))})"
    ]
    for d in outcome.datasets:
        files = outcome.files.get(d.summary.name, 0)
        where = f" in {plural(files, 'file')}" if files > 1 else ""
        parts.append(f"{md_code(clip(d.summary.name, 60))}: {plural(d.summary.rows, 'row')}{where}")
    p = outcome.performance
    if p is not None:
        waiting = p.joined.served_rows - p.joined.labeled_rows
        parts.append(
            f"labels: {plural(p.joined.labeled_rows, 'row')} joined"
            + (f" ({fmt_int(waiting)} awaiting labels)" if waiting > 0 else "")
        )
    return " · ".join(parts)


def _drift_line(outcome: MonitorOutcome) -> str:
    drifted = outcome.drifted()
    if not drifted:
        return ""
    shown = [
        f"{md_code(clip(c.column or c.dataset, 60))} ({_score(c)})" for c in drifted[:_SHOWN_DRIFT]
    ]
    more = len(drifted) - len(shown)
    tail = f" and {fmt_int(more)} more" if more > 0 else ""
    return f"**Drifted:** {', '.join(shown)}{tail}."


def _score(c: CheckResult) -> str:
    kind = {"drift_null_rate": "null rate, ", "drift_unseen": "unseen, "}.get(c.check, "")
    method = {"jensen_shannon": "JS", "cohen_h": "h", "relative_change": "Δ share"}.get(
        c.method or "", md_text(c.method or "")
    )
    return f"{kind}{method} {fmt_value(c.score)}"


def _metric_table(outcome: MonitorOutcome) -> str:
    """The release's metrics on production, as the PR comment shows a metric: the same row and
    gate cell (:mod:`mlci.report.cells`), plus the interval of the production value."""
    if not outcome.comparisons:
        return ""
    p = outcome.performance
    by_metric: dict[str, list[GateResult]] = {}
    for g in outcome.gates:
        by_metric.setdefault(g.metric, []).append(g)
    levels = [c.ci_level for c in outcome.comparisons if c.ci_level]
    level = f"{fmt_value(100 * levels[0])}%" if levels else "95%"
    header = (
        f"| Metric | release | production | {level} CI | Δ | {level} CI of Δ | Gate |\n"
        "|---|--:|--:|--:|--:|--:|---|"
    )
    rows = []
    for c in outcome.comparisons:
        row = metric_row(c, by_metric.get(c.name, []))
        interval = p.intervals.get(c.name) if p is not None else None
        value_ci = f"[{fmt_value(interval.low)}, {fmt_value(interval.high)}]" if interval else "—"
        cells = [
            md_text(clip(c.name, 60)),
            row.baseline or "—",
            row.value,
            value_ci,
            f"{row.change}{md_arrow(c.delta)}" if row.change else "—",
            row.interval or "—",
            md_gate_cell(row.gate) if row.gate.gated else "",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join([header, *rows])


def _data_line(outcome: MonitorOutcome) -> str:
    n = count_statuses(c.status for c in outcome.checks)
    if not n.total:
        return ""
    parts = []
    for icon, count, word in (
        (STATUS_ICONS["fail"], n.failed, "failed"),
        (STATUS_ICONS["warn"], n.warnings, "warnings" if n.warnings != 1 else "warning"),
        (STATUS_ICONS["insufficient_data"], n.insufficient_data, "with too little data"),
        (STATUS_ICONS["pass"], n.passed, "passed"),
    ):
        if count:
            parts.append(f"{icon} {fmt_int(count)} {word}")
    return "Data: " + " · ".join(parts)


def _details(outcome: MonitorOutcome) -> list[str]:
    blocks = []
    problems = sorted(
        (c for c in outcome.checks if c.status != "pass"),
        key=lambda c: STATUS_ORDER.get(c.status, 9),
    )
    if problems:
        rows = [_check_row(c) for c in problems[:MAX_ROWS]]
        more = len(problems) - len(rows)
        table = "\n".join(
            ["| | Dataset | Column | Check | Finding |", "|---|---|---|---|---|", *rows]
        )
        if more > 0:
            table += f"\n\n… {fmt_int(more)} more in monitor.json."
        passed = len(outcome.checks) - len(problems)
        summary = (
            f"Data checks and drift ({fmt_int(len(problems))} to look at, {fmt_int(passed)} passed)"
        )
        blocks.append(_block(summary, table))
    if outcome.gates:
        rows = [
            f"| {STATUS_ICONS.get(g.status, '')} | {md_text(clip(g.metric, 60))} | "
            f"{md_text(clip(g.threshold, 60))} | {md_text(clip(g.message, 300))} |"
            for g in outcome.gates[:MAX_ROWS]
        ]
        table = "\n".join(["| | Metric | Rule | Result |", "|---|---|---|---|", *rows])
        blocks.append(_block(f"Gates ({fmt_int(len(outcome.gates))})", table))
    rows = [
        f"| {md_code(clip(d.summary.name, 60))} | {md_code(clip(d.summary.path, 120))} | "
        f"{fmt_int(outcome.files.get(d.summary.name, 0))} | {fmt_int(d.summary.rows)} | "
        f"{fmt_int(d.summary.columns)} |"
        for d in outcome.datasets
    ]
    if rows:
        table = "\n".join(
            ["| Dataset | Path | Files | Rows | Columns |", "|---|---|--:|--:|--:|", *rows]
        )
        blocks.append(_block("Production data", table))
    return blocks


def _check_row(c: CheckResult) -> str:
    column = md_code(clip(c.column, 60)) if c.column else ""
    kind = md_text(c.check) + (" (drift)" if c.check in DRIFT_CHECKS and c.check != "drift" else "")
    return (
        f"| {STATUS_ICONS.get(c.status, '')} | {md_text(clip(c.dataset, 60))} | {column} | "
        f"{kind} | {md_text(clip(c.message, 300))} |"
    )


def _block(summary: str, body: str) -> str:
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


def _run_ref(outcome: MonitorOutcome) -> str:
    run = outcome.run
    if not run.id.isdigit():
        return "a local monitoring run"
    if run.url and _URL.fullmatch(run.url):  # trusted markdown: checked before it is linked
        return f"monitoring run [{run.id}]({run.url})"
    return f"monitoring run {run.id}"


def _footer(outcome: MonitorOutcome) -> str:
    return (
        f"<sub>mlci {md_text(clip(outcome.tool_version, 40))} · {_run_ref(outcome)} · "
        f"{md_text(outcome.created_at)} · full report: monitor.json in the artifact "
        "`mlci-monitor`</sub>"
    )
