"""Which pipelines note on a merge request, and the settings they read (pure)."""

from __future__ import annotations

import pytest

from mlci.errors import MlciError
from mlci.gitlab.settings import GitLabSettings, from_environ, merge_request_pipeline

MR = {
    "GITLAB_CI": "true",
    "CI_PIPELINE_SOURCE": "merge_request_event",
    "CI_MERGE_REQUEST_IID": "12",
    "CI_PROJECT_ID": "278964",
    "CI_API_V4_URL": "https://gitlab.example.com/api/v4/",
    "MLCI_GITLAB_TOKEN": "glpat-secretsecretsecret",
    "CI_COMMIT_SHA": "a" * 40,
}


def test_a_merge_request_pipeline_with_a_token_notes_on_its_merge_request():
    settings = from_environ(MR)

    assert settings == GitLabSettings(
        api_url="https://gitlab.example.com/api/v4",
        project="278964",
        iid=12,
        token="glpat-secretsecretsecret",
        head_sha="a" * 40,
    )
    assert "glpat" not in repr(settings)


def test_the_head_is_the_source_branch_sha_in_a_merged_results_pipeline():
    merged = {**MR, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": "b" * 40}  # CI_COMMIT_SHA: the merge

    settings = from_environ(merged)

    assert settings is not None and settings.head_sha == "b" * 40
    unknown = from_environ({**MR, "CI_COMMIT_SHA": "HEAD"})
    assert unknown is not None and unknown.head_sha is None  # not checked


def test_the_pipeline_source_alone_names_a_merge_request_pipeline():
    environ = {k: v for k, v in MR.items() if k != "GITLAB_CI"}

    assert merge_request_pipeline(environ) and from_environ(environ) is not None


@pytest.mark.parametrize(
    "change",
    [
        {"MLCI_GITLAB_TOKEN": ""},  # no token: no note
        {"MLCI_GITLAB_TOKEN": "  "},
        {"CI_MERGE_REQUEST_IID": ""},  # a branch pipeline
        {"GITLAB_CI": "", "CI_PIPELINE_SOURCE": ""},  # not GitLab
        {"CI_PIPELINE_SOURCE": "push"},  # a branch pipeline that has a merge request open
    ],
)
def test_no_note_without_a_token_or_outside_a_merge_request_pipeline(change):
    assert from_environ({**MR, **change}) is None


def test_a_job_token_alone_is_not_used():
    environ = {**MR, "MLCI_GITLAB_TOKEN": "", "CI_JOB_TOKEN": "glcbt-64_abcdefabcdefabcdef"}

    assert from_environ(environ) is None
    assert merge_request_pipeline(environ)


def test_the_request_timeout_can_be_set():
    settings = from_environ({**MR, "MLCI_GITLAB_TIMEOUT": "2.5"})

    assert settings is not None and settings.timeout == 2.5
    default = from_environ(MR)
    assert default is not None and default.timeout == 30.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"MLCI_GITLAB_TIMEOUT": "soon"},
            "MLCI_GITLAB_TIMEOUT must be a number of seconds in (0, 600]. Got 'soon'.",
        ),
        (
            {"MLCI_GITLAB_TIMEOUT": "0"},
            "MLCI_GITLAB_TIMEOUT must be a number of seconds in (0, 600]. Got '0'.",
        ),
        (
            {"CI_MERGE_REQUEST_IID": "12; rm"},
            "CI_MERGE_REQUEST_IID must be a merge request number. Got '12; rm'.",
        ),
        (
            {"CI_API_V4_URL": "gitlab.example.com"},
            "CI_API_V4_URL must be the GitLab API's URL (https://gitlab.example.com/api/v4). "
            "Got 'gitlab.example.com'.",
        ),
        (
            {"CI_PROJECT_ID": ""},
            "CI_PROJECT_ID is not set: the merge request's project is unknown.",
        ),
    ],
)
def test_malformed_pipeline_variables_are_one_readable_error(change, message):
    with pytest.raises(MlciError) as err:
        from_environ({**MR, **change})

    assert str(err.value) == message
