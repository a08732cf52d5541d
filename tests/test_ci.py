"""The branch and commit of a build, from each CI's own variables (a pure function)."""

from __future__ import annotations

import pytest

from mlci.ci import CiContext, detect_ci

SHA = "0123456789abcdef0123456789abcdef01234567"
HEAD = "89abcdef0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param(
            {
                "GITLAB_CI": "true",
                "CI_COMMIT_BRANCH": "main",
                "CI_COMMIT_REF_NAME": "main",
                "CI_COMMIT_SHA": SHA,
                "CI_PIPELINE_SOURCE": "push",
            },
            CiContext("GitLab CI", "main", SHA),
            id="gitlab-push",
        ),
        pytest.param(
            {
                "GITLAB_CI": "true",
                "CI_COMMIT_REF_NAME": "feature/x",
                "CI_COMMIT_SHA": SHA,
                "CI_PIPELINE_SOURCE": "merge_request_event",
                "CI_MERGE_REQUEST_IID": "7",
                "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature/x",
                "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
            },
            CiContext("GitLab CI", "feature/x", SHA, "7", "main"),
            id="gitlab-merge-request",
        ),
        pytest.param(
            # a merged-results pipeline builds a merge commit; the source head is named apart
            {
                "GITLAB_CI": "true",
                "CI_COMMIT_SHA": SHA,
                "CI_MERGE_REQUEST_IID": "7",
                "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "main",
                "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": HEAD,
                "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "release",
            },
            CiContext("GitLab CI", "main", HEAD, "7", "release"),
            id="gitlab-merged-results-from-a-branch-named-main",
        ),
        pytest.param(
            {
                "GITLAB_CI": "true",
                "CI_COMMIT_TAG": "v1.0",
                "CI_COMMIT_REF_NAME": "v1.0",
                "CI_COMMIT_SHA": SHA,
            },
            CiContext("GitLab CI", None, SHA),
            id="gitlab-tag",
        ),
        pytest.param(
            {"JENKINS_URL": "https://ci/", "GIT_BRANCH": "origin/feature/x", "GIT_COMMIT": SHA},
            CiContext("Jenkins", "feature/x", SHA),
            id="jenkins-git-plugin",
        ),
        pytest.param(
            {"JENKINS_URL": "https://ci/", "GIT_BRANCH": "refs/heads/rel/2", "GIT_COMMIT": SHA},
            CiContext("Jenkins", "rel/2", SHA),
            id="jenkins-git-plugin-full-ref",
        ),
        pytest.param(
            {
                "JENKINS_URL": "https://ci/",
                "BRANCH_NAME": "main",
                "GIT_BRANCH": "main",
                "GIT_COMMIT": SHA,
            },
            CiContext("Jenkins", "main", SHA),
            id="jenkins-multibranch",
        ),
        pytest.param(
            {
                "JENKINS_URL": "https://ci/",
                "BRANCH_NAME": "PR-12",
                "CHANGE_ID": "12",
                "CHANGE_BRANCH": "feature/x",
                "CHANGE_TARGET": "main",
                "GIT_COMMIT": SHA,
            },
            CiContext("Jenkins", "feature/x", SHA, "12", "main"),
            id="jenkins-change-request",
        ),
        pytest.param(
            {"CIRCLECI": "true", "CIRCLE_BRANCH": "main", "CIRCLE_SHA1": SHA},
            CiContext("CircleCI", "main", SHA),
            id="circleci-push",
        ),
        pytest.param(
            {
                "CIRCLECI": "true",
                "CIRCLE_BRANCH": "feature",
                "CIRCLE_SHA1": SHA,
                "CIRCLE_PULL_REQUEST": "https://github.com/o/r/pull/31",
            },
            CiContext("CircleCI", "feature", SHA, "31"),
            id="circleci-pull-request",
        ),
        pytest.param(
            {
                "CIRCLECI": "true",
                "CIRCLE_BRANCH": "pull/32",
                "CIRCLE_SHA1": SHA,
                "CIRCLE_PR_NUMBER": "32",
            },
            CiContext("CircleCI", "pull/32", SHA, "32"),
            id="circleci-fork-pull-request",
        ),
        pytest.param(
            {
                "BUILDKITE": "true",
                "BUILDKITE_BRANCH": "main",
                "BUILDKITE_COMMIT": SHA,
                "BUILDKITE_PULL_REQUEST": "false",
            },
            CiContext("Buildkite", "main", SHA),
            id="buildkite-push",
        ),
        pytest.param(
            {
                "BUILDKITE": "true",
                "BUILDKITE_BRANCH": "feature",
                "BUILDKITE_COMMIT": "HEAD",
                "BUILDKITE_PULL_REQUEST": "5",
                "BUILDKITE_PULL_REQUEST_BASE_BRANCH": "main",
            },
            CiContext("Buildkite", "feature", None, "5", "main"),
            id="buildkite-pull-request-commit-head",
        ),
        pytest.param(
            {
                "TF_BUILD": "True",
                "BUILD_REASON": "IndividualCI",
                "BUILD_SOURCEBRANCH": "refs/heads/feature/x",
                "BUILD_SOURCEBRANCHNAME": "x",
                "BUILD_SOURCEVERSION": SHA,
            },
            CiContext("Azure Pipelines", "feature/x", SHA),
            id="azure-push",
        ),
        pytest.param(
            {
                "TF_BUILD": "True",
                "BUILD_REASON": "PullRequest",
                "BUILD_SOURCEBRANCH": "refs/pull/9/merge",
                "BUILD_SOURCEVERSION": SHA,
                "SYSTEM_PULLREQUEST_PULLREQUESTNUMBER": "9",
                "SYSTEM_PULLREQUEST_SOURCEBRANCH": "refs/heads/feature",
                "SYSTEM_PULLREQUEST_TARGETBRANCH": "refs/heads/main",
                "SYSTEM_PULLREQUEST_SOURCECOMMITID": HEAD,
            },
            CiContext("Azure Pipelines", "feature", HEAD, "9", "main"),
            id="azure-pull-request-never-the-merge-commit",
        ),
        pytest.param(
            {"TF_BUILD": "True", "BUILD_SOURCEBRANCH": "refs/tags/v1", "BUILD_SOURCEVERSION": SHA},
            CiContext("Azure Pipelines", None, SHA),
            id="azure-tag",
        ),
        pytest.param(
            {"BITBUCKET_BUILD_NUMBER": "3", "BITBUCKET_BRANCH": "main", "BITBUCKET_COMMIT": SHA},
            CiContext("Bitbucket Pipelines", "main", SHA),
            id="bitbucket-push",
        ),
        pytest.param(
            {
                "BITBUCKET_BUILD_NUMBER": "3",
                "BITBUCKET_BRANCH": "feature",
                "BITBUCKET_COMMIT": SHA,
                "BITBUCKET_PR_ID": "4",
                "BITBUCKET_PR_DESTINATION_BRANCH": "main",
            },
            CiContext("Bitbucket Pipelines", "feature", SHA, "4", "main"),
            id="bitbucket-pull-request",
        ),
    ],
)
def test_each_ci(environ: dict[str, str], expected: CiContext) -> None:
    assert detect_ci(environ) == expected


def test_github_actions_is_left_to_the_event_rule() -> None:
    environ = {"GITHUB_ACTIONS": "true", "GITLAB_CI": "true", "CI_COMMIT_BRANCH": "main"}
    assert detect_ci(environ) is None


def test_no_known_ci() -> None:
    assert detect_ci({"CI": "true", "HOME": "/root"}) is None
