"""Metric history from a real records branch: first parents only, oldest first, gaps skipped."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from mlci.records.format import Record
from mlci.records.history import history_from_store, metric_value
from mlci.records.store import DirStore, GitBranchStore

NAME = "churn-model"


@pytest.fixture
def five_commits(
    make_repo: Callable[..., Path],
    new_commit: Callable[[Path, str], str],
    make_record: Callable[..., Record],
) -> tuple[Path, GitBranchStore, list[str]]:
    """main with five commits after the initial one, each with a stored record."""
    repo = make_repo()
    store = GitBranchStore(repo, remote=None)
    commits = []
    for i in range(5):
        sha = new_commit(repo, f"main {i}")
        metrics = {"roc_auc": 0.80 + i / 100, "f1": 0.70 + i / 100}
        store.put(
            make_record(
                sha, model={"task": "binary", "source": "model", "n_rows": 10, "metrics": metrics}
            )
        )
        commits.append(sha)
    return repo, store, commits


def test_values_of_the_last_records_oldest_first(five_commits) -> None:
    repo, store, commits = five_commits
    history = history_from_store(repo, store, NAME, "main", ["roc_auc", "f1"])
    assert history["roc_auc"] == [
        (c[:7], pytest.approx(0.80 + i / 100)) for i, c in enumerate(commits)
    ]
    assert [v for _, v in history["f1"]] == pytest.approx([0.70, 0.71, 0.72, 0.73, 0.74])


def test_limit_keeps_the_most_recent(five_commits) -> None:
    repo, store, commits = five_commits
    history = history_from_store(repo, store, NAME, "main", ["roc_auc"], limit=2)
    assert [sha for sha, _ in history["roc_auc"]] == [commits[3][:7], commits[4][:7]]
    assert history_from_store(repo, store, NAME, "main", ["roc_auc"], limit=0) == {"roc_auc": []}


def test_start_walks_back_from_the_baseline_commit(five_commits) -> None:
    repo, store, commits = five_commits
    history = history_from_store(repo, store, NAME, "main", ["roc_auc"], start=commits[2])
    assert [sha for sha, _ in history["roc_auc"]] == [c[:7] for c in commits[:3]]


def test_missing_metrics_commits_and_corrupt_records_are_skipped(
    five_commits, new_commit, make_record, git
) -> None:
    repo, store, commits = five_commits
    new_commit(repo, "no record for this one")
    no_f1 = new_commit(repo, "a record without f1")
    store.put(
        make_record(
            no_f1,
            model={
                "task": "binary",
                "source": "model",
                "n_rows": 1,
                "metrics": {"roc_auc": 0.9, "f1": None},
            },
        )
    )
    corrupt = new_commit(repo, "a corrupt record")
    _store_raw(repo, git, f"{NAME}/{corrupt[:2]}/{corrupt}.json", b"{not json")
    history = history_from_store(repo, store, NAME, "main", ["roc_auc", "f1", "unknown"])
    assert [sha for sha, _ in history["roc_auc"]] == [*(c[:7] for c in commits), no_f1[:7]]
    assert len(history["f1"]) == 5
    assert history["unknown"] == []


def test_side_branches_are_not_followed(five_commits, git, new_commit, make_record) -> None:
    repo, store, commits = five_commits
    git(repo, "checkout", "-q", "-b", "feature", commits[2])
    side = new_commit(repo, "on a side branch")
    store.put(make_record(side))
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge feature", "feature", identity=True)
    history = history_from_store(repo, store, NAME, "main", ["roc_auc"])
    assert side[:7] not in [sha for sha, _ in history["roc_auc"]]
    assert len(history["roc_auc"]) == 5


def test_no_branch_or_no_records_is_an_empty_history(make_repo, tmp_path) -> None:
    repo = make_repo()
    empty = DirStore(tmp_path / "records")
    assert history_from_store(repo, empty, NAME, "main", ["roc_auc"]) == {"roc_auc": []}
    assert history_from_store(repo, empty, NAME, "trunk", ["roc_auc"]) == {"roc_auc": []}


def test_metric_value_only_takes_finite_numbers(make_record) -> None:
    def value(v: object) -> float | None:
        model = {"task": "binary", "source": "model", "n_rows": 1, "metrics": {"m": v}}
        return metric_value(make_record(model=model), "m")

    assert value(0.5) == 0.5 and value(2) == 2.0
    assert value(None) is None and value(True) is None
    assert metric_value(make_record(model=None), "m") is None


def _store_raw(repo: Path, git: Callable[..., str], path: str, data: bytes) -> None:
    """Commit ``data`` at ``path`` on the records branch, bypassing the store's checks."""
    env = {**os.environ, "GIT_INDEX_FILE": str(repo / ".git" / "tmp-index")}

    def plumbing(*args: str, stdin: bytes | None = None) -> str:
        done = subprocess.run(
            ["git", *args], cwd=repo, env=env, input=stdin, check=True, capture_output=True
        )
        return done.stdout.decode().strip()

    blob = plumbing("hash-object", "-w", "--stdin", stdin=data)
    tip = git(repo, "rev-parse", "refs/heads/mlci-records")
    plumbing("read-tree", tip)
    plumbing("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}")
    tree = plumbing("write-tree")
    new = git(repo, "commit-tree", tree, "-p", tip, "-m", "corrupt", identity=True)
    git(repo, "update-ref", "refs/heads/mlci-records", new)
