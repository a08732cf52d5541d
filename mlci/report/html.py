"""``report.html``: the whole report in one self-contained page, figures included.

One file that opens anywhere (a downloaded CI artifact, an e-mail attachment, offline): inline
CSS, PNG and SVG figures embedded as ``data:`` URIs, no script, no font, no image and no link to any
other host. A Content-Security-Policy in the page says so to the browser as well, so even a
string that slipped through escaping could not load or run anything.

Sections: verdict, baseline, metrics (with confidence intervals when the comparison has them),
gates, data checks (problems first), drift with the drifted columns' distributions, model
plots, metric history on the baseline branch, datasets, notes. Every string that came from the
config, the data or the pull request is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import base64
import html
import json
import re
import struct
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mlci.report.cells import (
    DELTA_LEGEND,
    GateCell,
    direction,
    gate_value,
    interval_text,
    metric_row,
)
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
from mlci.report.plots import FIGURE_CAPTIONS, parse_drift_key
from mlci.report.plots.svg import svg_size
from mlci.report.sparkline import sparkline
from mlci.results import (
    STATUS_ICONS,
    STATUS_WORDS,
    BaselineInfo,
    CheckResult,
    DatasetSummary,
    GateResult,
    MetricComparison,
    Report,
    status_rank,
)
from mlci.vocab import clip, fmt_delta, fmt_int, fmt_pct, fmt_share, fmt_value

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
MAX_PASSED_ROWS = 2_000  # passed checks listed in the page; the rest are in report.json
_DRIFT_CHECKS = ("drift", "drift_null_rate")
_MODEL_FIGURES = ("confusion_matrix", "roc_pr", "calibration", "residuals", "slices")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

HistoryPoints = Mapping[str, Sequence[tuple[str, float]]]


def render_html(
    report: Report,
    *,
    figures: Mapping[str, bytes] | None = None,
    history: HistoryPoints | None = None,
    notes: Sequence[str] = (),
) -> str:
    """The report as one self-contained HTML page.

    Parameters
    ----------
    report:
        What to render.
    figures:
        PNG or SVG bytes by key, as :func:`mlci.report.plots.make_figures` returns them;
        anything that is neither a PNG nor an SVG mlci drew is left out.
    history:
        ``{metric: [(short sha, value)]}`` oldest first, for the history table; without it the
        values of ``report.history`` are used.
    notes:
        Extra lines for the notes section (e.g. figures that could not be drawn).
    """
    figs = {k: v for k, v in (figures or {}).items() if figure_size(v) is not None}
    sections = [
        _verdict(report),
        _baseline(report.baseline),
        _metrics(report),
        _gates(report.gates, report.metrics),
        _slices(getattr(report, "slices", ())),
        _budgets(getattr(report, "budgets", ()), report.baseline.commit is not None),
        _params(report),
        _checks(report.checks),
        _drift(report.checks, figs),
        _model_figures(figs),
        _history(report, history, figs),
        _datasets(report.datasets),
        _notes([*report.notes, *notes]),
    ]
    body = "\n".join(s for s in sections if s)
    title = f"mlci · {clip(report.name, 100)} — {report.verdict}"
    return _PAGE.format(csp=CSP, title=_e(title), style=_STYLE, body=body, footer=_footer(report))


def figure_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` of a PNG or of an SVG mlci drew, or None for anything else."""
    return png_size(data) or svg_size(data)


