"""A monitoring run as plain terminal text: the verdict, what drifted, the metrics (pure)."""

from __future__ import annotations

from mlci.monitor.result import MonitorOutcome
from mlci.report.escape import strip_controls
from mlci.vocab import fmt_delta, fmt_int, fmt_value


def render_terminal(outcome: MonitorOutcome) -> str:
    """A few lines for the job log or a terminal (control characters of the data removed)."""
    r = outcome.release
    lines = [
        f"mlci monitor · {_clean(outcome.name)} vs release {_clean(r.tag)} ({r.commit[:7]}): "
        + ("FAIL" if outcome.alert else "pass")
    ]
    for d in outcome.datasets:
        files = outcome.files.get(d.summary.name, 0)
        lines.append(
            f"  {_clean(d.summary.name)}: {fmt_int(d.summary.rows)} rows"
            + (f" in {fmt_int(files)} files" if files > 1 else "")
        )
    for c in outcome.drifted():
        lines.append(f"  drift  {_clean(c.dataset)}.{_clean(c.column or '')}: {_clean(c.message)}")
    gates, checks = outcome.failing()
    for c in checks:
        lines.append(f"  FAIL   {_clean(c.dataset)}: {_clean(c.message)}")
    for m in outcome.comparisons:
        base = "n/a" if m.baseline is None else fmt_value(m.baseline)
        lines.append(
            f"  {_clean(m.name):<20} release {base:>8}  production {fmt_value(m.value):>8}  "
            f"Δ {fmt_delta(m.change)}"
        )
    for g in gates:
        lines.append(f"  FAIL   gate {_clean(g.metric)} {_clean(g.threshold)}: {_clean(g.message)}")
    lines += [f"  note: {_clean(n)}" for n in outcome.notes]
    return "\n".join(lines)


def _clean(text: str) -> str:
    return strip_controls(text)
