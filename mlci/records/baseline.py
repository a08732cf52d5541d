"""Which stored record a run compares against.

The baseline is the record of the merge base of the evaluated commit with the target branch (for
a pull request: where it branched off ``main``). When that commit has no record, the nearest
first-parent ancestor that has one is used, up to ``max_depth`` steps back. A commit on the target
branch itself (a push to ``main``) is compared with its first-parent ancestors, never itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from mlci.errors import GitError, NewerRecordError, RecordError
from mlci.git import first_parent_ancestors, is_shallow, merge_base, resolve_commit
from mlci.records.format import Record
from mlci.records.store import RecordStore
from mlci.results import BaselineInfo

SHALLOW_HINT = "shallow clone: fetch-depth 0 needed (actions/checkout with fetch-depth: 0)"


def resolve_baseline(
    repo: Path,
    head: str,
    *,
    target_branch: str,
    store: RecordStore,
    name: str,
    max_depth: int,
    skip_unreadable: bool = True,
) -> tuple[BaselineInfo, Record | None]:
    """Find the baseline record of ``head`` against ``target_branch``.

    Parameters
    ----------
    repo, head:
        The repository and the evaluated commit (any revision git understands).
    target_branch:
        The branch compared with, e.g. ``"main"``; ``origin/<branch>`` is preferred over the
        local branch of that name.
    store, name:
        Where records live, and the config name they are stored under.
    max_depth:
        How many first-parent ancestors of the merge base are searched for a record.
    skip_unreadable:
        Whether a corrupt record on the way is skipped (and named in ``reason``) for an older
        one. False (``baseline.on_missing: fail``): the corrupt record is the baseline that
        cannot be read, a :class:`RecordError`.

    Returns
    -------
    The :class:`BaselineInfo` (``how`` is ``merge_base``, ``ancestor`` or ``none`` with a
    ``reason``) and the baseline record, or None.

    Raises
    ------
    NewerRecordError
        The nearest record was written by a newer mlci: it is never skipped, since the
        comparison would then silently be with an older commit (or with none).
    """
    head_sha = resolve_commit(repo, head)
    if head_sha is None:
        raise GitError(f"{head!r} is not a commit of the repository at {repo}.")
    target = _target_tip(repo, target_branch)
    if target is None:
        return _none(target_branch, _missing_branch_reason(repo, target_branch)), None
    base = merge_base(repo, head_sha, target)
    if base is None:
        why = f"{head_sha[:7]} shares no history with {target_branch}"
        return _none(target_branch, _with_shallow_hint(repo, why)), None
    candidates = first_parent_ancestors(repo, base, max_depth)
    distance, record, corrupt = _nearest_record(
        candidates, skip=head_sha, store=store, name=name, skip_unreadable=skip_unreadable
    )
    note = _corrupt_note(corrupt)
    if record is None:
        why = _not_found(base, head_sha, len(candidates) - 1, target_branch)
        reason = _with_shallow_hint(repo, f"{why}; {note}" if note else why)
        return _none(target_branch, reason), None
    how: Literal["merge_base", "ancestor"] = "merge_base" if distance == 0 else "ancestor"
    info = BaselineInfo(
        commit=record.commit, how=how, branch=target_branch, reason=note, distance=distance
    )
    return info, record


def _target_tip(repo: Path, branch: str) -> str | None:
    """The tip of ``origin/<branch>``, else of the local ``<branch>``."""
    for ref in (f"refs/remotes/origin/{branch}", f"refs/heads/{branch}"):
        sha = resolve_commit(repo, ref)
        if sha:
            return sha
    return None


def _nearest_record(
    candidates: list[str], *, skip: str, store: RecordStore, name: str, skip_unreadable: bool
) -> tuple[int, Record | None, list[str]]:
    """(distance, record, corrupt commits passed) for the nearest candidate with a record."""
    stored = {ref.commit for ref in store.list(name)}
    corrupt: list[str] = []
    for distance, commit in enumerate(candidates):
        if commit == skip or commit not in stored:
            continue
        try:
            record = store.get(name, commit)
        except NewerRecordError:
            raise
        except RecordError as exc:
            if not skip_unreadable:
                raise RecordError(
                    f"The baseline cannot be read: {exc} With `baseline.on_missing: fail` mlci "
                    "stops here rather than compare with an older record or skip the gates."
                ) from None
            corrupt.append(commit)
            continue
        if record is not None:
            return distance, record, corrupt
    return 0, None, corrupt


def _not_found(base: str, head: str, n: int, branch: str) -> str:
    if base == head:
        return f"no record for any of the {n} first-parent ancestors of {branch}@{head[:7]}"
    return f"no record for {branch}@{base[:7]} or its {n} first-parent ancestors"


def _corrupt_note(commits: list[str]) -> str:
    if not commits:
        return ""
    shown = ", ".join(c[:7] for c in commits)
    return f"skipped corrupt record{'s' if len(commits) > 1 else ''} of {shown}"


def _missing_branch_reason(repo: Path, branch: str) -> str:
    why = f"branch '{branch}' not found (neither origin/{branch} nor a local {branch})"
    return _with_shallow_hint(repo, why)


def _with_shallow_hint(repo: Path, why: str) -> str:
    return f"{why} ({SHALLOW_HINT})" if is_shallow(repo) else why


def _none(branch: str, reason: str) -> BaselineInfo:
    return BaselineInfo(commit=None, how="none", branch=branch, reason=reason)
