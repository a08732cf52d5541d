"""``model-card.md``: what a released model is, how it did, on what data, checked how (pure).

The card is rendered from the tagged commit's record, the release check and ``release:`` in
the config. Every value that came from the repository or the data (names, paths, messages,
the config's texts) is escaped as in the PR comment, so the card is safe to render anywhere.
It carries no time of its own and no run link, so a rerun writes identical bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlci.config import ReleaseConfig
from mlci.records.format import Record
from mlci.release.check import ReleaseCheck
from mlci.release.version import TagInfo
from mlci.report.cells import gate_cell, md_gate_cell, metric_row
from mlci.report.escape import md_code, md_text
from mlci.results import STATUS_ICONS, GateResult, MetricComparison
from mlci.vocab import clip, fmt_int, fmt_share, fmt_value

if TYPE_CHECKING:
    from mlci.release.bundle import BundleEntry  # a value; the module writes files

MAX_COLUMNS = 60  # profile rows per dataset
MAX_SLICES = 40  # slice rows per grouping


@dataclass(frozen=True)
class CardInputs:
    """Everything the card says. ``model_files`` are the bundle's copies of the model files."""

    name: str
    tag: TagInfo
    record: Record
    check: ReleaseCheck
    release: ReleaseConfig
    model_files: tuple[BundleEntry, ...] = ()
    tool_version: str = ""


