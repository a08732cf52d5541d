"""`mlci run` under another CI: the branch and commit from its variables, and a merge request
pipeline never stores the baseline branch's record."""

from __future__ import annotations

import io

import pytest

from mlci.cli import main
from tests.test_pipeline import local_branch_records, report, setup_task

pytestmark = pytest.mark.integration  # the pipeline in real git repositories


def _run(project, out: str, environ: dict[str, str]) -> str:
    stdout, stderr = io.StringIO(), io.StringIO()
    argv = ["run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(project.path / out)]
    code = main(argv, stdout=stdout, stderr=stderr, environ=environ)
    assert (code, stderr.getvalue()) == (0, "")
    return stdout.getvalue()


def test_a_gitlab_push_to_main_stores_from_a_detached_checkout(git_project):
    setup_task(git_project, "regression", "predictions", gates=[{"metric": "r2", "min": 0.0}])
    main_sha = git_project.commit("main")
    git_project.checkout("--detach")  # as GitLab's runner checks out: no branch
    assert "Stored the record" not in _run(git_project, "o1", {})  # no branch: no record
    environ = {"GITLAB_CI": "true", "CI_COMMIT_BRANCH": "main", "CI_COMMIT_SHA": main_sha}

    stdout = _run(git_project, "o2", environ)

    assert f"Stored the record of {main_sha[:7]}" in stdout
    assert local_branch_records(git_project) == [f"demo-model/{main_sha[:2]}/{main_sha}.json"]


def test_a_merge_request_pipeline_from_a_branch_named_main_stores_nothing(git_project):
    setup_task(git_project, "regression", "predictions", gates=[{"metric": "r2", "min": 0.0}])
    head = git_project.commit("main")
    environ = {
        "GITLAB_CI": "true",
        "CI_COMMIT_SHA": head,
        "CI_MERGE_REQUEST_IID": "3",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "main",  # a fork's main, say
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
    }

    stdout = _run(git_project, "o", environ)

    assert "Stored the record" not in stdout
    assert local_branch_records(git_project) == []


def test_a_commit_the_checkout_lacks_falls_back_to_head(git_project):
    setup_task(git_project, "regression", "predictions", gates=[{"metric": "r2", "min": 0.0}])
    head = git_project.commit("main")
    environ = {"CIRCLECI": "true", "CIRCLE_BRANCH": "feature", "CIRCLE_SHA1": "f" * 40}

    _run(git_project, "o", environ)

    assert report(git_project.path / "o")["commit"] == head
