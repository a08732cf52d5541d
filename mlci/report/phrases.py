"""The phrases every renderer of a report shares (status counts, the verdict headline, the
baseline sentence, the heads-up lines), so all formats say the same thing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from mlci.results import BaselineInfo, Report, Status
from mlci.vocab import fmt_int


@dataclass(frozen=True)
class StatusCounts:
    """How many results have each status."""

    passed: int = 0
    failed: int = 0
    warnings: int = 0
    skipped: int = 0
    insufficient_data: int = 0
    inconclusive: int = 0  # change rules whose breach the interval of Δ cannot confirm

    @property
    def total(self) -> int:
        return (
            self.passed
            + self.failed
            + self.warnings
            + self.skipped
            + self.insufficient_data
            + self.inconclusive
        )


def count_statuses(statuses: Iterable[Status]) -> StatusCounts:
    """Tally statuses: ``count_statuses(["pass", "fail", "pass"]).passed == 2``."""
    n = Counter(statuses)
    return StatusCounts(
        passed=n["pass"],
        failed=n["fail"],
        warnings=n["warn"],
        skipped=n["skipped"],
        insufficient_data=n["insufficient_data"],
        inconclusive=n["inconclusive"],
    )


def verdict_state(report: Report) -> Literal["fail", "warn", "pass"]:
    """The one word every format opens with and `mlci run` ends with: ``fail`` when the
    verdict fails, ``warn`` when it passes with warnings or inconclusive gates, else ``pass``."""
    counts = count_statuses([*(g.status for g in report.gates), *(c.status for c in report.checks)])
    if report.verdict == "fail":
        return "fail"
    return "warn" if counts.warnings or counts.inconclusive else "pass"


def on_baseline_branch(report: Report) -> bool:
    """Whether the run evaluated the baseline branch itself (a push to main), not a PR."""
    return report.ref == f"refs/heads/{report.baseline.branch}"


def candidate_label(report: Report) -> str:
    """What the tables call the evaluated commit: ``this PR``, or ``this commit`` on the
    baseline branch (a run on main compares main with its own earlier record)."""
    return "this commit" if on_baseline_branch(report) else "this PR"


def plural(n: int, word: str) -> str:
    """``plural(1, "gate") == "1 gate"``, ``plural(2, "gate") == "2 gates"``."""
    return f"{fmt_int(n)} {word}{'' if n == 1 else 's'}"


def headline(report: Report) -> str:
    """What the verdict line says after the name.

    ``"1 gate failed"``, ``"1 gate and 2 data checks failed"``, ``"passed with 2 warnings"``,
    ``"passed with 1 inconclusive gate"``, ``"passed with 1 warning and 1 inconclusive gate"``,
    ``"all gates passed"``, ``"all gates passed, 2 skipped (no baseline)"``,
    ``"all data checks passed"`` or ``"report only: no gates or data checks configured"``.
    """
    gates = count_statuses(g.status for g in report.gates)
    checks = count_statuses(c.status for c in report.checks)
    if report.verdict == "fail":
        return _failed_phrase(gates.failed, checks.failed)
    warnings = gates.warnings + checks.warnings
    if warnings or gates.inconclusive:
        parts = [plural(warnings, "warning")] if warnings else []
        if gates.inconclusive:
            parts.append(plural(gates.inconclusive, "inconclusive gate"))
        return "passed with " + " and ".join(parts)
    if gates.total:
        skipped = f", {fmt_int(gates.skipped)} skipped" if gates.skipped else ""
        reason = " (no baseline)" if skipped and report.baseline.commit is None else ""
        return f"all gates passed{skipped}{reason}" if gates.passed else _all_skipped(gates)
    if checks.total:
        return "all data checks passed"
    return "report only: no gates or data checks configured"


def _failed_phrase(gates: int, checks: int) -> str:
    parts = []
    if gates:
        parts.append(plural(gates, "gate"))
    if checks:
        parts.append(plural(checks, "data check"))
    return " and ".join(parts) + " failed" if parts else "failed"


def _all_skipped(gates: StatusCounts) -> str:
    return f"no gate could be checked ({fmt_int(gates.skipped)} skipped)"


def baseline_sentence(
    baseline: BaselineInfo,
    *,
    skipped_gates: int,
    text: Callable[[str], str] = str,
    code: Callable[[str], str] = str,
    on_baseline: bool = False,
) -> str:
    """Which baseline the run was compared with, or why there was none.

    ``"Compared with main @ 3f2c1ab (merge base)"``, ``"Compared with main @ 3f2c1ab (nearest
    ancestor with a record, 2 commits before the merge base)"`` or ``"No baseline: <reason>.
    Change rules were skipped."``. ``text`` escapes free text and ``code`` formats the branch
    (markdown: :func:`~mlci.report.escape.md_text` and :func:`~mlci.report.escape.md_code`).
    """
    if baseline.commit is None or baseline.how == "none":
        reason = baseline.reason.strip().rstrip(".") or "no baseline record was found"
        skipped = " Change rules were skipped." if skipped_gates else ""
        branch = code(baseline.branch)
        step = (
            f" This run on {branch} stores the first record; later runs compare with it."
            if on_baseline
            else f" To create one, run mlci on {branch} once: push to {branch} (the "
            f"mlci-main workflow stores its record), or `mlci run` on a checkout of {branch}."
        )
        return f"No baseline: {text(reason)}.{skipped}{step}"
    at = f"Compared with {code(baseline.branch)} @ {text(baseline.commit[:7])}"
    if baseline.how == "release":
        return f"Compared with release {code(baseline.branch)} @ {text(baseline.commit[:7])}"
    if baseline.how == "merge_base" or baseline.distance <= 0:
        return f"{at} (merge base)"
    before = plural(baseline.distance, "commit")
    return f"{at} (nearest ancestor with a record, {before} before the merge base)"


def context_parts(report: Report) -> list[str]:
    """``["eval: 12,400 rows", "data: 2 datasets, 31 checks"]``, each part only when known."""
    parts = []
    if report.evaluation is not None and report.evaluation.n_rows is not None:
        parts.append(f"eval: {plural(report.evaluation.n_rows, 'row')}")
    if report.datasets or report.checks:
        datasets = plural(len(report.datasets), "dataset")
        parts.append(f"data: {datasets}, {plural(len(report.checks), 'check')}")
    return parts


MAX_GATE_CHANGES = 8  # changes named in the heads-up line; the rest are counted


def heads_up(
    report: Report, *, text: Callable[[str], str] = str, code: Callable[[str], str] = str
) -> list[tuple[str, str, str]]:
    """The lines every format shows right under the verdict, as ``(icon, label, sentence)``.

    - When `mlci publish` judged the report (the fork-safe workflow): who computed the numbers.
    - When the pull request changes its gates, stats, budgets or directions: what changed, and
      whose gates the status uses (the PR's own in ``mlci run``, the default branch's in
      ``mlci publish``).

    ``text`` escapes free text (each change) and ``code`` formats the branch, as in
    :func:`baseline_sentence`.
    """
    lines = []
    if report.judged_with is not None:
        branch = code(report.judged_with)
        lines.append(
            (
                "🔒",
                "Fork-safe publishing:",
                "the numbers below were computed by this pull request's own job and are shown as "
                f"it reported them; the gates and the verdict were judged here with the config of "
                f"{branch}.",
            )
        )
    if report.gate_changes:
        shown = [text(change) for change in report.gate_changes[:MAX_GATE_CHANGES]]
        more = len(report.gate_changes) - len(shown)
        listed = "; ".join(shown) + (f"; and {fmt_int(more)} more" if more else "")
        whose = (
            f"not applied: the status uses the gates of {code(report.judged_with)}"
            if report.judged_with is not None
            else "applied: the status uses this PR's own gates"
        )
        lines.append(("⚠️", "Heads-up:", f"this PR changes its gates: {listed} ({whose})."))
    return lines