def render_model_card(inputs: CardInputs) -> str:
    """The model card as markdown."""
    sections = [
        _header(inputs),
        _text_section("Intended use", inputs.release.intended_use, "release.intended_use"),
        _text_section("Limitations", inputs.release.limitations, None),
        _files_section(inputs.model_files),
        _metrics_section(inputs),
        _slices_section(inputs.record),
        _budgets_section(inputs.record),
        _gates_section(inputs.check.gates),
        _data_section(inputs.record),
        _environment_section(inputs.record),
        "## Verifying the files\n\nEvery file of this release is listed with its SHA-256 "
        "digest in `SHA256SUMS`: download the assets into one folder and run "
        "`sha256sum -c SHA256SUMS`.",
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


# -- shared with the release notes ------------------------------------------------------------


def metric_table(check: ReleaseCheck, tag: TagInfo, *, limit: int = 200) -> str:
    """The metrics of this release beside the previous release's, with the change."""
    comparisons = check.comparisons[:limit]
    if not comparisons:
        return ""
    by_metric: dict[str, list[GateResult]] = {}
    for g in check.gates:
        by_metric.setdefault(g.metric, []).append(g)
    this = md_code(clip(tag.tag, 40))
    if check.previous is None:
        rows = [
            _row(_name(c), fmt_value(c.value), _gate_cell(by_metric.get(c.name, [])))
            for c in comparisons
        ]
        return _table(("Metric", this, "Gates"), "lrl", rows)
    previous = md_code(clip(check.previous.tag, 40))
    rows = [_change_row(c, by_metric.get(c.name, [])) for c in comparisons]
    header = ("Metric", previous, this, "Change", "Change %", "CI of change", "Gates")
    return _table(header, "lrrrrll", rows)


def verdict_phrase(check: ReleaseCheck) -> str:
    """``"passed in strict mode: 3 rules passed, 1 skipped"``."""
    counts: dict[str, int] = {}
    for g in check.gates:
        counts[g.status] = counts.get(g.status, 0) + 1
    parts = [f"{n} {status if status != 'pass' else 'passed'}" for status, n in counts.items()]
    state = "passed" if check.passed else "refused"
    return f"{state} in strict mode" + (f": {', '.join(parts)}" if parts else "")


# -- sections ---------------------------------------------------------------------------------


def _header(inputs: CardInputs) -> str:
    tag, record, check = inputs.tag, inputs.record, inputs.check
    kind = " (pre-release)" if tag.prerelease else ""
    previous = (
        f"{md_code(clip(check.previous.tag, 60))} at {md_code(check.previous.commit[:12])}"
        if check.previous is not None
        else "none: first release of this model"
    )
    rows = [
        ("Model", md_text(clip(inputs.name, 100))),
        ("Version", f"{md_text(clip(tag.version, 60))}{kind} · tag {md_code(clip(tag.tag, 60))}"),
        ("Commit", md_code(record.commit)),
        ("Owner", _or_unset(inputs.release.owner, "release.owner")),
        ("Evaluated", md_text(record.created_at) + f" · config {md_code(record.config_hash)}"),
        ("Previous release", previous),
        ("Release gates", ("✅ " if check.passed else "❌ ") + verdict_phrase(check)),
    ]
    table = _table(("", ""), "ll", [_row(f"**{k}**", v) for k, v in rows])
    title = f"# Model card: {md_text(clip(inputs.name, 100))} {md_text(clip(tag.version, 60))}"
    tool = f"mlci {md_text(inputs.tool_version)}" if inputs.tool_version else "mlci"
    return (
        f"{title}\n\n{table}\n\n<sub>Written by {tool} from the record of the tagged commit.</sub>"
    )


def _text_section(title: str, text: str, key: str | None) -> str:
    if not text.strip():
        return f"## {title}\n\n{_or_unset('', key)}" if key else ""
    lines = [md_text(line) if line.strip() else "" for line in text.strip().splitlines()]
    return f"## {title}\n\n" + "\n".join(lines)


def _or_unset(value: str, key: str | None) -> str:
    if value.strip():
        return md_text(clip(value, 200))
    return f"_not stated (set `{key}` in mlci.yml)_" if key else "_not stated_"


def _files_section(files: Sequence[BundleEntry]) -> str:
    if not files:
        return (
            "## Model files\n\nNo model file is configured: this release carries the "
            "evaluation (card, metrics, record). Set `model.model` or `release.assets` in "
            "mlci.yml to ship the model itself."
        )
    rows = [_row(md_code(f.name), f"{fmt_int(f.size)} bytes", md_code(f.sha256)) for f in files]
    return "## Model files\n\n" + _table(("File", "Size", "SHA-256"), "lrl", rows)


def _metrics_section(inputs: CardInputs) -> str:
    model = inputs.record.model
    if not model:
        return "## Metrics\n\nNo model is configured: this release was judged on data checks."
    source = {
        "metrics_file": "a metrics file",
        "predictions": "a predictions file",
        "model": "the model file",
    }.get(str(model.get("source")), "the model")
    rows = model.get("n_rows")
    on = f" on {fmt_int(rows)} evaluation rows" if isinstance(rows, int) else ""
    intro = f"Task: {md_text(str(model.get('task')))} · computed from {source}{on}."
    since = (
        f" Change since {md_code(clip(inputs.check.previous.tag, 60))}: this release minus "
        "the previous one; the interval (where shown) is for that change, paired on the "
        "same evaluation rows."
        if inputs.check.previous is not None
        else ""
    )
    notes = "".join(f"\n- {md_text(clip(n, 500))}" for n in inputs.check.notes)
    table = metric_table(inputs.check, inputs.tag)
    return f"## Metrics\n\n{intro}{since}\n\n{table}" + (f"\n{notes}" if notes else "")


def _slices_section(record: Record) -> str:
    entries = record.extra.get("slices") if record.extra else None
    if not isinstance(entries, list) or not entries:
        return ""
    groups: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for e in entries:
        if isinstance(e, Mapping) and isinstance(e.get("metrics"), Mapping):
            groups.setdefault(tuple(str(c) for c in e.get("grouping", [])), []).append(e)
    blocks = [_slice_table(g, rows) for g, rows in groups.items()]
    return "## Slices\n\n" + "\n\n".join(blocks) if blocks else ""


def _slice_table(grouping: tuple[str, ...], entries: Sequence[Mapping[str, Any]]) -> str:
    metrics = list(dict.fromkeys(m for e in entries for m in e["metrics"]))[:8]
    rows = [
        _row(
            md_text(clip(", ".join(str(k) for k in e.get("key", [])), 80)),
            fmt_int(e.get("n")),
            *(fmt_value(_num(e["metrics"].get(m))) for m in metrics),
        )
        for e in entries[:MAX_SLICES]
    ]
    more = (
        f"\n\n… {len(entries) - MAX_SLICES} more slices in record.json"
        if len(entries) > MAX_SLICES
        else ""
    )
    title = f"**By {md_text(clip(', '.join(grouping), 120))}**"
    header = ("Slice", "Rows", *(md_text(clip(m, 40)) for m in metrics))
    return f"{title}\n\n{_table(header, 'lr' + 'r' * len(metrics), rows)}{more}"


def _budgets_section(record: Record) -> str:
    budgets = record.extra.get("budgets") if record.extra else None
    if not isinstance(budgets, Mapping) or not budgets:
        return ""
    rows = [_row(md_text(clip(str(k), 60)), fmt_value(_num(v))) for k, v in budgets.items()]
    return "## Budgets\n\n" + _table(("Budget", "Measured"), "lr", rows)


def _gates_section(gates: Sequence[GateResult]) -> str:
    if not gates:
        return ""
    rows = [
        _row(
            STATUS_ICONS.get(g.status, ""),
            md_text(clip(g.metric, 80)),
            md_text(g.threshold),
            _mode(g),
            md_text(clip(g.message, 300)),
        )
        for g in gates
    ]
    table = _table(("", "Metric", "Rule", "Mode", "Details"), "lllll", rows)
    return f"## Release gates\n\nJudged again at release time in strict mode.\n\n{table}"


def _mode(g: GateResult) -> str:
    """How the rule was judged: a change rule's mode, "value" for min/max, or "as recorded"."""
    if g.scope != "metric":
        return "as recorded"
    if g.rule in ("min", "max"):
        return "value"
    return md_text(g.mode) if g.mode else "—"


def _data_section(record: Record) -> str:
    if not record.datasets:
        return ""
    rows = [
        _row(
            md_text(clip(name, 40)),
            md_code(clip(str(d.get("path", "")), 120)),
            fmt_int(d.get("rows")),
            fmt_int(d.get("columns")),
            md_code(clip(str(d.get("fingerprint", "")), 80)),
        )
        for name, d in record.datasets.items()
    ]
    table = _table(("Dataset", "Path", "Rows", "Columns", "Fingerprint"), "llrrl", rows)
    profiles = [_profile(name, d.get("profile")) for name, d in record.datasets.items()]
    checks = _checks_line(record)
    blocks = ["## Data", table, *(p for p in profiles if p), checks]
    return "\n\n".join(b for b in blocks if b)


def _profile(name: str, profile: Any) -> str:
    columns = profile.get("columns") if isinstance(profile, Mapping) else None
    if not isinstance(columns, Mapping) or not columns:
        return ""
    items = list(columns.items())
    rows = [_profile_row(str(col), p) for col, p in items[:MAX_COLUMNS] if isinstance(p, Mapping)]
    more = (
        f"\n\n… {len(items) - MAX_COLUMNS} more columns in record.json"
        if len(items) > MAX_COLUMNS
        else ""
    )
    header = ("Column", "Type", "Nulls", "Summary")
    title = f"**Profile of {md_code(clip(name, 60))}**"
    return f"{title}\n\n{_table(header, 'llrl', rows)}{more}"


def _profile_row(column: str, p: Mapping[str, Any]) -> str:
    count, nulls = _num(p.get("count")), _num(p.get("nulls"))
    total = (count or 0) + (nulls or 0)
    share = f" ({fmt_share(nulls / total)})" if total and nulls else ""
    return _row(
        md_text(clip(column, 60)),
        md_text(str(p.get("logical_type") or p.get("kind") or "")),
        fmt_int(int(nulls)) + share if nulls is not None else "n/a",
        _summary(p),
    )


def _summary(p: Mapping[str, Any]) -> str:
    kind = p.get("kind")
    if kind == "numeric":
        return (
            f"{fmt_value(_num(p.get('min')))} … {fmt_value(_num(p.get('max')))}, "
            f"mean {fmt_value(_num(p.get('mean')))}"
        )
    if kind in ("categorical", "boolean"):
        top = p.get("top") or []
        shown = [_top_item(t) for t in top[:3] if _top_item(t)]
        distinct = p.get("distinct")
        lead = f"{fmt_int(int(distinct))} distinct" if isinstance(distinct, (int, float)) else ""
        return md_text(clip("; ".join([x for x in [lead, ", ".join(shown)] if x]), 160))
    if kind == "datetime":
        return md_text(f"{p.get('min')} … {p.get('max')}")
    return ""


def _top_item(item: Any) -> str:
    if isinstance(item, Mapping):
        value, count = item.get("value"), item.get("count")
    elif isinstance(item, (list, tuple)) and len(item) == 2:
        value, count = item
    else:
        return ""
    return f"{clip(str(value), 30)} ({fmt_int(count) if isinstance(count, int) else count})"


def _checks_line(record: Record) -> str:
    if not record.checks:
        return ""
    statuses = [str(c.get("status")) for c in record.checks]
    passed = statuses.count("pass")
    flagged = [c for c in record.checks if c.get("status") in ("warn", "fail")]
    head = (
        f"Data checks at the tagged commit: {fmt_int(passed)} of {fmt_int(len(statuses))} passed."
    )
    items = [
        f"- {STATUS_ICONS.get(str(c.get('status')), '')} {_text(c.get('message'), 300)}"
        for c in flagged[:20]
    ]
    return "\n".join([head, *items])


def _environment_section(record: Record) -> str:
    env = record.environment or {}
    packages = env.get("packages") if isinstance(env.get("packages"), Mapping) else {}
    lines = [
        f"Evaluated with Python {md_text(str(env.get('python', '?')))} on "
        f"{md_text(str(env.get('platform', '?')))}, mlci {md_text(record.tool_version)}."
    ]
    if packages:
        rows = [_row(md_text(str(k)), md_code(str(v))) for k, v in sorted(packages.items())]
        lines.append(_table(("Package", "Version"), "ll", rows))
    return "## Environment\n\n" + "\n\n".join(lines)


# -- table helpers --------------------------------------------------------------------------------


def _change_row(c: MetricComparison, gates: list[GateResult]) -> str:
    row = metric_row(c, gates)
    interval = "—"
    if row.interval is not None:
        interval = f"{fmt_share(c.ci_level)} {row.interval}" if c.ci_level else row.interval
    cells = (row.baseline or "—", row.value, row.change or "—", row.change_pct or "—", interval)
    return _row(_name(c), *cells, md_gate_cell(row.gate))


def _gate_cell(gates: Sequence[GateResult]) -> str:
    return md_gate_cell(gate_cell(gates)) if gates else ""


def _text(value: Any, n: int) -> str:
    return md_text(clip(str(value), n))


def _name(c: MetricComparison) -> str:
    return md_text(clip(c.name, 80))


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return None if isinstance(x, float) and math.isnan(x) else float(x)


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: Sequence[str], align: str, rows: Sequence[str]) -> str:
    rule = {"l": ":--", "r": "--:"}
    head = "| " + " | ".join(header) + " |\n|" + "|".join(rule[a] for a in align) + "|"
    return "\n".join([head, *rows])
