"""The GitLab client against the fake over real HTTP: pagination, retries, refusals, limits."""

from __future__ import annotations

import pytest

import mlci.gitlab.client as client_module
from mlci.gitlab.client import BAD_TOKEN, GitLabClient, GitLabError, Refused, Retry
from mlci.gitlab.settings import GitLabSettings
from tests.helpers.fake_gitlab import FakeGitLab, Fault
from tests.helpers.gitlab import BOT, HUMAN, IID, PROJECT, READ_TOKEN, TOKEN, Sleeps

NOTES = r"/merge_requests/5/notes$"


def make_client(fake: FakeGitLab, sleeps: Sleeps, token: str = TOKEN, timeout: float = 5.0):
    settings = GitLabSettings(
        api_url=fake.api_url, project=PROJECT, iid=IID, token=token, timeout=timeout
    )
    return GitLabClient(settings, retry=Retry(sleep=sleeps, rng=lambda: 1.0))


@pytest.mark.parametrize("pagination", [("link",), ("x-next-page",), ("link", "x-next-page")])
def test_every_page_of_notes_is_read_oldest_first(fake_gitlab, pagination):
    fake_gitlab.pagination = pagination
    ids = [fake_gitlab.seed_note(PROJECT, IID, f"n{i}", author_id=HUMAN) for i in range(230)]

    notes = make_client(fake_gitlab, Sleeps()).notes()

    assert [n.id for n in notes] == ids
    assert [n.body for n in notes[:2]] == ["n0", "n1"]
    lists = [r for r in fake_gitlab.requests() if "/notes" in r["path"]]
    assert len(lists) == 3  # 100 + 100 + 30


def test_a_next_page_on_another_host_is_not_followed_with_the_token(fake_gitlab):
    fake_gitlab.pagination = ("link",)
    fake_gitlab.link_base = "http://gitlab.attacker.example:8080"
    for i in range(101):
        fake_gitlab.seed_note(PROJECT, IID, f"n{i}", author_id=HUMAN)

    with pytest.raises(GitLabError) as err:
        make_client(fake_gitlab, Sleeps()).notes()

    assert str(err.value) == (
        "GitLab's next page of notes is on another host (gitlab.attacker.example:8080); mlci "
        "does not send the token there. Check CI_API_V4_URL."
    )


def test_a_project_path_is_encoded_as_one_segment(fake_gitlab):
    fake_gitlab.add_merge_request("group/sub/project", IID, "a" * 40)
    settings = GitLabSettings(
        api_url=fake_gitlab.api_url, project="group/sub/project", iid=IID, token=TOKEN
    )

    assert GitLabClient(settings).merge_request()[0] == "a" * 40
    assert "/projects/group%2Fsub%2Fproject/" in fake_gitlab.requests()[-1]["path"]


def test_server_errors_are_retried_with_backoff(fake_gitlab):
    sleeps = Sleeps()
    fake_gitlab.add_faults(Fault("GET", NOTES, status=502, count=2))

    assert make_client(fake_gitlab, sleeps).notes() == []
    assert sleeps == [0.5, 1.0]  # base 0.5 doubled, jitter at its top (rng 1.0)


def test_a_429_waits_what_retry_after_says(fake_gitlab):
    sleeps = Sleeps()
    fake_gitlab.add_faults(Fault("GET", "/user", kind="rate_limit", retry_after=7))

    assert make_client(fake_gitlab, sleeps).user_id() == BOT
    assert sleeps == [7.0]


def test_a_429_without_retry_after_waits_until_ratelimit_reset(fake_gitlab):
    sleeps = Sleeps()
    fake_gitlab.add_faults(Fault("GET", "/user", kind="rate_limit", reset_in=20))

    assert make_client(fake_gitlab, sleeps).user_id() == BOT
    assert len(sleeps) == 1 and 18.0 <= sleeps[0] <= 22.0


def test_a_wait_longer_than_the_cap_is_not_waited(fake_gitlab):
    sleeps = Sleeps()
    fake_gitlab.add_faults(Fault("GET", "/user", kind="rate_limit", retry_after=600))

    with pytest.raises(GitLabError) as err:
        make_client(fake_gitlab, sleeps).user_id()

    assert str(err.value) == (
        "GitLab asked mlci to wait 600 s while reading the token's user (more than the 60 s "
        "mlci waits). Re-run the job later."
    )
    assert sleeps == []


