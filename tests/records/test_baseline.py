from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlci.errors import GitError, NewerRecordError, RecordError
from mlci.records.baseline import resolve_baseline
from mlci.records.format import Record
from mlci.records.store import DirStore, GitBranchStore, RecordStore
from mlci.results import BaselineInfo

Git = Callable[..., str]
NewCommit = Callable[[Path, str], str]
MakeRecord = Callable[..., Record]
SHALLOW = "(shallow clone: fetch-depth 0 needed (actions/checkout with fetch-depth: 0))"


@dataclass
class History:
    """main: c0 - c1 - c2 - c3 - c4, and branch feature: c2 - f1 - f2 (the PR)."""

    repo: Path
    c: list[str]
    f1: str
    f2: str


@pytest.fixture
def history(make_repo: Callable[..., Path], git: Git, new_commit: NewCommit) -> History:
    repo = make_repo()
    c = [git(repo, "rev-parse", "HEAD")]
    c += [new_commit(repo, f"c{i}") for i in (1, 2)]
    git(repo, "checkout", "-q", "-b", "feature")
    f1, f2 = new_commit(repo, "f1"), new_commit(repo, "f2")
    git(repo, "checkout", "-q", "main")
    c += [new_commit(repo, f"c{i}") for i in (3, 4)]  # main moves on after the branch point
    git(repo, "checkout", "-q", "feature")
    return History(repo, c, f1, f2)


@pytest.fixture
def store(tmp_path: Path) -> DirStore:
    return DirStore(tmp_path / "records")


def resolve(
    h: History, store: RecordStore, head: str | None = None, *, max_depth: int = 50, **kw: str
) -> tuple[BaselineInfo, Record | None]:
    return resolve_baseline(
        h.repo,
        head or h.f2,
        target_branch=kw.get("target_branch", "main"),
        store=store,
        name="churn-model",
        max_depth=max_depth,
    )


def keep(store: RecordStore, make_record: MakeRecord, *commits: str) -> None:
    for commit in commits:
        store.put(make_record(commit))


def test_the_merge_base_record_is_the_baseline(
    history: History, store: DirStore, make_record: MakeRecord
) -> None:
    keep(store, make_record, *history.c)  # main's tip (c4) has a record too: not used
    info, record = resolve(history, store)
    assert info == BaselineInfo(commit=history.c[2], how="merge_base", branch="main")
    assert record == make_record(history.c[2])


def test_the_nearest_ancestor_with_a_record_is_used(
    history: History, store: DirStore, make_record: MakeRecord
) -> None:
    keep(store, make_record, history.c[0], history.c[3], history.c[4])
    info, record = resolve(history, store)
    assert info == BaselineInfo(commit=history.c[0], how="ancestor", branch="main", distance=2)
    assert record is not None and record.commit == history.c[0]


def test_no_record_within_max_depth_means_no_baseline(
    history: History, store: DirStore, make_record: MakeRecord
) -> None:
    keep(store, make_record, history.c[0])
    info, record = resolve(history, store, max_depth=1)
    assert record is None
    assert info == BaselineInfo(
        commit=None,
        how="none",
        branch="main",
        reason=f"no record for main@{history.c[2][:7]} or its 1 first-parent ancestors",
    )


def test_no_record_at_all(history: History, store: DirStore) -> None:
    info, record = resolve(history, store)
    assert record is None
    assert info.reason == f"no record for main@{history.c[2][:7]} or its 2 first-parent ancestors"


def test_a_commit_on_main_is_compared_with_its_parent(
    history: History, store: DirStore, make_record: MakeRecord, git: Git
) -> None:
    keep(store, make_record, *history.c)  # c4, the head itself, has a record: never itself
    info, record = resolve(history, store, head=history.c[4])
    assert info == BaselineInfo(commit=history.c[3], how="ancestor", branch="main", distance=1)
    assert record == make_record(history.c[3])


def test_a_commit_on_main_with_no_earlier_record(
    history: History, store: DirStore, make_record: MakeRecord
) -> None:
    keep(store, make_record, history.c[4])
    info, record = resolve(history, store, head=history.c[4])
    assert record is None
    assert info.reason == (
        f"no record for any of the 4 first-parent ancestors of main@{history.c[4][:7]}"
    )


def test_origin_main_is_preferred_over_the_local_branch(
    history: History, store: DirStore, make_record: MakeRecord, git: Git
) -> None:
    # the remote-tracking main was fetched when main was at c1; the PR branched from c2 later,
    # so against origin/main the merge base is c1
    git(history.repo, "update-ref", "refs/remotes/origin/main", history.c[1])
    keep(store, make_record, *history.c)
    info, _ = resolve(history, store)
    assert (info.commit, info.how) == (history.c[1], "merge_base")


