"""A maintainer accepts a failing pull request gate with a label (DESIGN §5), checked via the API.

On a ``pull_request`` run whose gates fail, and only when ``override: {label: ...}`` is
configured, mlci reads the pull request's labels. When the label is there, it finds who applied
it last (the newest ``labeled`` issue event for that label) and that user's permission on the
repository. GitHub reports the legacy permission, where the *maintain* role reads as ``write``
and *triage* as ``read``; so ``admin`` or ``write`` means admin, maintain or write, and accepts.

Accepted: each failing gate becomes a warning whose message starts "overridden by @user", the
verdict passes (unless a data check failed: the label accepts a regression, not broken data), a
note in the comment says who accepted what, and the record keeps it under ``extra.override``.
Not accepted: nothing changes but a note that says why. The override never applies to release
tags: ``mlci release`` judges the tagged commit again from its metrics.

Mentions are harmless here: the comment renderer escapes every note and message, so ``@user``
shows as text and pings nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TextIO

from mlci.errors import MlciError
from mlci.github.client import GitHubClient
from mlci.results import GateResult, Report, Verdict

if TYPE_CHECKING:
    from mlci.github.actions import ActionsContext
    from mlci.records.format import Record

ACCEPTED_PERMISSIONS = ("admin", "write")  # legacy values: admin, maintain and write roles


@dataclass(frozen=True)
class Override:
    """Whether the override label on a pull request counts, and why.

    ``actor`` is who applied the label last (None when no ``labeled`` event names anyone);
    ``permission`` is their legacy repository permission (admin, write, read or none).
    """

    label: str
    actor: str | None
    permission: str | None
    accepted: bool

    @property
    def refusal(self) -> str:
        """Why the label was not accepted (empty when it was)."""
        if self.accepted:
            return ""
        if self.actor is None:
            return (
                f"The label {self.label} is on the pull request, but no event says who applied "
                "it: not accepted. Remove it and apply it again."
            )
        return (
            f"The label {self.label} was applied by @{self.actor}, who has "
            f"{self.permission or 'no'} permission on the repository: not accepted (accepting "
            "a failing gate needs write, maintain or admin)."
        )


class OverrideClient(GitHubClient):
    """The three reads an override needs, under the client's retry policy."""

    def labels(self, number: int) -> list[str]:
        issue = self._repo.get_issue(number)
        return self.retry.call(
            lambda: [label.name for label in issue.get_labels()],
            what=f"reading the labels of pull request #{number}",
        )

    def label_actor(self, number: int, label: str) -> str | None:
        """Who applied ``label`` last (the newest ``labeled`` event), or None."""
        issue = self._repo.get_issue(number)

        def newest() -> str | None:
            actor = None
            for event in issue.get_events():  # oldest first
                named = event.label.name if event.label is not None else ""
                if event.event == "labeled" and _same_label(named, label):
                    actor = event.actor.login if event.actor is not None else None
            return actor

        return self.retry.call(newest, what=f"reading the events of pull request #{number}")

    def permission(self, login: str) -> str:
        return self.retry.call(
            lambda: self._repo.get_collaborator_permission(login),
            what=f"reading the repository permission of {login}",
        )


def check_override(client: OverrideClient, number: int, label: str) -> Override | None:
    """The override of pull request ``number``, or None when the label is not on it."""
    if not any(_same_label(name, label) for name in client.labels(number)):
        return None
    actor = client.label_actor(number, label)
    if actor is None:
        return Override(label, None, None, accepted=False)
    permission = client.permission(actor)
    return Override(label, actor, permission, accepted=permission in ACCEPTED_PERMISSIONS)


def apply_override(report: Report, record: Record, override: Override) -> tuple[Report, Record]:
    """The report and record after ``override`` (pure).

    Accepted: failing gates become ``warn`` with "overridden by @user: ..." messages, the
    verdict is recomputed without them, a note names who accepted which gates, and
    ``record.extra["override"]`` records it. Refused: only the note and the record entry.
    """
    failing = [g for g in report.gates if g.status == "fail"]
    new_report = override_report(report, override)
    if not override.accepted:
        entry = _entry(override, ())
        return new_report, _with_entry(record, entry, record.verdict)
    new_record = replace(record, gates=tuple(g.to_dict() for g in new_report.gates))
    entry = _entry(override, failing)
    return new_report, _with_entry(new_record, entry, new_report.verdict)


