"""`mlci record`: store, show and list records (argument parsing lives in cli.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from tabulate import tabulate

from mlci.config import load_config
from mlci.errors import EXIT_PASS, GitError, MlciError, NewerRecordError, RecordError
from mlci.git import repo_root, resolve_commit
from mlci.records.format import Record
from mlci.records.store import GitBranchStore, RecordRef, RecordStore, open_store

_HEX = re.compile(r"[0-9a-f]{4,64}")


def record_command(
    action: str,
    *,
    config_path: Path,
    record_file: Path | None,
    commit: str | None,
    all_names: bool,
    stdout: TextIO,
    push: bool = False,
    environ: Mapping[str, str],
) -> int:
    """`mlci record save|show|list` as cli.py parsed it: open the config's store, dispatch.

    ``save`` pushes the record to the records branch's remote in GitHub Actions
    (``GITHUB_ACTIONS=true`` in ``environ``) or with ``push``; else it stays in the local branch.
    """

    config = load_config(config_path)
    repo = _repo_or_none(config.root)
    in_actions = environ.get("GITHUB_ACTIONS") == "true"
    store = open_store(config.baseline.store, repo, push=push or in_actions)
    if action == "save" and record_file is not None:
        return record_save(store=store, record_path=record_file, stdout=stdout)
    if action == "show":
        full = _resolve(repo, commit or "HEAD")
        return record_show(store=store, name=config.name, commit=full, stdout=stdout)
    if action == "list":
        return record_list(store=store, name=None if all_names else config.name, stdout=stdout)
    raise MlciError(f"Unknown use of `mlci record {action}`: use save FILE, show [COMMIT] or list.")


def record_save(*, store: RecordStore, record_path: Path, stdout: TextIO) -> int:
    """Validate the record file written by `mlci run` and put it in the store."""
    try:
        text = record_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MlciError(
            f"Record file {record_path} not found: pass the record.json that `mlci run` wrote."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MlciError(f"Cannot read record file {record_path}: {exc}.") from None
    record = Record.from_json(text, source=f"in {record_path}")
    store.put(record)
    short = f"{record.name}@{record.commit[:7]}"
    stdout.write(f"Stored the record of {short} ({record.verdict}) in {store}.\n")
    if isinstance(store, GitBranchStore) and store.remote and not store.push:
        stdout.write(f"Not pushed to {store.remote}: pass --push to publish it.\n")
    return EXIT_PASS


def record_show(*, store: RecordStore, name: str, commit: str, stdout: TextIO) -> int:
    """Print the stored record of ``name`` at ``commit`` (a full sha or a unique prefix)."""
    full = _full_commit(store, name, commit.lower())
    record = store.get(name, full)
    if record is None:
        raise _not_found(store, name, commit)
    stdout.write(record.to_json())
    return EXIT_PASS


def record_list(*, store: RecordStore, name: str | None, stdout: TextIO) -> int:
    """Print a table of stored records, newest first: name, commit, created_at, verdict."""

    refs = store.list(name)
    if not refs:
        stdout.write(f"No records{f' for {name}' if name else ''} in {store}.\n")
        return EXIT_PASS
    rows = sorted((_row(store, ref) for ref in refs), key=_newest_first, reverse=True)
    headers = ["name", "commit", "created_at", "verdict"]
    stdout.write(tabulate(rows, headers=headers, tablefmt="simple") + "\n")
    return EXIT_PASS


def _newest_first(row: tuple[str, str, str, str]) -> tuple[bool, str]:
    """Sort key (with reverse=True): readable records newest first, unreadable ones last."""
    return row[2] != "?", row[2]


def _row(store: RecordStore, ref: RecordRef) -> tuple[str, str, str, str]:
    try:
        record = store.get(ref.name, ref.commit)
    except NewerRecordError:
        return ref.name, ref.commit[:7], "?", "newer mlci"
    except RecordError:
        return ref.name, ref.commit[:7], "?", "corrupt"
    if record is None:  # removed since it was listed
        return ref.name, ref.commit[:7], "?", "missing"
    return ref.name, ref.commit[:7], record.created_at, record.verdict


def _repo_or_none(path: Path) -> Path | None:

    try:
        return repo_root(path)
    except GitError:
        return None


def _resolve(repo: Path | None, rev: str) -> str:
    """The full sha ``rev`` names in ``repo``; hex digits pass through for prefix matching."""

    sha = resolve_commit(repo, rev) if repo is not None else None
    if sha is not None:
        return sha
    if _HEX.fullmatch(rev.lower()):
        return rev.lower()
    where = f"the repository at {repo}" if repo is not None else "a git repository (none here)"
    raise MlciError(f"Unknown commit {rev!r}: it is not in {where}. Pass a commit sha.")


def _full_commit(store: RecordStore, name: str, commit: str) -> str:
    """The stored commit ``commit`` abbreviates (a full sha is returned as is)."""
    if not _HEX.fullmatch(commit):
        raise MlciError(
            f"{commit!r} is not a commit sha: pass the full sha or at least its first 4 hex digits."
        )
    if len(commit) in (40, 64):
        return commit
    matches = [ref.commit for ref in store.list(name) if ref.commit.startswith(commit)]
    if not matches:
        raise _not_found(store, name, commit)
    if len(matches) > 1:
        shown = ", ".join(m[:12] for m in matches[:5])
        raise MlciError(
            f"Commit {commit} is ambiguous among the records of {name}: {shown}. Pass more digits."
        )
    return matches[0]


def _not_found(store: RecordStore, name: str, commit: str) -> RecordError:
    return RecordError(
        f"No record for {name}@{commit[:12]} in {store}. "
        "`mlci record list` shows the stored records."
    )
