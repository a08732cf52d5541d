"""The PR comment (and job summary): GitHub markdown, verdict first, always within a size limit.

Anatomy: the hidden marker (first line, used to find and update the sticky comment), the verdict
line, the baseline/context line, the metric table, the history sparklines, the data summary line,
notes, then detail sections in ``<details>`` (data checks and drift, gates, datasets) and a footer.

Every string that came from the config, the data or the pull request goes through
:mod:`mlci.report.escape`. When the body would exceed ``max_chars`` it is shrunk step by step:
passed checks leave the details, then the detail tables are cut (failures first, so those
stay), then the detail sections go, then the metric table is cut; each cut says how many rows
are left to the full report. The result is never longer than ``max_chars``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from mlci.report.breakdown import (
    SliceTable,
    budgets_block,
    params_block,
    slice_tables,
    slices_line,
)
from mlci.report.cells import (
    DELTA_LEGEND,
    gate_value,
    md_arrow,
    md_gate_cell,
    method_text,
    metric_row,
)
from mlci.report.escape import md_code, md_text
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
from mlci.report.sparkline import sparkline
from mlci.results import (
    STATUS_ICONS,
    CheckResult,
    DatasetSummary,
    GateResult,
    MetricComparison,
    Report,
    status_rank,
)
from mlci.vocab import clip, fmt_int, fmt_share, fmt_value

DEFAULT_HINT = "full report: artifact `mlci-report`"
MAX_PASSED_ROWS = 25  # more passed checks than this are counted by kind, not listed

_METHODS = {"jensen_shannon": "JS", "cohen_h": "h", "ks": "KS", "psi": "PSI"}
_BRIEF_ITEMS = 3  # problems named on the data summary line, per status


def full_report_hint(environ: Mapping[str, str]) -> str:
    """The comment footer's pointer to the report: a link to the run's artifacts in Actions.

    ``full report: [artifact `mlci-report`](https://github.com/o/r/actions/runs/1#artifacts)``
    when ``GITHUB_SERVER_URL``, ``GITHUB_REPOSITORY`` and ``GITHUB_RUN_ID`` are set and
    well-formed, else the plain hint (the values go into trusted markdown, so they are checked).
    """
    server = environ.get("GITHUB_SERVER_URL", "").rstrip("/")
    repo, run_id = environ.get("GITHUB_REPOSITORY", ""), environ.get("GITHUB_RUN_ID", "")
    if not (_SERVER.fullmatch(server) and _REPOSITORY.fullmatch(repo) and run_id.isdigit()):
        return DEFAULT_HINT
    return f"full report: [artifact `mlci-report`]({server}/{repo}/actions/runs/{run_id}#artifacts)"


_SERVER = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~-]+)*")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def marker(name: str) -> str:
    """The hidden first line that identifies this config's sticky comment.

    >>> marker("churn-model")
    '<!-- mlci:report name=churn-model -->'
    """
    return f"<!-- mlci:report name={re.sub(r'[^A-Za-z0-9._-]', '_', name)} -->"


def render_comment(
    report: Report, *, max_chars: int = 60_000, full_report_hint: str = DEFAULT_HINT
) -> str:
    """The PR comment for ``report``, at most ``max_chars`` characters long.

    Parameters
    ----------
    report:
        What to render.
    max_chars:
        The size limit (GitHub refuses comments over 65,536 characters).
    full_report_hint:
        Trusted markdown (not escaped) that says where the full report is; shown in the
        footer, which is kept whenever anything else is.

    The marker and the verdict line are always kept (``max_chars`` permitting).
    """
    parts = _Parts.of(report, full_report_hint)
    for body in _shrinking(parts, max_chars):
        if len(body) <= max_chars:
            return body
    return _last_resort(parts, max_chars)


# -- layout and shrinking -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """How much of the report a rendering includes."""

    passed_checks: bool = True
    details: bool = True
    detail_rows: int | None = None  # cap on the rows of each detail table
    metric_rows: int | None = None  # cap on the rows of the metric table
    notes: bool = True


def _shrinking(parts: _Parts, max_chars: int) -> Iterator[str]:
    """Renderings from the fullest to the smallest, each produced only when the last was too big."""
    full = _Layout()
    yield parts.compose(full)
    no_passed = replace(full, passed_checks=False)
    yield parts.compose(no_passed)
    cut_details = _largest_fit(
        lambda k: parts.compose(replace(no_passed, detail_rows=k)), parts.detail_rows(), max_chars
    )
    if cut_details is not None:
        yield cut_details
    no_details = replace(no_passed, details=False)
    cut_metrics = _largest_fit(
        lambda k: parts.compose(replace(no_details, metric_rows=k)),
        len(parts.metric_rows),
        max_chars,
        low=0,
    )
    if cut_metrics is not None:
        yield cut_metrics
    yield parts.compose(replace(no_details, metric_rows=0, notes=False))


def _largest_fit(make: Callable[[int], str], n: int, max_chars: int, *, low: int = 1) -> str | None:
    """``make(k)`` for the largest ``k`` in ``[low, n]`` that fits in ``max_chars``, if any."""
    best = None
    lo, hi = low, n
    while lo <= hi:
        mid = (lo + hi) // 2
        body = make(mid)
        if len(body) <= max_chars:
            best, lo = body, mid + 1
        else:
            hi = mid - 1
    return best


def _last_resort(parts: _Parts, max_chars: int) -> str:
    too_large = f"The report is too large for a comment; {parts.hint}."
    body = "\n".join([parts.marker, parts.verdict, *(f"{h}\n" for h in parts.heads_up), too_large])
    return body[:max_chars]


# -- the pieces ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parts:
    """The comment's pieces, escaped and formatted once; ``compose`` assembles a layout."""

    marker: str
    verdict: str
    context: str
    metric_header: str
    metric_rows: tuple[str, ...]
    legend: str
    data_line: str
    notes: tuple[str, ...]
    problem_checks: tuple[str, ...]  # every check row that is not a pass, worst first
    passed_checks: tuple[str, ...]
    passed_summary: str  # "missing_column ×62 · type ×62 · …": passed checks by kind
    gate_rows: tuple[str, ...]
    dataset_rows: tuple[str, ...]
    footer: str
    hint: str
    heads_up: tuple[str, ...] = ()  # under the verdict: fork-safe publishing, changed gates
    history: str = ""  # the gated metrics' sparklines on the baseline branch
    budgets: str = ""  # the budget table and its legend
    params: str = ""  # the DVC params that changed since the baseline commit
    slice_line: str = ""  # the worst slice of each grouping
    slice_tables: tuple[SliceTable, ...] = ()

    @classmethod
    def of(cls, report: Report, hint: str) -> _Parts:
        checks = sorted(report.checks, key=lambda c: status_rank(c.status))
        header, rows = _metric_table(report)
        return cls(
            marker=marker(report.name),
            verdict=_verdict_line(report),
            context=_context_line(report),
            metric_header=header,
            metric_rows=rows,
            legend=_legend(report),
            data_line=_data_line(report.checks),
            notes=tuple(f"- {md_text(clip(n, 500))}" for n in report.notes[:20]),
            problem_checks=tuple(_check_row(c) for c in checks if c.status != "pass"),
            passed_checks=tuple(_check_row(c) for c in checks if c.status == "pass"),
            passed_summary=_passed_summary(checks),
            gate_rows=tuple(_gate_row(g, report.metrics) for g in report.gates),
            dataset_rows=tuple(_dataset_row(d) for d in report.datasets),
            footer=_footer(report.tool_version, hint),
            hint=hint,
            heads_up=_heads_up(report),
            history=_history_line(report),
            budgets=budgets_block(report),
            params=params_block(report),
            slice_line=slices_line(report),
            slice_tables=slice_tables(report),
        )

    def detail_rows(self) -> int:
        """The length of the longest detail table."""
        checks = len(self.problem_checks) + len(self.passed_checks)
        slices = max((len(t.rows) for t in self.slice_tables), default=0)
        return max(checks, len(self.gate_rows), len(self.dataset_rows), slices)

    def compose(self, layout: _Layout) -> str:
        top = [self.marker, self.verdict, *(f"{line}\n" for line in self.heads_up), self.context]
        blocks = ["\n".join(top)]
        if self.metric_rows:
            table = _cut(self.metric_header, self.metric_rows, layout.metric_rows)
            blocks.append(table + (f"\n\n{self.legend}" if self.legend else ""))
        if layout.notes and self.history:
            blocks.append(self.history)
        if layout.notes:
            blocks += [b for b in (self.budgets, self.slice_line, self.params) if b]
        blocks += [b for b in (self.data_line,) if b]
        if layout.notes and self.notes:
            blocks.append("\n".join(self.notes))
        if layout.details:
            blocks += self._details(layout)
        blocks.append(self.footer)
        return "\n\n".join(blocks) + "\n"

    def _details(self, layout: _Layout) -> list[str]:
        cap = layout.detail_rows
        sections = [self._slices_details(cap)] if self.slice_tables else []
        if self.problem_checks or self.passed_checks:
            sections.append(self._checks_details(layout))
        if self.gate_rows:
            table = _cut(_GATE_HEADER, self.gate_rows, cap)
            sections.append(_details_block(f"Gates ({fmt_int(len(self.gate_rows))})", table))
        if self.dataset_rows:
            table = _cut(_DATASET_HEADER, self.dataset_rows, cap)
            sections.append(_details_block(f"Datasets ({fmt_int(len(self.dataset_rows))})", table))
        return sections

    def _slices_details(self, cap: int | None) -> str:
        tables = [f"{t.title}\n\n{_cut(t.header, t.rows, cap)}" for t in self.slice_tables]
        return _details_block("Slices (worst first)", "\n\n".join(tables))

    def _checks_details(self, layout: _Layout) -> str:
        """Checks that did not pass (worst first), then the passed ones unless left out.

        Past :data:`MAX_PASSED_ROWS` the passed checks are counted by kind, not listed: a
        reader scanning a PR for problems gains nothing from hundreds of green rows.
        """
        listed = layout.passed_checks and len(self.passed_checks) <= MAX_PASSED_ROWS
        passed = self.passed_checks if listed else ()
        rows = self.problem_checks + passed
        blocks = [_cut(_CHECK_HEADER, rows, layout.detail_rows)] if rows else []
        if len(passed) < len(self.passed_checks):
            n = plural(len(self.passed_checks), "passed check")
            blocks.append(f"✅ {n}: {self.passed_summary} (each is in the full report).")
        problems, ok = fmt_int(len(self.problem_checks)), fmt_int(len(self.passed_checks))
        summary = f"Data checks and drift ({problems} to look at, {ok} passed)"
        return _details_block(summary, "\n\n".join(blocks))


def _passed_summary(checks: Sequence[CheckResult]) -> str:
    kinds = Counter(c.check for c in checks if c.status == "pass")
    return " · ".join(f"{md_text(kind)} ×{fmt_int(n)}" for kind, n in kinds.most_common())


def _details_block(summary: str, body: str) -> str:
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


def _cut(header: str, rows: Sequence[str], cap: int | None) -> str:
    """A table with at most ``cap`` rows, then a line counting the rows left out."""
    if cap is None or cap >= len(rows):
        return "\n".join([header, *rows])
    more = f"… {fmt_int(len(rows) - cap)} more rows in the full report."
    if cap == 0:
        return more
    return "\n".join([header, *rows[:cap]]) + "\n\n" + more


def _table_header(*columns: str, align: str) -> str:
    """A header row and its delimiter row; ``align`` has one letter per column (l, r)."""
    rule = {"l": "---", "r": "--:"}
    return "| " + " | ".join(columns) + " |\n|" + "|".join(rule[a] for a in align) + "|"


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


# -- verdict and context ------------------------------------------------------------------------


def _verdict_line(report: Report) -> str:
    icon = {"fail": "❌", "warn": "⚠️", "pass": "✅"}[verdict_state(report)]
    return f"### {icon} mlci · {md_text(clip(report.name, 100))} — {headline(report)}"


def _heads_up(report: Report) -> tuple[str, ...]:
    lines = heads_up(report, text=_text(200), code=_code(40))
    return tuple(f"{icon} **{label}** {sentence}" for icon, label, sentence in lines)


def _context_line(report: Report) -> str:
    skipped = sum(g.status == "skipped" for g in report.gates)
    baseline = baseline_sentence(
        report.baseline,
        skipped_gates=skipped,
        text=_text(200),
        code=_code(100),
        on_baseline=on_baseline_branch(report),
    )
    return " · ".join([baseline, *context_parts(report)])


def _text(n: int) -> Callable[[str], str]:
    return lambda s: md_text(clip(s, n))


def _code(n: int) -> Callable[[str], str]:
    return lambda s: md_code(clip(s, n))


# -- metrics ------------------------------------------------------------------------------------


def _metric_table(report: Report) -> tuple[str, tuple[str, ...]]:
    """The header and rows of the metric table, gated metrics that were not computed last."""
    by_metric: dict[str, list[GateResult]] = {}
    for g in report.gates:
        if g.scope == "metric":  # slice and budget gates have their own sections
            by_metric.setdefault(g.metric, []).append(g)
    with_baseline = report.baseline.commit is not None
    level = _interval_level(report) if with_baseline else None
    rows = [
        _metric_row(m, by_metric.get(m.name, []), with_baseline, level is not None)
        for m in report.metrics
    ]
    known = {m.name for m in report.metrics}
    rows += [
        _missing_row(name, gates, with_baseline, level is not None)
        for name, gates in by_metric.items()
        if name not in known
    ]
    if level is not None:
        branch = md_text(clip(report.baseline.branch, 40))
        header = _table_header(
            "Metric",
            branch,
            candidate_label(report),
            "Δ",
            "Δ%",
            f"{level} CI of Δ",
            "Method",
            "Gate",
            align="lrrrrrll",
        )
    elif with_baseline:
        branch = md_text(clip(report.baseline.branch, 40))
        header = _table_header(
            "Metric", branch, candidate_label(report), "Δ", "Δ%", "Gate", align="lrrrrl"
        )
    else:
        header = _table_header("Metric", candidate_label(report), "Gate", align="lrl")
    return header, tuple(rows)


def _interval_level(report: Report) -> str | None:
    """``"95%"`` when some metric has an interval of Δ (the table then shows them), else None."""
    levels = [m.ci_level for m in report.metrics if m.ci_low is not None and m.ci_level]
    return fmt_share(levels[0]) if levels else None


def _metric_row(
    m: MetricComparison, gates: list[GateResult], with_baseline: bool, intervals: bool = False
) -> str:
    row = metric_row(m, gates)
    name, gate = md_text(clip(row.name, 80)), md_gate_cell(row.gate)
    if not with_baseline:
        return _row(name, row.value, gate)
    base = row.baseline or "—"
    change = "—" if row.change is None else row.change + md_arrow(m.delta)
    pct = row.change_pct or "—"
    if intervals:
        method = method_text(m.method, m.p_value, escape=md_text) or ""
        return _row(name, base, row.value, change, pct, row.interval or "—", method, gate)
    return _row(name, base, row.value, change, pct, gate)


def _missing_row(
    name: str, gates: list[GateResult], with_baseline: bool, intervals: bool = False
) -> str:
    worst = min((g.status for g in gates), key=status_rank)
    cells = [md_text(clip(name, 80)), "n/a", f"{STATUS_ICONS.get(worst, '')} not computed"]
    if intervals:
        return _row(cells[0], "—", "n/a", "—", "—", "—", "", cells[2])
    return _row(cells[0], "—", "n/a", "—", "—", cells[2]) if with_baseline else _row(*cells)


def _legend(report: Report) -> str:
    if report.baseline.commit is None or not report.metrics:
        return ""
    branch = md_text(clip(report.baseline.branch, 40))
    level = _interval_level(report)
    paired = f" · {level} CI of Δ: both models on the same rows" if level else ""
    legend = DELTA_LEGEND.format(candidate=candidate_label(report), baseline=branch)
    return f"<sub>{legend}{paired}</sub>"


# -- data checks --------------------------------------------------------------------------------


def _data_line(checks: Sequence[CheckResult]) -> str:
    """``Data: ✅ 29 passed · ⚠️ 2 warnings (drift in `tenure`: JS 0.13) · ❌ 1 failed (…)``."""
    if not checks:
        return ""
    several = len({c.dataset for c in checks}) > 1
    counts = count_statuses(c.status for c in checks)
    parts = []
    for status, n, label in (
        ("pass", counts.passed, f"{fmt_int(counts.passed)} passed"),
        ("warn", counts.warnings, plural(counts.warnings, "warning")),
        ("fail", counts.failed, f"{fmt_int(counts.failed)} failed"),
        ("insufficient_data", counts.insufficient_data, "with insufficient data"),
        ("skipped", counts.skipped, f"{fmt_int(counts.skipped)} skipped"),
    ):
        if not n:
            continue
        if status == "insufficient_data":
            label = f"{fmt_int(n)} {label}"
        if status in ("warn", "fail"):
            label += f" ({_briefs([c for c in checks if c.status == status], several)})"
        parts.append(f"{STATUS_ICONS[status]} {label}")
    return "**Data:** " + " · ".join(parts)


def _briefs(checks: Sequence[CheckResult], several: bool) -> str:
    shown = [_check_brief(c, several) for c in checks[:_BRIEF_ITEMS]]
    return "; ".join(shown) + ("; …" if len(checks) > _BRIEF_ITEMS else "")


def _check_brief(c: CheckResult, several: bool) -> str:
    """``drift in `tenure`: JS 0.13`` or ``range of `age` in `eval```."""
    column = md_code(clip(c.column, 60)) if c.column else None
    if c.check == "drift" and column:
        text = f"drift in {column}"
        if c.score is not None:
            method = _METHODS.get(c.method or "", c.method or "score")
            text += f": {md_text(method)} {fmt_value(c.score)}"
    else:
        label = md_text(clip(c.check.replace("_", " "), 40))
        text = f"{label} of {column}" if column else label
    return f"{text} in {md_code(clip(c.dataset, 40))}" if several else text


_CHECK_HEADER = _table_header(
    "", "Dataset", "Check", "Column", "Observed", "Expected", "Details", align="lllllll"
)


def _check_row(c: CheckResult) -> str:
    details = md_text(clip(c.message, 300))
    if c.examples:
        examples = ", ".join(md_code(clip(e, 40)) for e in c.examples[:5])
        details += f" e.g. {examples}"
    return _row(
        STATUS_ICONS.get(c.status, ""),
        md_text(clip(c.dataset, 40)),
        md_text(clip(c.check, 40)),
        md_code(clip(c.column, 60)) if c.column else "",
        md_text(clip(c.observed or "", 80)),
        md_text(clip(c.expected or "", 80)),
        details,
    )


# -- gates and datasets -------------------------------------------------------------------------

_GATE_HEADER = _table_header("", "Metric", "Rule", "Value", "Details", align="lllrl")


def _gate_row(g: GateResult, metrics: Sequence[MetricComparison]) -> str:
    value = gate_value(g, metrics)
    return _row(
        STATUS_ICONS.get(g.status, ""),
        md_text(clip(g.metric, 80)),
        md_text(g.threshold),
        value,
        md_text(clip(g.message, 300)),
    )


_DATASET_HEADER = _table_header("Dataset", "Path", "Rows", "Columns", "Fingerprint", align="llrrl")


def _dataset_row(d: DatasetSummary) -> str:
    return _row(
        md_text(clip(d.name, 40)),
        md_code(clip(d.path, 120)),
        fmt_int(d.rows),
        fmt_int(d.columns),
        md_code(clip(d.fingerprint, 16)),
    )


# -- history ------------------------------------------------------------------------------------

MAX_HISTORY_METRICS = 8


def _history_line(report: Report) -> str:
    """``**History on `main`** (oldest → newest): roc_auc ▂▃▅▇ 0.81 → 0.84 (30 commits) · …``.

    Only metrics with at least two values: one point is not a trend.
    """
    series = [(m, v) for m, v in report.history.items() if sum(math.isfinite(x) for x in v) > 1]
    if not series:
        return ""
    branch = md_code(clip(report.baseline.branch, 40))
    items = [_history_item(m, v) for m, v in series[:MAX_HISTORY_METRICS]]
    return f"**History on {branch}** (oldest → newest): " + " · ".join(items)


def _history_item(metric: str, values: Sequence[float]) -> str:
    defined = [v for v in values if math.isfinite(v)]
    span = fmt_value(defined[0])
    if len(defined) > 1:
        span += f" → {fmt_value(defined[-1])}"
    count = plural(len(values), "commit")
    return f"{md_text(clip(metric, 60))} {sparkline(values)} {span} ({count})"


def _footer(version: str, hint: str) -> str:
    tool = f"mlci {md_text(clip(version, 40))}" if version else "mlci"
    return f"<sub>{tool} · {hint}</sub>"