def test_a_lasting_outage_is_one_line_after_five_attempts(fake_gitlab):
    fake_gitlab.add_faults(Fault("GET", NOTES, status=503, count=9))

    with pytest.raises(GitLabError) as err:
        make_client(fake_gitlab, Sleeps()).notes()

    assert str(err.value) == (
        "GitLab kept failing while listing the notes of merge request !5: 503 Service "
        "Unavailable (5 attempts). Re-run the job later."
    )


def test_a_timeout_is_retried(fake_gitlab):
    sleeps = Sleeps()
    fake_gitlab.add_faults(Fault("GET", "/merge_requests/5$", kind="timeout", delay=1.5))

    sha, url = make_client(fake_gitlab, sleeps, timeout=0.3).merge_request()

    assert sha is not None and url is not None and url.endswith("/-/merge_requests/5")
    assert len(sleeps) == 1


@pytest.mark.parametrize(
    "fault",
    [
        Fault("POST", NOTES, kind="after", status=502),  # landed, then a 502
        Fault("POST", NOTES, kind="timeout", apply=True, delay=1.5),  # landed, answer too late
    ],
)
def test_a_post_that_landed_is_found_and_not_repeated(fake_gitlab, fault):
    client = make_client(fake_gitlab, Sleeps(), timeout=0.5)
    fake_gitlab.add_faults(fault)

    def landed():
        return next((n for n in client.notes() if n.body == "hello"), None)

    note = client.create_note("hello", landed=landed)

    assert [n["body"] for n in fake_gitlab.notes(PROJECT, IID)] == ["hello"]
    assert note.id == fake_gitlab.notes(PROJECT, IID)[0]["id"]


def test_a_post_that_did_not_land_is_sent_again(fake_gitlab):
    client = make_client(fake_gitlab, Sleeps())
    fake_gitlab.add_faults(Fault("POST", NOTES, status=500))

    client.create_note("hello", landed=lambda: None)

    assert [n["body"] for n in fake_gitlab.notes(PROJECT, IID)] == ["hello"]


def test_a_rejected_token_is_one_line_without_the_token(fake_gitlab):
    with pytest.raises(Refused) as err:
        make_client(fake_gitlab, Sleeps(), token="glpat-NotAKnownToken12345").user_id()

    assert str(err.value) == BAD_TOKEN
    assert "glpat" not in str(err.value)


def test_a_token_without_the_api_scope_is_refused_writes(fake_gitlab):
    with pytest.raises(Refused) as err:
        make_client(fake_gitlab, Sleeps(), token=READ_TOKEN).create_note("x", landed=lambda: None)

    assert str(err.value) == (
        "GitLab refused posting the note on merge request !5 (403 insufficient_scope): the "
        "token may not write notes on this project. Give MLCI_GITLAB_TOKEN a project access "
        "token with the `api` scope and at least the Reporter role."
    )
    assert fake_gitlab.notes(PROJECT, IID) == []


def test_a_missing_merge_request_names_what_to_check(fake_gitlab):
    settings = GitLabSettings(api_url=fake_gitlab.api_url, project=PROJECT, iid=99, token=TOKEN)

    with pytest.raises(GitLabError) as err:
        GitLabClient(settings).merge_request()

    assert str(err.value) == (
        "GitLab rejected reading merge request !99: 404 Not found (check CI_PROJECT_ID, "
        "CI_MERGE_REQUEST_IID and the token's project)."
    )


def test_an_answer_over_the_size_limit_is_not_read(fake_gitlab, monkeypatch):
    monkeypatch.setattr(client_module, "MAX_ANSWER_BYTES", 4096)
    for _ in range(20):
        fake_gitlab.seed_note(PROJECT, IID, "x" * 500, author_id=HUMAN)

    with pytest.raises(GitLabError) as err:
        make_client(fake_gitlab, Sleeps()).notes()

    assert str(err.value) == "GitLab's answer is larger than 4 KiB; mlci stops reading."


def test_deleting_a_note_that_is_already_gone_is_not_an_error(fake_gitlab):
    client = make_client(fake_gitlab, Sleeps())
    note = client.create_note("copy", landed=lambda: None)

    client.delete_note(note.id)
    client.delete_note(note.id)  # a retried DELETE whose first answer was lost

    assert fake_gitlab.notes(PROJECT, IID) == []


def test_the_token_travels_only_in_its_header(fake_gitlab):
    client = make_client(fake_gitlab, Sleeps())
    note = client.create_note(f"mentions {TOKEN[:6]}", landed=lambda: None)
    client.update_note(note.id, "edited")
    client.notes()

    assert not fake_gitlab.token_leaked()
    assert len(fake_gitlab.requests()) == 3
