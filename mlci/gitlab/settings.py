"""Where the merge-request note goes, from a GitLab merge-request pipeline's variables (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from mlci.errors import MlciError

TOKEN_VARIABLE = "MLCI_GITLAB_TOKEN"
_IID = re.compile(r"[1-9][0-9]{0,11}")
_API = re.compile(r"https?://[^\s/?#]+(?:/[^\s?#]*)?")


@dataclass(frozen=True)
class GitLabSettings:
    """A merge request to note on: ``api_url`` is ``CI_API_V4_URL`` (``.../api/v4``),
    ``project`` is ``CI_PROJECT_ID`` (a number, or a ``group/name`` path), ``iid`` the merge
    request's number in the project. The token is hidden from ``repr``."""

    api_url: str
    project: str
    iid: int
    token: str = field(repr=False)
    timeout: float = 30.0


def merge_request_pipeline(environ: Mapping[str, str]) -> bool:
    """Whether this is a GitLab merge-request pipeline (any of its kinds: detached, merged
    results, merge train)."""
    return environ.get("GITLAB_CI") == "true" and bool(environ.get("CI_MERGE_REQUEST_IID"))


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
    return GitLabSettings(api_url=api, project=project, iid=int(iid), token=token)
