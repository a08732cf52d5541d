"""The branch and commit a CI outside GitHub Actions is building, from its variables (pure).

``mlci run`` on GitLab CI, Jenkins, CircleCI, Buildkite, Azure Pipelines or Bitbucket Pipelines
needs no ``--branch``/``--commit``: :func:`detect_ci` reads them from the environment the CI
sets. Inside GitHub Actions the event rule (:mod:`mlci.github.event`) stays authoritative and
this module answers None.

Every one of these CIs except Jenkins without a multibranch plugin knows a "change request" (a
merge request or pull request) pipeline. Such a pipeline evaluates the request's source branch
and is never a push to the baseline branch, whatever the branch variables say: its record is
not stored. Where the CI checks out a merge commit for a request (GitLab's merged-results
pipelines, Azure Pipelines), the commit is the request's head when the CI names it, else
unknown (None: mlci evaluates the checkout).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")


@dataclass(frozen=True)
class CiContext:
    """What the CI is building.

    ``branch``: the branch evaluated (a request's source branch), None on a tag or unknown;
    ``commit``: the commit evaluated, None when unknown; ``change_request``: the merge or pull
    request number of a request pipeline, else None; ``target_branch``: the branch a request
    would merge into.
    """

    system: str
    branch: str | None
    commit: str | None
    change_request: str | None = None
    target_branch: str | None = None


Environ = Mapping[str, str]


def detect_ci(environ: Environ) -> CiContext | None:
    """The CI this process runs in and what it builds; None in GitHub Actions or no known CI.

    >>> detect_ci({"GITLAB_CI": "true", "CI_COMMIT_BRANCH": "main", "CI_COMMIT_SHA": "ab12cd3"})
    CiContext(system='GitLab CI', branch='main', commit='ab12cd3', change_request=None, \
target_branch=None)
    """
    if environ.get("GITHUB_ACTIONS") == "true":
        return None
    for present, read in _SYSTEMS:
        if present(environ):
            return read(environ)
    return None


def _get(environ: Environ, *names: str) -> str | None:
    """The first of ``names`` set to a non-empty value."""
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return value
    return None


def _sha(value: str | None) -> str | None:
    """A commit id, or None for anything else (Buildkite may say ``HEAD``)."""
    return value if value is not None and _SHA.match(value) else None


def _branch(ref: str | None) -> str | None:
    """``refs/heads/feature/x`` -> ``feature/x``; other refs (tags, pull refs) -> None."""
    if ref is None:
        return None
    if ref.startswith("refs/heads/"):
        return ref.removeprefix("refs/heads/")
    return None if ref.startswith("refs/") else ref


def _gitlab(environ: Environ) -> CiContext:
    request = _get(environ, "CI_MERGE_REQUEST_IID")
    if request is not None:
        return CiContext(
            "GitLab CI",
            _get(environ, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"),
            # merged-results pipelines build a merge commit: the source head is named apart
            _sha(_get(environ, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", "CI_COMMIT_SHA")),
            request,
            _get(environ, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
        )
    branch = None if _get(environ, "CI_COMMIT_TAG") else _get(environ, "CI_COMMIT_BRANCH")
    return CiContext("GitLab CI", branch, _sha(_get(environ, "CI_COMMIT_SHA")))


def _jenkins(environ: Environ) -> CiContext:
    commit = _sha(_get(environ, "GIT_COMMIT"))
    request = _get(environ, "CHANGE_ID")
    if request is not None:  # a multibranch pipeline's pull/merge request build
        source = _get(environ, "CHANGE_BRANCH")
        return CiContext("Jenkins", source, commit, request, _get(environ, "CHANGE_TARGET"))
    if _get(environ, "TAG_NAME"):
        return CiContext("Jenkins", None, commit)
    branch = _get(environ, "BRANCH_NAME", "GIT_LOCAL_BRANCH")
    if branch is None:  # the git plugin names the remote-tracking branch: origin/main
        remote = _get(environ, "GIT_BRANCH")
        if remote is not None and "/" in remote and not remote.startswith("refs/"):
            remote = remote.split("/", 1)[1]
        branch = remote
    return CiContext("Jenkins", _branch(branch), commit)


def _circleci(environ: Environ) -> CiContext:
    url = _get(environ, "CIRCLE_PULL_REQUEST")
    request = _get(environ, "CIRCLE_PR_NUMBER") or (
        url.rstrip("/").rsplit("/", 1)[-1] if url else None
    )
    branch = None if _get(environ, "CIRCLE_TAG") else _get(environ, "CIRCLE_BRANCH")
    return CiContext("CircleCI", branch, _sha(_get(environ, "CIRCLE_SHA1")), request)


def _buildkite(environ: Environ) -> CiContext:
    request = _get(environ, "BUILDKITE_PULL_REQUEST")
    request = None if request in (None, "false") else request
    branch = None if _get(environ, "BUILDKITE_TAG") else _get(environ, "BUILDKITE_BRANCH")
    return CiContext(
        "Buildkite",
        branch,
        _sha(_get(environ, "BUILDKITE_COMMIT")),
        request,
        _get(environ, "BUILDKITE_PULL_REQUEST_BASE_BRANCH") if request else None,
    )


def _azure(environ: Environ) -> CiContext:
    if _get(environ, "BUILD_REASON") == "PullRequest":
        return CiContext(
            "Azure Pipelines",
            _branch(_get(environ, "SYSTEM_PULLREQUEST_SOURCEBRANCH")),
            # BUILD_SOURCEVERSION is the merge commit of a pull request build
            _sha(_get(environ, "SYSTEM_PULLREQUEST_SOURCECOMMITID")),
            _get(
                environ, "SYSTEM_PULLREQUEST_PULLREQUESTNUMBER", "SYSTEM_PULLREQUEST_PULLREQUESTID"
            ),
            _branch(_get(environ, "SYSTEM_PULLREQUEST_TARGETBRANCH")),
        )
    return CiContext(
        "Azure Pipelines",
        _branch(_get(environ, "BUILD_SOURCEBRANCH")),
        _sha(_get(environ, "BUILD_SOURCEVERSION")),
    )


def _bitbucket(environ: Environ) -> CiContext:
    request = _get(environ, "BITBUCKET_PR_ID")
    return CiContext(
        "Bitbucket Pipelines",
        None if _get(environ, "BITBUCKET_TAG") else _get(environ, "BITBUCKET_BRANCH"),
        _sha(_get(environ, "BITBUCKET_COMMIT")),
        request,
        _get(environ, "BITBUCKET_PR_DESTINATION_BRANCH") if request else None,
    )


_SYSTEMS: tuple[tuple[Callable[[Environ], bool], Callable[[Environ], CiContext]], ...] = (
    (lambda e: e.get("GITLAB_CI") == "true", _gitlab),
    (lambda e: bool(_get(e, "JENKINS_URL")), _jenkins),
    (lambda e: e.get("CIRCLECI") == "true", _circleci),
    (lambda e: e.get("BUILDKITE") == "true", _buildkite),
    (lambda e: e.get("TF_BUILD", "").lower() == "true", _azure),
    (lambda e: bool(_get(e, "BITBUCKET_BUILD_NUMBER")), _bitbucket),
)
