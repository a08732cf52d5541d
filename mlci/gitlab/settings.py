"""Where the merge-request note goes, from a GitLab merge-request pipeline's variables (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from mlci.errors import MlciError

TOKEN_VARIABLE = "MLCI_GITLAB_TOKEN"
TIMEOUT_VARIABLE = "MLCI_GITLAB_TIMEOUT"
DEFAULT_TIMEOUT = 30.0
_IID = re.compile(r"[1-9][0-9]{0,11}")
_SHA = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")
_API = re.compile(r"https?://[^\s/?#]+(?:/[^\s?#]*)?")


@dataclass(frozen=True)
class GitLabSettings:
    """A merge request to note on: ``api_url`` is ``CI_API_V4_URL`` (``.../api/v4``),
    ``project`` is ``CI_PROJECT_ID`` (a number, or a ``group/name`` path), ``iid`` the merge
    request's number in the project, ``head_sha`` its head commit as the pipeline saw it
    (``CI_MERGE_REQUEST_SOURCE_BRANCH_SHA`` in merged-results pipelines, else
    ``CI_COMMIT_SHA``). The token is hidden from ``repr``."""

    api_url: str
    project: str
    iid: int
    token: str = field(repr=False)
    head_sha: str | None = None
    timeout: float = DEFAULT_TIMEOUT


def merge_request_pipeline(environ: Mapping[str, str]) -> bool:
    """Whether this is a GitLab merge-request pipeline (any of its kinds: detached, merged
    results, merge train): ``CI_MERGE_REQUEST_IID`` is set, and ``CI_PIPELINE_SOURCE`` is
    ``merge_request_event`` (or unset, in a job that says ``GITLAB_CI=true``)."""
    source = environ.get("CI_PIPELINE_SOURCE", "").strip()
    if not environ.get("CI_MERGE_REQUEST_IID", "").strip():
        return False
    return source == "merge_request_event" or (not source and environ.get("GITLAB_CI") == "true")


def from_environ(environ: Mapping[str, str]) -> GitLabSettings | None:
    """The note's settings in a merge-request pipeline with :data:`TOKEN_VARIABLE` set; None
    when either is missing (no note). A variable GitLab always sets that is malformed is an
    error: the pipeline is not what it claims.

    >>> from_environ({"GITLAB_CI": "true"}) is None
    True
    """
    token = environ.get(TOKEN_VARIABLE, "").strip()
    if not (merge_request_pipeline(environ) and token):
        return None
    iid = environ.get("CI_MERGE_REQUEST_IID", "").strip()
    api = environ.get("CI_API_V4_URL", "").strip().rstrip("/")
    project = environ.get("CI_PROJECT_ID", "").strip()
    if not _IID.fullmatch(iid):
        raise MlciError(f"CI_MERGE_REQUEST_IID must be a merge request number. Got {iid!r}.")
    if not _API.fullmatch(api):
        raise MlciError(
            f"CI_API_V4_URL must be the GitLab API's URL (https://gitlab.example.com/api/v4). "
            f"Got {api!r}."
        )
    if not project:
        raise MlciError("CI_PROJECT_ID is not set: the merge request's project is unknown.")
    timeout = _timeout(environ.get(TIMEOUT_VARIABLE, "").strip())
    head = environ.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", "").strip()
    head = head or environ.get("CI_COMMIT_SHA", "").strip()
    return GitLabSettings(
        api_url=api,
        project=project,
        iid=int(iid),
        token=token,
        head_sha=head if _SHA.fullmatch(head) else None,
        timeout=timeout,
    )


def _timeout(raw: str) -> float:
    """Seconds per request from :data:`TIMEOUT_VARIABLE`; unset: :data:`DEFAULT_TIMEOUT`."""
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 600:
        raise MlciError(f"{TIMEOUT_VARIABLE} must be a number of seconds in (0, 600]. Got {raw!r}.")
    return value
