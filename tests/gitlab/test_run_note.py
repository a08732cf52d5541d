"""`mlci run` in a GitLab merge-request pipeline posts one sticky note, through the real client,
against the fake GitLab over HTTP, in a real git repository."""

from __future__ import annotations

import io
from pathlib import Path

import yaml

from mlci.cli import main
from mlci.gitlab.client import BAD_TOKEN
from mlci.gitlab.note import note_body
from mlci.report.markdown import marker
from tests.helpers.fake_gitlab import FakeGitLab, Fault
from tests.helpers.gitlab import BOT, HUMAN, IID, OTHER_TOKEN, PROJECT, READ_TOKEN, TOKEN
from tests.test_pipeline import setup_task

MARK = marker("demo-model")
NOTES = r"/merge_requests/5/notes"


def _environ(fake: FakeGitLab, head: str, token: str = TOKEN) -> dict[str, str]:
    return {
        "GITLAB_CI": "true",
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_IID": str(IID),
        "CI_PROJECT_ID": PROJECT,
        "CI_API_V4_URL": fake.api_url,
        "CI_COMMIT_SHA": head,
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "MLCI_GITLAB_TOKEN": token,
    }


def _project(git_project, fake: FakeGitLab, gate_min: float = 0.0) -> str:
    setup_task(git_project, "regression", "predictions", gates=[{"metric": "r2", "min": gate_min}])
    head = git_project.commit(f"gate at {gate_min}")
    fake.move_head(PROJECT, IID, head)
    return head


def _set_gate(git_project, fake: FakeGitLab, gate_min: float) -> str:
    path = git_project.path / "mlci.yml"
    doc = yaml.safe_load(path.read_text())
    doc["gates"] = [{"metric": "r2", "min": gate_min}]
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    head = git_project.commit(f"gate at {gate_min}")
    fake.move_head(PROJECT, IID, head)
    return head