def png_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` of PNG ``data`` from its header, or None when it is not a PNG."""
    if len(data) < 24 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


# --- escaping and small pieces -------------------------------------------------------------


def _e(s: object, n: int = 2_000) -> str:
    """Untrusted text as inert HTML: controls removed, clipped, escaped (quotes too)."""
    return html.escape(clip(strip_controls(str(s)), n), quote=True)


def _code(s: str, n: int = 200) -> str:
    return f"<code>{_e(s, n)}</code>"


def _status(status: str) -> str:
    """A coloured chip: ``✅ pass``; unknown statuses are shown as they are."""
    css = re.sub(r"[^a-z_]", "", status.lower()) or "other"
    label = STATUS_WORDS.get(status, status.replace("_", " "))
    return f'<span class="st st-{css}">{STATUS_ICONS.get(status, "•")} {_e(label, 40)}</span>'


def _table(
    header: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: Sequence[int] = ()
) -> str:
    """A table from already-escaped cells; columns in ``numeric`` are right-aligned."""

    def cells(tag: str, row: Sequence[str]) -> str:
        return "".join(
            f"<{tag}{' class=num' if i in numeric else ''}>{c}</{tag}>" for i, c in enumerate(row)
        )

    body = "\n".join(f"<tr>{cells('td', r)}</tr>" for r in rows)
    head = f"<thead><tr>{cells('th', header)}</tr></thead>"
    return f"<table>\n{head}\n<tbody>\n{body}\n</tbody>\n</table>"


def _section(anchor: str, title: str, content: str) -> str:
    return f'<section id="{anchor}">\n<h2>{title}</h2>\n{content}\n</section>'


def _figure(image: bytes, caption: str) -> str:
    size = figure_size(image)
    assert size is not None
    kind = "png" if png_size(image) else "svg+xml"
    data = base64.b64encode(image).decode("ascii")
    cap = _e(caption, 300)
    return (
        f'<figure><img src="data:image/{kind};base64,{data}" width="{size[0]}" '
        f'height="{size[1]}" alt="{cap}"><figcaption>{cap}</figcaption></figure>'
    )


def _figures(items: Sequence[str]) -> str:
    return f'<div class="figures">\n{chr(10).join(items)}\n</div>' if items else ""


# --- verdict and baseline ------------------------------------------------------------------


def _verdict(report: Report) -> str:
    state = verdict_state(report)
    icon = STATUS_ICONS[state]
    skipped = sum(g.status == "skipped" for g in report.gates)
    base = baseline_sentence(
        report.baseline,
        skipped_gates=skipped,
        text=_e,
        code=lambda s: _code(s, 100),
        on_baseline=on_baseline_branch(report),
    )
    context = " · ".join([base, *(_e(p) for p in context_parts(report))])
    notices = "".join(
        f"<p>{mark} <strong>{label}</strong> {line}</p>\n"
        for mark, label, line in heads_up(report, text=lambda s: _e(s, 200), code=_code)
    )
    return (
        f'<header class="verdict verdict-{state}">\n'
        f"<h1>{icon} mlci · {_e(report.name, 100)} — {_e(headline(report))}</h1>\n"
        f"{notices}"
        f"<p>{context}</p>\n"
        f"<p class=muted>Commit {_code(report.commit, 64)} · ref {_code(report.ref, 200)}</p>\n"
        "</header>"
    )


def _baseline(b: BaselineInfo) -> str:
    if b.commit is None or b.how == "none":
        how = "none"
    elif b.how == "merge_base" or b.distance <= 0:
        how = "the merge base with the target branch"
    else:
        before = plural(b.distance, "commit")
        how = f"the nearest ancestor with a record, {before} before the merge base"
    rows = [
        ["Branch", _code(b.branch, 100)],
        ["Commit", _code(b.commit) if b.commit else "—"],
        ["Found as", _e(how)],
    ]
    if b.reason:
        rows.append(["Note" if b.commit else "Why none", _e(b.reason)])
    return _section("baseline", "Baseline", _table(["", ""], rows))


# --- metrics -------------------------------------------------------------------------------


def _metrics(report: Report) -> str:
    if not report.metrics:
        return ""
    by_metric: dict[str, list[GateResult]] = {}
    for g in report.gates:
        by_metric.setdefault(g.metric, []).append(g)
    with_baseline = report.baseline.commit is not None
    with_ci = any(interval_text(m) is not None for m in report.metrics)
    header = ["Metric", candidate_label(report), "Gate"]
    numeric: tuple[int, ...] = (1,)
    if with_baseline:
        header = ["Metric", _e(report.baseline.branch, 40), candidate_label(report), "Δ", "Δ%"]
        numeric = (1, 2, 3, 4)
        if with_ci:
            header += [_ci_header(report.metrics), "Method"]
            numeric += (5,)
        header.append("Gate")
    rows = [
        _metric_row(m, by_metric.get(m.name, []), with_baseline, with_ci) for m in report.metrics
    ]
    legend = ""
    if with_baseline:
        legend = (
            "<p class=muted>"
            + DELTA_LEGEND.format(
                candidate=candidate_label(report), baseline=_e(report.baseline.branch, 40)
            )
            + " (by the metric's direction).</p>"
        )
    return _section("metrics", "Metrics", _table(header, rows, numeric=numeric) + legend)


def _ci_header(metrics: Sequence[MetricComparison]) -> str:
    levels = {m.ci_level for m in metrics if interval_text(m) is not None}
    level = levels.pop() if len(levels) == 1 else None
    return f"{fmt_share(float(level))} CI of Δ" if isinstance(level, (int, float)) else "CI of Δ"


def _metric_row(
    m: MetricComparison, gates: list[GateResult], with_baseline: bool, with_ci: bool
) -> list[str]:
    row = metric_row(m, gates)
    name, gate = _e(row.name, 200), _gate_cell(row.gate)
    if not with_baseline:
        return [name, row.value, gate]
    change = "—" if row.change is None else row.change + _arrow(m.delta)
    cells = [name, row.baseline or "—", row.value, change, row.change_pct or "—"]
    if with_ci:
        cells += [row.interval or "—", _e(row.method or "", 80)]
    return [*cells, gate]


def _arrow(delta: float | None) -> str:
    arrows = {"better": ' <span class="better">⬆</span>', "worse": ' <span class="worse">⬇</span>'}
    return arrows.get(direction(delta) or "", "")


def _gate_cell(cell: GateCell) -> str:
    """A chip per rule that did not pass, with its threshold (and why it was skipped)."""
    if cell.passed:
        return _status("pass")
    return "<br>".join(
        f"{_status(mark.status)} {_e(mark.threshold, 200)}"
        + (f" <span class=muted>({_e(mark.reason, 80)})</span>" if mark.reason else "")
        for mark in cell.marks
    )


# --- gates ---------------------------------------------------------------------------------


def _gates(gates: Sequence[GateResult], metrics: Sequence[MetricComparison]) -> str:
    if not gates:
        return ""
    ordered = sorted(gates, key=lambda g: status_rank(g.status))
    rows = [
        [
            _status(g.status),
            _e(g.metric, 200),
            _e(g.threshold, 200),
            gate_value(g, metrics),
            _e(g.severity, 20),
            _e(g.message),
        ]
        for g in ordered
    ]
    header = ["Status", "Metric", "Rule", "Value", "Severity", "Details"]
    return _section("gates", f"Gates ({fmt_int(len(gates))})", _table(header, rows, numeric=(3,)))


# --- slices and budgets -------------------------------------------------------------------

MAX_SLICE_ROWS = 50  # per grouping, worst first


def _slices(slices: Sequence[Any]) -> str:
    """One table per grouping, worst slice first: rows, then each metric (and its change)."""
    groups: dict[tuple[str, ...], list[Any]] = {}
    for s in slices:
        groups.setdefault(tuple(s.grouping), []).append(s)
    parts = [_slice_table(grouping, members) for grouping, members in groups.items()]
    return _section("slices", "Slices", "\n".join(parts)) if parts else ""


def _slice_table(grouping: tuple[str, ...], slices: Sequence[Any]) -> str:
    names = list(dict.fromkeys(m.name for s in slices for m in s.metrics)) or ["metrics"]
    header = ["Slice", "Rows", *(_e(n, 80) for n in names)]
    rows = []
    for s in slices[:MAX_SLICE_ROWS]:
        by_name = {m.name: m for m in s.metrics}
        if s.too_small:
            cells = [f"too small (&lt; {fmt_int(s.min_size)} rows)"] + [""] * (len(names) - 1)
        else:
            cells = [_slice_cell(by_name.get(n)) for n in names]
        rows.append([_e(s.label, 300), fmt_int(s.n), *cells[: len(names)]])
    sorted_by = next((s.sorted_by for s in slices if s.sorted_by), None)
    title = ", ".join(grouping)
    caption = f" (worst first by {_e(sorted_by, 80)})" if sorted_by else ""
    more = len(slices) - MAX_SLICE_ROWS
    tail = f"<p class=muted>… {plural(more, 'more slice')} in report.json.</p>" if more > 0 else ""
    numeric = tuple(range(1, len(names) + 2))
    return f"<h3>By {_e(title, 200)}{caption}</h3>\n{_table(header, rows, numeric=numeric)}{tail}"


def _slice_cell(m: MetricComparison | None) -> str:
    if m is None:
        return ""
    text = fmt_value(m.value)
    if m.baseline is not None and m.change is not None:
        text += f" ({fmt_delta(m.change)}{_arrow(m.delta)})"
    return text


def _budgets(budgets: Sequence[Any], with_baseline: bool) -> str:
    if not budgets:
        return ""
    header = ["Budget", "this PR", "Baseline", "Δ", "Δ%", "Baseline measured", "How"]
    rows = [
        [
            _e(b.name, 80),
            fmt_value(b.value),
            "—" if b.baseline is None else fmt_value(b.baseline),
            "—" if b.change is None else fmt_delta(b.change) + _arrow(b.delta),
            "—" if b.change_pct is None else fmt_pct(b.change_pct),
            _e(str(b.baseline_source).replace("_", " "), 40),
            _e(b.method, 300),
        ]
        for b in budgets
    ]
    note = "" if with_baseline else "<p class=muted>No baseline record to compare with.</p>"
    table = _table(header, rows, numeric=(1, 2, 3, 4))
    return _section("budgets", "Budgets (lower is better)", table + note)


def _params(report: Report) -> str:
    """The DVC params that changed since the baseline commit, every one of them."""
    if not report.params_changed:
        return ""
    header = ["File", "Param", _e(report.baseline.branch, 80), "this PR"]
    rows = [
        [_code(p.file), _code(p.param), _param(p.baseline), _param(p.current)]
        for p in report.params_changed
    ]
    return _section("params", "Params changed (as dvc params diff)", _table(header, rows))


def _param(value: Any) -> str:
    if value is None:
        return "—"
    return _code(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False), 300)


# --- data checks and drift -----------------------------------------------------------------


def _checks(checks: Sequence[CheckResult]) -> str:
    if not checks:
        return ""
    n = count_statuses(c.status for c in checks)
    counts = [
        f"{STATUS_ICONS['pass']} {fmt_int(n.passed)} passed",
        f"{STATUS_ICONS['warn']} {plural(n.warnings, 'warning')}",
        f"{STATUS_ICONS['fail']} {fmt_int(n.failed)} failed",
    ]
    if n.insufficient_data:
        insufficient = fmt_int(n.insufficient_data)
        counts.append(f"{STATUS_ICONS['insufficient_data']} {insufficient} with insufficient data")
    if n.skipped:
        counts.append(f"{STATUS_ICONS['skipped']} {fmt_int(n.skipped)} skipped")
    ordered = sorted(checks, key=lambda c: status_rank(c.status))
    problems = [c for c in ordered if c.status != "pass"]
    passed = [c for c in ordered if c.status == "pass"]
    parts = [f"<p>{' · '.join(counts)}</p>"]
    if problems:
        parts.append(_table(_CHECK_HEADER, [_check_row(c) for c in problems]))
    if passed:
        listed = passed[:MAX_PASSED_ROWS]
        more = len(passed) - len(listed)
        tail = f"<p class=muted>… {fmt_int(more)} more in report.json.</p>" if more else ""
        parts.append(
            f"<details><summary>{plural(len(passed), 'passed check')}</summary>\n"
            f"{_table(_CHECK_HEADER, [_check_row(c) for c in listed])}{tail}\n"
            "</details>"
        )
    return _section("checks", f"Data checks ({fmt_int(len(checks))})", "\n".join(parts))


_CHECK_HEADER = ["Status", "Dataset", "Check", "Column", "Observed", "Expected", "Details"]


def _check_row(c: CheckResult) -> list[str]:
    details = _e(c.message)
    if c.examples:
        details += " e.g. " + ", ".join(_code(e, 80) for e in c.examples[:10])
    return [
        _status(c.status),
        _e(c.dataset, 200),
        _e(c.check, 80),
        _code(c.column, 200) if c.column else "",
        _e(c.observed or "", 300),
        _e(c.expected or "", 300),
        details,
    ]


def _drift(checks: Sequence[CheckResult], figures: Mapping[str, bytes]) -> str:
    drift = [c for c in checks if c.check in _DRIFT_CHECKS]
    plotted = [(k, parse_drift_key(k)) for k in figures]
    if not drift and not any(where for _, where in plotted):
        return ""
    ordered = sorted(drift, key=lambda c: (status_rank(c.status), -(c.score or 0)))
    problems = [c for c in ordered if c.status != "pass"]
    passed = [c for c in ordered if c.status == "pass"]
    parts = []
    if problems:
        parts.append(_table(_DRIFT_HEADER, [_drift_row(c) for c in problems], numeric=(5,)))
    elif drift:
        parts.append("<p>No column drifted beyond its thresholds.</p>")
    if passed:
        table = _table(
            _DRIFT_HEADER, [_drift_row(c) for c in passed[:MAX_PASSED_ROWS]], numeric=(5,)
        )
        summary = f"{plural(len(passed), 'drift check')} passed (highest scores first)"
        parts.append(f"<details><summary>{summary}</summary>\n{table}\n</details>")
    items = [
        _figure(figures[key], f"{where[0]} · {where[1]}: baseline and this PR")
        for key, where in plotted
        if where is not None
    ]
    if items:
        parts.append("<h3>Distributions of the drifted columns</h3>")
        parts.append(_figures(items))
    return _section("drift", "Drift", "\n".join(parts))


_DRIFT_HEADER = ["Status", "Dataset", "Column", "Check", "Method", "Score", "Details"]


def _drift_row(c: CheckResult) -> list[str]:
    score = "n/a" if c.score is None else fmt_value(c.score)
    column = _code(c.column or "", 200)
    return [
        _status(c.status),
        _e(c.dataset, 200),
        column,
        _e(c.check, 40),
        _e(c.method or "", 40),
        score,
        _e(c.message),
    ]


# --- model figures and history -------------------------------------------------------------


def _model_figures(figures: Mapping[str, bytes]) -> str:
    known = [k for k in _MODEL_FIGURES if k in figures]
    others = [k for k in figures if k not in FIGURE_CAPTIONS and parse_drift_key(k) is None]
    items = [_figure(figures[k], FIGURE_CAPTIONS[k]) for k in known]
    items += [_figure(figures[k], k) for k in others]
    return _section("model", "Model", _figures(items)) if items else ""


def _history(report: Report, history: HistoryPoints | None, figures: Mapping[str, bytes]) -> str:
    series = _history_series(report, history)
    if not series and "history" not in figures:
        return ""
    branch = _e(report.baseline.branch, 40)
    rows = [_history_row(metric, points) for metric, points in series.items()]
    header = ["Metric", "Trend (oldest → newest)", "Records", "First", "Last"]
    parts = [_table(header, rows, numeric=(2, 3, 4))] if rows else []
    if "history" in figures:
        parts.append(_figures([_figure(figures["history"], f"Metric history on {branch}")]))
    return _section("history", f"History on {branch}", "\n".join(parts))


def _history_series(
    report: Report, history: HistoryPoints | None
) -> dict[str, list[tuple[str | None, float]]]:
    if history is not None:
        return {m: [(sha, v) for sha, v in pts] for m, pts in history.items() if pts}
    return {m: [(None, v) for v in values] for m, values in report.history.items() if values}


def _history_row(metric: str, points: Sequence[tuple[str | None, float]]) -> list[str]:
    values = [v for _, v in points]
    first, last = points[0], points[-1]
    return [
        _e(metric, 200),
        f'<span class="spark">{sparkline(values)}</span>',
        fmt_int(len(points)),
        _with_sha(first),
        _with_sha(last),
    ]


def _with_sha(point: tuple[str | None, float]) -> str:
    sha, value = point
    return fmt_value(value) + (f" <code>{_e(sha, 12)}</code>" if sha else "")


# --- datasets, notes, footer ---------------------------------------------------------------


def _datasets(datasets: Sequence[DatasetSummary]) -> str:
    if not datasets:
        return ""
    rows = [
        [
            _e(d.name, 200),
            _code(d.path, 500),
            fmt_int(d.rows),
            fmt_int(d.columns),
            _code(d.fingerprint, 100),
        ]
        for d in datasets
    ]
    header = ["Dataset", "Path", "Rows", "Columns", "Fingerprint"]
    return _section(
        "datasets", f"Datasets ({fmt_int(len(datasets))})", _table(header, rows, numeric=(2, 3))
    )


def _notes(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    items = "\n".join(f"<li>{_e(n)}</li>" for n in notes)
    return _section("notes", "Notes", f"<ul>\n{items}\n</ul>")


def _footer(report: Report) -> str:
    tool = f"mlci {_e(report.tool_version, 40)}" if report.tool_version else "mlci"
    return (
        f"{tool} · report of {_code(report.commit[:12], 12)} · a self-contained page: "
        "no script, nothing loaded from elsewhere"
    )


_STYLE = """
:root { color-scheme: light; --pass: #1a7f37; --warn: #9a6700; --fail: #cf222e;
  --muted: #59636e; --line: #d1d9e0; --head: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: #1f2328; line-height: 1.45;
  font: 14px/1.45 -apple-system, BlinkMacSystemFont, "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 22px; margin: 0 0 6px; overflow-wrap: anywhere; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 8px; }
p { margin: 6px 0; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eff2f5;
  padding: 1px 4px; border-radius: 4px; overflow-wrap: anywhere; }
.muted { color: var(--muted); font-size: 13px; }
.verdict { border: 1px solid var(--line); border-left: 6px solid var(--pass); border-radius: 6px;
  padding: 14px 18px; background: #f6fff8; }
.verdict-warn { border-left-color: var(--warn); background: #fff8e6; }
.verdict-fail { border-left-color: var(--fail); background: #fff5f5; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
th { background: var(--head); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fafbfc; }
.st { white-space: nowrap; font-weight: 600; }
.st-pass { color: var(--pass); } .st-warn, .st-inconclusive { color: var(--warn); }
.st-fail { color: var(--fail); }
.st-skipped, .st-insufficient_data, .st-other { color: var(--muted); }
.better { color: var(--pass); } .worse { color: var(--fail); }
.spark { font-size: 18px; letter-spacing: 1px; white-space: nowrap; color: #0072b2; }
details { margin: 8px 0; } summary { cursor: pointer; color: var(--muted); }
.figures { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px;
  max-width: 100%; }
figure img { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 12.5px; margin-top: 4px; overflow-wrap: anywhere; }
footer { color: var(--muted); font-size: 12px; margin-top: 40px; border-top: 1px solid var(--line);
  padding-top: 8px; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<main>
{body}
<footer>{footer}</footer>
</main>
</body>
</html>
"""