def override_report(report: Report, override: Override) -> Report:
    """The report after ``override``, as :func:`apply_override` makes it (pure)."""
    if not override.accepted:
        return _with_note(report, override.refusal)
    failing = [g for g in report.gates if g.status == "fail"]
    gates = tuple(_overridden(g, override) if g.status == "fail" else g for g in report.gates)
    verdict: Verdict = "fail" if any(c.status == "fail" for c in report.checks) else "pass"
    new_report = replace(_with_note(report, _accepted_note(override, failing)), gates=gates)
    return replace(new_report, verdict=verdict)


def for_report(
    client: OverrideClient, number: int, label: str, report: Report, *, stdout: TextIO
) -> Report:
    """:func:`for_pull_request` for a report alone (`mlci publish`): the override label of
    pull request ``number``, checked through ``client``, applied when the gates fail."""
    if not any(g.status == "fail" for g in report.gates):
        return report
    try:
        override = check_override(client, number, label)
    except MlciError as exc:
        note = f"Could not check the override label {label}: {exc}"
        print(f"mlci: warning: {note}", file=stdout)
        return _with_note(report, note)
    if override is None:
        return report
    judged = override_report(report, override)
    print(f"mlci: {judged.notes[-1]}", file=stdout)
    return judged


def for_pull_request(
    ctx: ActionsContext,
    label: str,
    report: Report,
    record: Record,
    *,
    stdout: TextIO,
    client: OverrideClient | None = None,
) -> tuple[Report, Record]:
    """Apply the override label of this run's pull request, if any.

    Nothing is read from GitHub unless this is a pull request whose gates fail. A failure to
    read is a note in the comment, never a failed run: the verdict then stays as judged.
    """
    number = ctx.plan.pr_number
    failing = any(g.status == "fail" for g in report.gates)
    if ctx.plan.kind != "pull_request" or number is None or not failing:
        return report, record
    gh = client or OverrideClient(ctx.settings)
    try:
        override = check_override(gh, number, label)
    except MlciError as exc:
        note = f"Could not check the override label {label}: {exc}"
        print(f"mlci: warning: {note}", file=stdout)
        return _with_note(report, note), record
    finally:
        if client is None:
            gh.close()
    if override is None:
        return report, record
    new_report, new_record = apply_override(report, record, override)
    print(f"mlci: {new_report.notes[-1]}", file=stdout)
    return new_report, new_record


def _same_label(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()  # GitHub label names are case-insensitive


def _overridden(gate: GateResult, override: Override) -> GateResult:
    return replace(gate, status="warn", message=f"overridden by @{override.actor}: {gate.message}")


def _accepted_note(override: Override, failing: Sequence[GateResult]) -> str:
    what = "; ".join(f"{g.metric} {g.threshold}" for g in failing)
    gates = f"{len(failing)} failing gate{'s' if len(failing) != 1 else ''}"
    detail = f" ({what})" if what else ""
    return (
        f"Overridden by @{override.actor} with the label {override.label}: {gates}{detail} "
        "accepted. The failure stays in the record."
    )


def _with_note(report: Report, note: str) -> Report:
    return replace(report, notes=(*report.notes, note))


def _entry(override: Override, failing: Sequence[GateResult]) -> dict[str, Any]:
    return {
        "label": override.label,
        "by": override.actor,
        "permission": override.permission,
        "accepted": override.accepted,
        "gates": [{"metric": g.metric, "rule": g.rule, "message": g.message} for g in failing],
    }


def _with_entry(record: Record, entry: dict[str, Any], verdict: Verdict) -> Record:
    return replace(record, extra={**record.extra, "override": entry}, verdict=verdict)
