"""The release before this one: the newest release whose tag is an ancestor of the tagged
commit and whose commit has a record (git, the records store and GitHub Releases)."""

from __future__ import annotations

from typing import TextIO

from mlci.config import Config
from mlci.errors import NewerRecordError, RecordError
from mlci.git import is_ancestor, resolve_commit, tags_merged_into
from mlci.github.release import ReleaseClient
from mlci.records.store import RecordStore
from mlci.release.check import PreviousRelease
from mlci.release.version import Target


def previous_release(
    config: Config,
    target: Target,
    store: RecordStore,
    client: ReleaseClient | None,
    stdout: TextIO,
) -> tuple[PreviousRelease | None, str]:
    """The newest release whose tag is an ancestor of this one and whose commit has a record.

    Without a client (dry run) the candidates are the git tags merged into the commit.
    """
    if client is None:
        candidates = _tags_merged_into(target)
        source = "tag"
        print(
            "mlci: dry run: the previous release is looked up among the git tags (GitHub "
            "Releases are not read).",
            file=stdout,
        )
    else:
        candidates = _published_tags(client, target.tag.tag)
        source = "release"
    skipped: list[str] = []
    for name in candidates:
        found = _release_record(config, target, store, name, skipped)
        if found is not None:
            print(
                f"mlci: comparing with the previous {source} {found.tag} ({found.commit[:7]}).",
                file=stdout,
            )
            return found, ""
    why = "no earlier release (among this tag's ancestors) with a stored record"
    return None, why + (f" ({'; '.join(skipped)})" if skipped else "")


def _published_tags(client: ReleaseClient, own: str) -> list[str]:
    """Tags of the published releases, newest first (this tag left out)."""
    releases = [r for r in client.list_releases() if not r.draft and r.tag != own]
    releases.sort(key=lambda r: (r.published_at or r.created_at, r.id), reverse=True)
    return [r.tag for r in releases]


def _tags_merged_into(target: Target) -> list[str]:
    return [t for t in tags_merged_into(target.repo, target.commit) if t != target.tag.tag]


def _release_record(
    config: Config, target: Target, store: RecordStore, tag: str, skipped: list[str]
) -> PreviousRelease | None:
    commit = resolve_commit(target.repo, f"refs/tags/{tag}")
    if commit is None:
        skipped.append(f"{tag}: tag not in this clone")
        return None
    if not is_ancestor(target.repo, commit, target.commit):
        return None  # another line of history (e.g. a patch release of an older version)
    try:
        record = store.get(config.name, commit)
    except NewerRecordError:
        raise  # not corrupt: this mlci is too old to compare with that release
    except RecordError as exc:
        skipped.append(f"{tag}: {exc}")
        return None
    if record is None:
        skipped.append(f"{tag} ({commit[:7]}) has no record")
        return None
    return PreviousRelease(tag, commit, record)