def _run(project, environ: dict[str, str], *extra: str, out: str = "out") -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    argv = ["run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(project.path / out)]
    code = main([*argv, *extra], stdout=stdout, stderr=stderr, environ=environ)
    return code, stdout.getvalue(), stderr.getvalue()


def _report_md(project, out: str = "out") -> str:
    return (project.path / out / "report.md").read_text(encoding="utf-8")


def _writes(fake: FakeGitLab) -> list[str]:
    return [r["method"] for r in fake.requests() if r["method"] in ("POST", "PUT")]


def _files_text(folder: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def test_the_note_is_created_once_then_left_alone_then_updated_in_place(git_project, fake_gitlab):
    head = _project(git_project, fake_gitlab)

    code, stdout, stderr = _run(git_project, _environ(fake_gitlab, head))

    assert (code, stderr) == (0, "")
    [note] = fake_gitlab.notes(PROJECT, IID)
    assert note["author_id"] == BOT
    assert note["body"] == note_body("demo-model", _report_md(git_project))
    assert note["body"] == _report_md(git_project)  # the same markdown as report.md
    assert note["body"].startswith(f"{MARK}\n")
    web = f"{fake_gitlab.url}/{PROJECT}/-/merge_requests/{IID}#note_{note['id']}"
    assert f"Posted the mlci note on merge request !5: {web}" in stdout

    code, stdout, _ = _run(git_project, _environ(fake_gitlab, head))  # a retried job

    assert code == 0
    assert _writes(fake_gitlab) == ["POST"]  # nothing written when the report is the same
    assert "The mlci note on merge request !5 already says this" in stdout

    head = _set_gate(git_project, fake_gitlab, 0.2)
    code, stdout, _ = _run(git_project, _environ(fake_gitlab, head), out="out2")

    [updated] = fake_gitlab.notes(PROJECT, IID)
    assert (updated["id"], updated["edits"]) == (note["id"], 1)
    assert updated["body"] == note_body("demo-model", _report_md(git_project, "out2"))
    assert updated["body"] != note["body"]
    assert _writes(fake_gitlab) == ["POST", "PUT"]
    assert "Updated the mlci note on merge request !5" in stdout


def test_a_note_of_another_author_with_our_marker_is_never_touched(git_project, fake_gitlab):
    head = _project(git_project, fake_gitlab)
    forged = f"{MARK}\n## mlci: all gates passed (forged)\n"
    forged_id = fake_gitlab.seed_note(PROJECT, IID, forged, author_id=HUMAN)

    _run(git_project, _environ(fake_gitlab, head))
    _run(git_project, _environ(fake_gitlab, _set_gate(git_project, fake_gitlab, 0.2)))

    forged_note, ours = fake_gitlab.notes(PROJECT, IID)
    assert (forged_note["id"], forged_note["body"], forged_note["edits"]) == (forged_id, forged, 0)
    assert (ours["author_id"], ours["edits"]) == (BOT, 1)


def test_a_marker_that_is_not_at_the_very_start_does_not_count(git_project, fake_gitlab):
    head = _project(git_project, fake_gitlab)
    quoted = f"The bot said:\n\n> {MARK}\n{MARK}\n"  # even by our own user: data, not ours
    quoted_id = fake_gitlab.seed_note(PROJECT, IID, quoted, author_id=BOT)
    system_id = fake_gitlab.seed_note(
        PROJECT, IID, f"{MARK}\nadded 1 commit", author_id=BOT, system=True
    )

    _run(git_project, _environ(fake_gitlab, head))

    notes = fake_gitlab.notes(PROJECT, IID)
    assert [(n["id"], n["edits"]) for n in notes[:2]] == [(quoted_id, 0), (system_id, 0)]
    assert notes[0]["body"] == quoted
    assert len(notes) == 3 and notes[2]["body"] == note_body("demo-model", _report_md(git_project))


def test_copies_of_our_note_are_deleted_and_the_oldest_kept(git_project, fake_gitlab):
    head = _project(git_project, fake_gitlab)
    first = fake_gitlab.seed_note(PROJECT, IID, f"{MARK}\nold report", author_id=BOT)
    fake_gitlab.seed_note(PROJECT, IID, "a review", author_id=HUMAN)
    fake_gitlab.seed_note(PROJECT, IID, f"{MARK}\nracing copy", author_id=BOT)

    _run(git_project, _environ(fake_gitlab, head))

    kept, review = fake_gitlab.notes(PROJECT, IID)
    assert (kept["id"], kept["edits"]) == (first, 1)
    assert kept["body"] == note_body("demo-model", _report_md(git_project))
    assert review["body"] == "a review"


def test_only_the_pipeline_variables_and_the_token_are_needed(git_project, fake_gitlab):
    _project(git_project, fake_gitlab)
    environ = {
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_IID": str(IID),
        "CI_PROJECT_ID": PROJECT,
        "CI_API_V4_URL": fake_gitlab.api_url,
        "MLCI_GITLAB_TOKEN": TOKEN,
    }

    code, stdout, _ = _run(git_project, environ)

    assert code == 0 and "Posted the mlci note on merge request !5" in stdout
    assert [n["author_id"] for n in fake_gitlab.notes(PROJECT, IID)] == [BOT]


def test_a_note_posted_by_another_token_user_is_not_ours(git_project, fake_gitlab):
    head = _project(git_project, fake_gitlab)
    _run(git_project, _environ(fake_gitlab, head, token=OTHER_TOKEN))  # another bot's config

    _run(git_project, _environ(fake_gitlab, head))

    assert [n["author_id"] for n in fake_gitlab.notes(PROJECT, IID)] == [HUMAN, BOT]


def test_a_refused_token_is_one_line_and_the_verdict_decides_the_exit(git_project, fake_gitlab):
    head = _project(git_project, fake_gitlab, gate_min=0.99)  # a failing gate

    code, stdout, stderr = _run(git_project, _environ(fake_gitlab, head, token=READ_TOKEN))

    assert (code, stderr) == (1, "")
    refused = [line for line in stdout.splitlines() if "GitLab" in line]
    assert refused == [
        "mlci: warning: GitLab refused posting the note on merge request !5 (403 "
        "insufficient_scope): the token may not write notes on this project. Give "
        "MLCI_GITLAB_TOKEN a project access token with the `api` scope and at least the "
        "Reporter role."
    ]
    assert "Traceback" not in stdout and stdout.rstrip().endswith("mlci: FAIL")
    assert (git_project.path / "out" / "report.json").exists()
    assert fake_gitlab.notes(PROJECT, IID) == []


def test_an_unknown_token_never_appears_in_any_output(git_project, fake_gitlab):
    head = _project(git_project, fake_gitlab)
    secret = "glpat-Unknown4Tk7Qw9Er2Ty6"

    code, stdout, stderr = _run(git_project, _environ(fake_gitlab, head, token=secret))

    assert code == 0
    assert f"mlci: warning: {BAD_TOKEN}" in stdout.splitlines()
    for text in (stdout, stderr, _files_text(git_project.path / "out")):
        assert secret not in text and TOKEN not in text


def test_the_token_never_appears_in_outputs_or_requests(git_project, fake_gitlab):
    head = _project(git_project, fake_gitlab)
    fake_gitlab.add_faults(Fault("GET", NOTES, status=502), Fault("POST", NOTES, kind="after"))

    code, stdout, stderr = _run(git_project, _environ(fake_gitlab, head))

    assert code == 0
    assert len(fake_gitlab.notes(PROJECT, IID)) == 1  # the POST landed: found, not repeated
    assert not fake_gitlab.token_leaked()
    for text in (stdout, stderr, _files_text(git_project.path / "out")):
        assert TOKEN not in text


def test_a_slow_gitlab_is_retried_within_the_timeout_asked_for(git_project, fake_gitlab):
    head = _project(git_project, fake_gitlab)
    fake_gitlab.add_faults(Fault("GET", "/user$", kind="timeout", delay=2.0))
    environ = {**_environ(fake_gitlab, head), "MLCI_GITLAB_TIMEOUT": "0.5"}

    code, stdout, _ = _run(git_project, environ)

    assert code == 0 and "Posted the mlci note on merge request !5" in stdout
    users = [r for r in fake_gitlab.requests() if r["path"].endswith("/user")]
    assert len(users) == 2


def test_an_unreadable_merge_request_costs_only_the_staleness_check(git_project, fake_gitlab):
    head = _project(git_project, fake_gitlab)
    fake_gitlab.add_faults(Fault("GET", "/merge_requests/5$", status=404))

    code, stdout, _ = _run(git_project, _environ(fake_gitlab, head))

    assert code == 0
    assert "Posted the mlci note on merge request !5\n" in stdout  # no address to show
    assert len(fake_gitlab.notes(PROJECT, IID)) == 1


def test_a_pipeline_of_an_older_head_writes_nothing(git_project, fake_gitlab):
    head = _project(git_project, fake_gitlab)
    fake_gitlab.move_head(PROJECT, IID, "b" * 40)  # pushed again since this pipeline started

    code, stdout, _ = _run(git_project, _environ(fake_gitlab, head))

    assert code == 0
    assert fake_gitlab.notes(PROJECT, IID) == [] and _writes(fake_gitlab) == []
    assert "Merge request !5 has a newer head commit" in stdout


def test_without_a_token_or_with_no_comment_nothing_is_sent(git_project, fake_gitlab):
    head = _project(git_project, fake_gitlab)

    _, stdout, _ = _run(git_project, _environ(fake_gitlab, head, token=""))
    assert "mlci: no merge request note: set MLCI_GITLAB_TOKEN to post one." in stdout

    _, stdout, _ = _run(git_project, _environ(fake_gitlab, head), "--no-comment")
    assert "note" not in stdout
    assert fake_gitlab.requests() == []
