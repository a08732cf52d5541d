"""The sticky merge-request note: one per config, found, created or updated in place.

A note is ours when its body STARTS with this config's report marker (its first line) AND its
author is the token's user (``GET /user``), across every page of notes; a marker anywhere else
(data in a report is escaped, but another note could still quote one) never counts, nor does a
note of anyone else that starts with it. The oldest such note is edited when the report changed
and left alone when it did not, and later copies (two pipelines that both found none) are
deleted; a note is created only when there is none. A pipeline of a commit
that is no longer the merge request's head writes nothing, so an older pipeline finishing late
never overwrites a newer report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mlci.gitlab.client import GitLabClient, GitLabError, Note, Refused
from mlci.gitlab.settings import GitLabSettings
from mlci.report.markdown import marker

NoteAction = Literal["created", "updated", "unchanged", "skipped_stale"]


@dataclass(frozen=True)
class NoteOutcome:
    """What happened to the note; ``url`` is its web address, when known."""

    action: NoteAction
    url: str | None = None


def note_body(name: str, markdown: str) -> str:
    """The note as posted: the rendered report with the marker as its first line."""
    text = markdown.strip("\n")
    if _first_line(text) != marker(name):
        text = f"{marker(name)}\n{text}"
    return f"{text}\n"


def is_ours(note: Note, name: str, user_id: int) -> bool:
    """Whether ``note`` is config ``name``'s sticky note: written by ``user_id`` (not by GitLab
    itself) and starting with the marker line."""
    return not note.system and note.author_id == user_id and _first_line(note.body) == marker(name)


def upsert_note(
    client: GitLabClient, name: str, markdown: str, *, head_sha: str | None
) -> NoteOutcome:
    """Create or update the one note of config ``name`` on the merge request.

    Parameters:
        client: the GitLab client (retries are handled there).
        name: the config's name, which names its marker.
        markdown: the rendered report.
        head_sha: the merge request's head commit as the pipeline knows it; when the merge
            request has moved on, nothing is written (``skipped_stale``). None: not checked.
    """
    try:
        current, web_url = client.merge_request()
    except Refused:
        raise
    except GitLabError:  # only the staleness check and the note's address are lost
        current, web_url = None, None
    if head_sha is not None and current is not None and current != head_sha:
        return NoteOutcome("skipped_stale")
    body = note_body(name, markdown)
    user_id = client.user_id()

    def ours() -> list[Note]:
        # oldest first by id, whatever order a server lists them in
        return sorted((n for n in client.notes() if is_ours(n, name, user_id)), key=lambda n: n.id)

    found = ours()
    if not found:
        created = client.create_note(body, landed=lambda: next(iter(ours()), None))
        return NoteOutcome("created", _note_url(web_url, created.id))
    note, extras = found[0], found[1:]
    for extra in extras:  # two pipelines that both found none: the oldest note is kept
        client.delete_note(extra.id)
    if note.body.rstrip("\n") == body.rstrip("\n"):
        return NoteOutcome("unchanged", _note_url(web_url, note.id))
    client.update_note(note.id, body)
    return NoteOutcome("updated", _note_url(web_url, note.id))


def post_note(
    settings: GitLabSettings,
    name: str,
    markdown: str,
    *,
    client: GitLabClient | None = None,
) -> NoteOutcome:
    """:func:`upsert_note` for ``settings`` (its head commit), with a client for them unless
    ``client`` is given (closed afterwards)."""
    own = client is None
    gitlab = client or GitLabClient(settings)
    try:
        return upsert_note(gitlab, name, markdown, head_sha=settings.head_sha)
    finally:
        if own:
            gitlab.close()


def outcome_line(outcome: NoteOutcome, iid: int) -> str:
    """The line ``mlci run`` prints about the note."""
    where = f": {outcome.url}" if outcome.url else ""
    if outcome.action == "skipped_stale":
        return f"Merge request !{iid} has a newer head commit: its note is left to that pipeline."
    if outcome.action == "unchanged":
        return f"The mlci note on merge request !{iid} already says this{where}"
    verb = "Posted" if outcome.action == "created" else "Updated"
    return f"{verb} the mlci note on merge request !{iid}{where}"


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0].rstrip("\r")


def _note_url(web_url: str | None, note_id: int) -> str | None:
    return f"{web_url}#note_{note_id}" if web_url else None