def test_only_the_first_parent_chain_is_searched(
    history: History, store: DirStore, make_record: MakeRecord, git: Git, new_commit: NewCommit
) -> None:
    # merge the feature into main: the merge's second parent (f2) has a record, but the walk
    # from the merge follows main's own history
    git(history.repo, "checkout", "-q", "main")
    git(history.repo, "merge", "-q", "--no-ff", "-m", "merge feature", "feature", identity=True)
    git(history.repo, "checkout", "-q", "-b", "next")
    head = new_commit(history.repo, "next")
    keep(store, make_record, history.f2, history.f1, history.c[2])
    info, _ = resolve(history, store, head=head)
    assert (info.commit, info.how, info.distance) == (history.c[2], "ancestor", 3)


def test_a_corrupt_record_is_skipped_and_named(
    history: History, store: DirStore, make_record: MakeRecord
) -> None:
    keep(store, make_record, history.c[1])
    (store.path / "churn-model" / f"{history.c[2]}.json").write_text("{oops")
    info, record = resolve(history, store)
    assert info == BaselineInfo(
        commit=history.c[1],
        how="ancestor",
        branch="main",
        reason=f"skipped corrupt record of {history.c[2][:7]}",
        distance=1,
    )
    assert record == make_record(history.c[1])


def test_only_corrupt_records(history: History, store: DirStore, make_record: MakeRecord) -> None:
    keep(store, make_record, history.c[2])
    for commit in history.c[1:3]:
        (store.path / "churn-model" / f"{commit}.json").write_text("[]")
    info, record = resolve(history, store)
    assert record is None
    assert info.reason == (
        f"no record for main@{history.c[2][:7]} or its 2 first-parent ancestors; "
        f"skipped corrupt records of {history.c[2][:7]}, {history.c[1][:7]}"
    )


def test_a_missing_target_branch(history: History, store: DirStore) -> None:
    info, record = resolve(history, store, target_branch="develop")
    assert record is None
    assert info == BaselineInfo(
        commit=None,
        how="none",
        branch="develop",
        reason="branch 'develop' not found (neither origin/develop nor a local develop)",
    )


def test_unrelated_histories(
    history: History, store: DirStore, git: Git, new_commit: NewCommit
) -> None:
    git(history.repo, "checkout", "-q", "--orphan", "island")
    island = new_commit(history.repo, "island")
    info, _ = resolve(history, store, head=island)
    assert info.reason == f"{island[:7]} shares no history with main"


def test_a_shallow_clone_says_how_to_fix_it(
    history: History, store: DirStore, git: Git, tmp_path: Path
) -> None:
    # actions/checkout's default: depth 1, only the PR's branch
    shallow = tmp_path / "shallow"
    url = f"file://{history.repo}"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", url, str(shallow))
    info, _ = resolve_baseline(
        shallow, "HEAD", target_branch="main", store=store, name="churn-model", max_depth=50
    )
    assert info.reason == (
        f"branch 'main' not found (neither origin/main nor a local main) {SHALLOW}"
    )


def test_an_unknown_head_is_an_error(history: History, store: DirStore) -> None:
    with pytest.raises(GitError) as info:
        resolve(history, store, head="no-such-rev")
    assert str(info.value) == f"'no-such-rev' is not a commit of the repository at {history.repo}."


def test_with_the_git_branch_store(history: History, make_record: MakeRecord) -> None:
    store = GitBranchStore(history.repo, remote=None)
    keep(store, make_record, history.c[1])
    info, record = resolve(history, store)
    assert (info.commit, info.how, info.distance) == (history.c[1], "ancestor", 1)
    assert record == make_record(history.c[1])


def write_newer(store: DirStore, make_record: MakeRecord, commit: str) -> None:
    doc = {**make_record(commit).to_dict(), "schema_version": 2, "a_future_field": [1, 2]}
    (store.path / "churn-model" / f"{commit}.json").write_text(json.dumps(doc))


def test_a_record_from_a_newer_mlci_is_reported_not_skipped(
    history: History, store: DirStore, make_record: MakeRecord
) -> None:
    keep(store, make_record, history.c[1])  # an older, readable record further back
    write_newer(store, make_record, history.c[2])

    with pytest.raises(NewerRecordError) as info:
        resolve(history, store)

    assert str(info.value).startswith(
        f"Record for churn-model@{history.c[2][:7]} in {store.path / 'churn-model' / history.c[2]}"
        ".json was written by a newer mlci (schema 2, this mlci reads up to 1); upgrade mlci"
    )


def test_with_on_missing_fail_a_corrupt_baseline_is_an_error_not_skipped(
    history: History, store: DirStore, make_record: MakeRecord
) -> None:
    keep(store, make_record, history.c[1])
    (store.path / "churn-model" / f"{history.c[2]}.json").write_text("{oops")

    with pytest.raises(RecordError) as info:
        resolve_baseline(
            history.repo,
            history.f2,
            target_branch="main",
            store=store,
            name="churn-model",
            max_depth=50,
            skip_unreadable=False,
        )

    assert str(info.value).startswith(
        f"The baseline cannot be read: Record for churn-model@{history.c[2][:7]} in "
        f"{store.path / 'churn-model' / history.c[2]}.json is corrupt: invalid JSON"
    )
    assert str(info.value).endswith(
        "With `baseline.on_missing: fail` mlci stops here rather than compare with an older "
        "record or skip the gates."
    )
