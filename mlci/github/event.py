"""What a workflow run is about: a pure function of the event name, ref, sha and payload.

The one trap this module exists for: on ``pull_request`` events ``GITHUB_SHA`` is a synthetic
merge commit, not the commit the author pushed. The commit mlci evaluates and reports on is the
PR head, ``payload["pull_request"]["head"]["sha"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from mlci.bounded import MAX_EVENT_BYTES, parse_json, read_text
from mlci.errors import MlciError

if TYPE_CHECKING:
    from mlci.github.settings import Settings

PlanKind = Literal["pull_request", "push_default", "tag", "push_other", "other"]
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")


@dataclass(frozen=True)
class EventPlan:
    """What mlci does for this run.

    ``head_sha`` is the commit evaluated and reported on (the PR head for pull requests,
    ``GITHUB_SHA`` otherwise). ``is_fork`` is true for a PR whose head lives in another
    repository (its token is read-only).
    """

    kind: PlanKind
    event_name: str
    head_sha: str
    ref: str
    pr_number: int | None = None
    base_ref: str | None = None
    head_ref: str | None = None
    is_fork: bool = False
    tag: str | None = None
    branch: str | None = None
    default_branch: str | None = None


def plan_for_event(
    event_name: str,
    ref: str,
    sha: str,
    payload: Mapping[str, Any],
    default_branch: str | None = None,
) -> EventPlan:
    """Classify a run.

    Example::

        >>> plan_for_event("push", "refs/tags/v1.4.0", "abc", {}).kind
        'tag'
    """
    if default_branch is None:
        default_branch = _get(payload, "repository", "default_branch")
    if event_name in PULL_REQUEST_EVENTS:
        return _pull_request_plan(event_name, ref, payload, default_branch)
    branch = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None
    tag = ref.removeprefix("refs/tags/") if ref.startswith("refs/tags/") else None
    if event_name != "push" or (branch is None and tag is None):
        kind: PlanKind = "other"
    elif tag is not None:
        kind = "tag"
    else:
        kind = "push_default" if branch == default_branch else "push_other"
    return EventPlan(
        kind,
        event_name=event_name,
        head_sha=sha,
        ref=ref,
        tag=tag,
        branch=branch,
        default_branch=default_branch,
    )


def stores_record(event_name: str, ref: str, baseline_branch: str) -> bool:
    """Whether a GitHub Actions run stores its record: only a push to the baseline branch.

    ``event_name`` and ``ref`` are ``GITHUB_EVENT_NAME`` and ``GITHUB_REF``, set by GitHub from
    what happened, never by a pull request. A pull request (``pull_request`` or
    ``pull_request_target``, from this repository or a fork, whatever its head branch is called,
    ``main`` included) never stores; nor does a tag, a schedule, a manual dispatch or a
    ``workflow_run``.

    Example::

        >>> stores_record("push", "refs/heads/main", "main")
        True
        >>> stores_record("pull_request", "refs/pull/7/merge", "main")
        False
    """
    return event_name == "push" and ref == f"refs/heads/{baseline_branch}"


MONITOR_EVENTS = ("schedule", "workflow_dispatch")


def monitors_production(event_name: str, ref: str, baseline_branch: str) -> bool:
    """Whether a GitHub Actions run of `mlci monitor` stores its monitor record and manages the
    monitoring issue: a ``schedule`` or ``workflow_dispatch`` run on the baseline branch.

    A pull request (whatever its branch is called), a push or a dispatch on another branch only
    reports: production history and the alarm are not for code under review to write.

    Example::

        >>> monitors_production("schedule", "refs/heads/main", "main")
        True
        >>> monitors_production("pull_request", "refs/pull/7/merge", "main")
        False
    """
    return event_name in MONITOR_EVENTS and ref == f"refs/heads/{baseline_branch}"


def load_event(settings: Settings) -> Mapping[str, Any]:
    """Read the event payload at ``GITHUB_EVENT_PATH``."""
    path = settings.event_path
    if path is None:
        raise MlciError(
            "GITHUB_EVENT_PATH is not set: mlci needs the event payload to know which commit "
            "and pull request to report on. Run inside GitHub Actions or set it to a JSON file."
        )
    try:
        payload = parse_json(read_text(path, limit=MAX_EVENT_BYTES), limit=MAX_EVENT_BYTES)
    except FileNotFoundError:
        raise MlciError(f"GITHUB_EVENT_PATH points to {path}, which does not exist.") from None
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise MlciError(
            f"GITHUB_EVENT_PATH ({path}) is not a readable JSON file: {e}. "
            "It should be the event payload GitHub Actions writes."
        ) from None
    if not isinstance(payload, dict):
        raise MlciError(f"GITHUB_EVENT_PATH ({path}) must hold a JSON object (the event payload).")
    return payload


def _pull_request_plan(
    event_name: str, ref: str, payload: Mapping[str, Any], default_branch: str | None
) -> EventPlan:
    pr = payload.get("pull_request")
    head_sha = _get(payload, "pull_request", "head", "sha")
    if not isinstance(pr, Mapping) or not isinstance(head_sha, str) or not head_sha:
        raise MlciError(
            f"The {event_name} event payload has no pull_request.head.sha: "
            "GITHUB_EVENT_PATH must be the payload GitHub Actions wrote for this event."
        )
    number = pr.get("number", payload.get("number"))
    if not isinstance(number, int):
        raise MlciError(f"The {event_name} event payload has no pull request number.")
    head_repo = _get(payload, "pull_request", "head", "repo", "full_name")
    base_repo = _get(payload, "pull_request", "base", "repo", "full_name")
    return EventPlan(
        "pull_request",
        event_name=event_name,
        head_sha=head_sha,
        ref=ref,
        pr_number=number,
        base_ref=_get(payload, "pull_request", "base", "ref"),
        head_ref=_get(payload, "pull_request", "head", "ref"),
        is_fork=head_repo is None or head_repo != base_repo,  # a deleted fork has no repo
        default_branch=default_branch,
    )


def _get(payload: Mapping[str, Any], *keys: str) -> Any:
    """``payload[k1][k2]...`` or None when any level is missing or not a mapping."""
    value: Any = payload
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
