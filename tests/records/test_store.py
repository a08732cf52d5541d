from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import mlci
from mlci import files as files_module
from mlci.config import StoreConfig
from mlci.errors import ConfigError, GitError, MlciError, RecordError
from mlci.records.format import Record
from mlci.records.store import (
    DirStore,
    GitBranchStore,
    RecordRef,
    RecordStore,
    backoff_delay,
    open_store,
)

Git = Callable[..., str]
MakeRecord = Callable[..., Record]
FIX = "Re-run mlci on that commit to replace it."


def sha(n: int) -> str:
    return f"{n:040x}"


def records_tree(repo: Path, git: Git, ref: str = "mlci-records") -> list[str]:
    return git(repo, "ls-tree", "-r", "--name-only", ref).splitlines()


# -- both stores -------------------------------------------------------------------------------


@pytest.fixture(params=["dir", "git-local", "git-remote"])
def any_store(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    make_repo: Callable[..., Path],
    remote_and_clone: tuple[Path, Path],
) -> RecordStore:
    if request.param == "dir":
        return DirStore(tmp_path / "records")
    if request.param == "git-local":
        return GitBranchStore(make_repo("local"), remote=None)
    return GitBranchStore(remote_and_clone[1])


def test_round_trip(any_store: RecordStore, make_record: MakeRecord) -> None:
    a = make_record(sha(1))
    b = make_record(sha(2), verdict="fail")
    other = make_record(sha(1), name="fraud-model")
    for record in (a, b, other):
        any_store.put(record)
    assert any_store.get("churn-model", sha(1)) == a
    assert any_store.get("churn-model", sha(2)) == b
    assert any_store.get("fraud-model", sha(1)) == other
    assert any_store.get("churn-model", sha(3)) is None
    assert any_store.get("nobody", sha(1)) is None
    assert any_store.list("churn-model") == [
        RecordRef("churn-model", sha(1)),
        RecordRef("churn-model", sha(2)),
    ]
    assert any_store.list() == [
        RecordRef("churn-model", sha(1)),
        RecordRef("churn-model", sha(2)),
        RecordRef("fraud-model", sha(1)),
    ]


def test_putting_a_commit_again_replaces_its_record(
    any_store: RecordStore, make_record: MakeRecord
) -> None:
    any_store.put(make_record(sha(1), verdict="fail"))
    rerun = make_record(sha(1), verdict="pass", created_at="2024-05-02T08:00:00Z")
    any_store.put(rerun)
    assert any_store.get("churn-model", sha(1)) == rerun
    assert any_store.list() == [RecordRef("churn-model", sha(1))]


def test_an_empty_store_has_nothing(any_store: RecordStore) -> None:
    assert any_store.list() == []
    assert any_store.get("churn-model", sha(1)) is None


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "a\\b", "tab\there"])
def test_names_that_cannot_be_folders_are_refused(
    any_store: RecordStore, make_record: MakeRecord, name: str
) -> None:
    with pytest.raises(RecordError, match="cannot name a folder of the record store"):
        any_store.put(make_record(sha(1), name=name))


def test_an_abbreviated_commit_is_refused(any_store: RecordStore) -> None:
    with pytest.raises(RecordError, match=r"^'3f2c1ab' is not a full commit sha \(40 hex digits\)"):
        any_store.get("churn-model", "3f2c1ab")


# -- directory store ---------------------------------------------------------------------------


def test_dir_store_layout_is_name_then_commit(tmp_path: Path, make_record: MakeRecord) -> None:
    record = make_record(sha(7))
    DirStore(tmp_path).put(record)
    file = tmp_path / "churn-model" / f"{sha(7)}.json"
    assert file.read_text(encoding="utf-8") == record.to_json()
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(["churn-model", file.name])


def test_dir_store_reports_a_corrupt_record(tmp_path: Path) -> None:
    folder = tmp_path / "churn-model"
    folder.mkdir()
    (folder / f"{sha(7)}.json").write_text('{"schema_version": 1', encoding="utf-8")
    with pytest.raises(RecordError) as info:
        DirStore(tmp_path).get("churn-model", sha(7))
    assert str(info.value) == (
        f"Record for churn-model@0000000 in {folder / (sha(7) + '.json')} is corrupt: invalid JSON "
        f"at line 1, column 21 (Expecting ',' delimiter). {FIX}"
    )


def test_dir_store_reports_a_record_filed_under_the_wrong_commit(
    tmp_path: Path, make_record: MakeRecord
) -> None:
    folder = tmp_path / "churn-model"
    folder.mkdir()
    (folder / f"{sha(8)}.json").write_text(make_record(sha(7)).to_json(), encoding="utf-8")
    with pytest.raises(RecordError, match="is corrupt: it holds the record of churn-model@0000000"):
        DirStore(tmp_path).get("churn-model", sha(8))


def test_dir_store_write_is_atomic(
    tmp_path: Path, make_record: MakeRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = DirStore(tmp_path)
    old = make_record(sha(1), verdict="pass")
    store.put(old)

    def crash(src: Any, dst: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(files_module.os, "replace", crash)  # the one atomic writer's rename
    with pytest.raises(MlciError, match="disk full"):
        store.put(make_record(sha(1), verdict="fail"))
    with pytest.raises(MlciError, match="disk full"):
        store.put(make_record(sha(2)))
    assert store.get("churn-model", sha(1)) == old  # the old record is whole
    assert store.get("churn-model", sha(2)) is None  # no half-written record
    assert [p.name for p in (tmp_path / "churn-model").iterdir()] == [f"{sha(1)}.json"]


def test_dir_store_ignores_stray_files(tmp_path: Path, make_record: MakeRecord) -> None:
    store = DirStore(tmp_path)
    store.put(make_record(sha(1)))
    (tmp_path / "churn-model" / "notes.json").write_text("{}")
    (tmp_path / "churn-model" / f".{sha(2)}.json.x1.tmp").write_text("{")
    (tmp_path / "README.md").write_text("records")
    assert store.list() == [RecordRef("churn-model", sha(1))]


# -- git branch store: what it writes ------------------------------------------------------------


def test_git_store_writes_one_file_per_commit_on_the_branch(
    make_repo: Callable[..., Path], make_record: MakeRecord, git: Git
) -> None:
    repo = make_repo()
    store = GitBranchStore(repo, remote=None)
    first, second = make_record("ab" + "1" * 38), make_record("cd" + "2" * 38)
    store.put(first)
    store.put(second)
    assert records_tree(repo, git) == [
        f"churn-model/ab/{'ab' + '1' * 38}.json",
        f"churn-model/cd/{'cd' + '2' * 38}.json",
    ]
    blob = git(repo, "cat-file", "blob", f"mlci-records:churn-model/cd/{'cd' + '2' * 38}.json")
    assert blob + "\n" == second.to_json()
    # append-only history: one commit per record, each on top of the previous one
    log = git(repo, "log", "--format=%s", "mlci-records").splitlines()
    assert log == ["mlci: record churn-model @ cd22222", "mlci: record churn-model @ ab11111"]


def test_git_store_commits_as_mlci_when_no_identity_is_configured(
    make_repo: Callable[..., Path], make_record: MakeRecord, git: Git
) -> None:
    repo = make_repo()
    assert (
        subprocess.run(
            ["git", "var", "GIT_COMMITTER_IDENT"], cwd=repo, capture_output=True, check=False
        ).returncode
        != 0
    )  # a bare runner: git itself would refuse
    GitBranchStore(repo, remote=None).put(make_record(sha(1)))
    who = git(repo, "log", "-1", "--format=%an <%ae> / %cn <%ce>", "mlci-records")
    assert who == "mlci <mlci@users.noreply.github.com> / mlci <mlci@users.noreply.github.com>"


def test_git_store_uses_the_configured_identity(
    make_repo: Callable[..., Path], make_record: MakeRecord, git: Git
) -> None:
    repo = make_repo()
    git(repo, "config", "user.name", "Release Bot")
    git(repo, "config", "user.email", "bot@example.com")
    GitBranchStore(repo, remote=None).put(make_record(sha(1)))
    who = git(repo, "log", "-1", "--format=%an <%ae> / %cn <%ce>", "mlci-records")
    assert who == "Release Bot <bot@example.com> / Release Bot <bot@example.com>"


def test_git_store_takes_identity_from_the_environment(
    make_repo: Callable[..., Path],
    make_record: MakeRecord,
    git: Git,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = make_repo()
    monkeypatch.setenv("GIT_AUTHOR_NAME", "CI Bot")
    monkeypatch.setenv("EMAIL", "ci@example.com")
    GitBranchStore(repo, remote=None).put(make_record(sha(1)))
    who = git(repo, "log", "-1", "--format=%an <%ae> / %cn <%ce>", "mlci-records")
    assert who == "CI Bot <ci@example.com> / mlci <ci@example.com>"


def test_git_store_ignores_commit_signing_config(
    make_repo: Callable[..., Path], make_record: MakeRecord, git: Git
) -> None:
    repo = make_repo()
    git(repo, "config", "commit.gpgSign", "true")
    git(repo, "config", "gpg.program", "false")  # signing would fail
    GitBranchStore(repo, remote=None).put(make_record(sha(1)))
    assert records_tree(repo, git) == [f"churn-model/00/{sha(1)}.json"]


def test_putting_an_identical_record_adds_no_commit(
    make_repo: Callable[..., Path], make_record: MakeRecord, git: Git
) -> None:
    repo = make_repo()
    store = GitBranchStore(repo, remote=None)
    store.put(make_record(sha(1)))
    tip = git(repo, "rev-parse", "mlci-records")
    store.put(make_record(sha(1)))
    assert git(repo, "rev-parse", "mlci-records") == tip


def _snapshot(repo: Path, git: Git) -> dict[str, Any]:
    return {
        "status": git(repo, "status", "--porcelain", "--untracked-files=all"),
        "head": git(repo, "rev-parse", "HEAD"),
        "branch": git(repo, "symbolic-ref", "HEAD"),
        "index": (repo / ".git" / "index").read_bytes(),
        "files": {p.name: p.read_bytes() for p in repo.iterdir() if p.is_file()},
        "main": git(repo, "rev-parse", "refs/heads/main"),
    }


@pytest.mark.parametrize("with_remote", [False, True])
def test_put_leaves_the_checkout_alone(
    with_remote: bool,
    make_repo: Callable[..., Path],
    remote_and_clone: tuple[Path, Path],
    make_record: MakeRecord,
    git: Git,
) -> None:
    repo = remote_and_clone[1] if with_remote else make_repo()
    (repo / "tracked.txt").write_text("v1\n")
    git(repo, "add", "tracked.txt")
    git(repo, "commit", "-q", "-m", "add tracked", identity=True)
    (repo / "tracked.txt").write_text("v2, not committed\n")  # unstaged change
    (repo / "staged.txt").write_text("staged\n")
    git(repo, "add", "staged.txt")  # staged change
    (repo / "untracked.txt").write_text("untracked\n")
    before = _snapshot(repo, git)
    store = GitBranchStore(repo, remote="origin" if with_remote else None)
    store.put(make_record(sha(1)))
    store.put(make_record(sha(2)))
    assert _snapshot(repo, git) == before
    assert store.list() == [RecordRef("churn-model", sha(1)), RecordRef("churn-model", sha(2))]


def test_local_store_refuses_to_move_a_checked_out_records_branch(
    make_repo: Callable[..., Path], make_record: MakeRecord, git: Git
) -> None:
    repo = make_repo()
    git(repo, "checkout", "-q", "-b", "mlci-records")
    with pytest.raises(GitError) as info:
        GitBranchStore(repo, remote=None).put(make_record(sha(1)))
    assert str(info.value) == (
        f"The records branch 'mlci-records' is checked out in {repo}; mlci writes it without a "
        "checkout. Check out another branch, or set baseline.store.branch."
    )


def test_git_store_reports_a_corrupt_record(
    make_repo: Callable[..., Path], make_record: MakeRecord, git: Git
) -> None:
    repo = make_repo()
    store = GitBranchStore(repo, remote=None)
    store.put(make_record(sha(1)))
    # overwrite the stored file with junk, by plumbing as a broken writer would
    path = f"churn-model/00/{sha(1)}.json"
    proc = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"],
        cwd=repo,
        input=b"\xff junk",
        capture_output=True,
        check=True,
    )
    blob = proc.stdout.decode().strip()
    index = repo / "tmp-index"
    env = {**os.environ, "GIT_INDEX_FILE": str(index)}
    for args in (
        ["read-tree", "mlci-records"],
        ["update-index", "--cacheinfo", f"100644,{blob},{path}"],
    ):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)
    tree = subprocess.run(
        ["git", "write-tree"], cwd=repo, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    new = git(repo, "commit-tree", tree, "-p", "mlci-records", "-m", "junk", identity=True)
    git(repo, "update-ref", "refs/heads/mlci-records", new)
    with pytest.raises(RecordError) as info:
        store.get("churn-model", sha(1))
    assert str(info.value) == (
        "Record for churn-model@0000000 in branch mlci-records is corrupt: it is not UTF-8 "
        f"text. {FIX}"
    )
    assert store.list() == [RecordRef("churn-model", sha(1))]  # listing still works


# -- git branch store with a remote ------------------------------------------------------------


def test_records_are_pushed_and_read_by_another_clone(
    remote_and_clone: tuple[Path, Path],
    clone_of: Callable[[Path, Path], Path],
    make_record: MakeRecord,
    git: Git,
    tmp_path: Path,
) -> None:
    bare, repo = remote_and_clone
    record = make_record(sha(1))
    GitBranchStore(repo).put(record)
    assert records_tree(bare, git) == [f"churn-model/00/{sha(1)}.json"]
    assert "mlci-records" not in git(repo, "branch", "--list")  # no local branch was made
    other = clone_of(bare, tmp_path / "other")
    reader = GitBranchStore(other)
    assert reader.list() == [RecordRef("churn-model", sha(1))]
    assert reader.get("churn-model", sha(1)) == record


def test_a_remote_without_the_branch_is_an_empty_store(
    remote_and_clone: tuple[Path, Path], git: Git
) -> None:
    bare, repo = remote_and_clone
    store = GitBranchStore(repo)
    assert store.list() == []
    assert store.get("churn-model", sha(1)) is None
    assert git(bare, "branch", "--list", "mlci-records") == ""


def test_reads_fetch_once_per_store(
    remote_and_clone: tuple[Path, Path],
    clone_of: Callable[[Path, Path], Path],
    make_record: MakeRecord,
    tmp_path: Path,
) -> None:
    bare, repo = remote_and_clone
    reader = GitBranchStore(repo)
    GitBranchStore(clone_of(bare, tmp_path / "writer")).put(make_record(sha(1)))
    assert reader.list() == [RecordRef("churn-model", sha(1))]
    GitBranchStore(clone_of(bare, tmp_path / "writer2")).put(make_record(sha(2)))
    assert reader.get("churn-model", sha(2)) is None  # this instance already fetched
    assert GitBranchStore(repo).get("churn-model", sha(2)) == make_record(sha(2))


def test_an_unconfigured_remote_means_working_locally(
    make_repo: Callable[..., Path], make_record: MakeRecord, git: Git
) -> None:
    repo = make_repo()
    store = GitBranchStore(repo, remote="origin")  # no remote named origin
    store.put(make_record(sha(1)))
    assert str(store) == "local branch mlci-records"
    assert records_tree(repo, git) == [f"churn-model/00/{sha(1)}.json"]


def test_push_false_keeps_records_local(
    remote_and_clone: tuple[Path, Path], make_record: MakeRecord, git: Git
) -> None:
    bare, repo = remote_and_clone
    GitBranchStore(repo, push=False).put(make_record(sha(1)))
    assert records_tree(repo, git) == [f"churn-model/00/{sha(1)}.json"]
    assert git(bare, "branch", "--list", "mlci-records") == ""


def test_without_push_a_record_goes_on_top_of_the_remote_locally_and_both_are_read(
    remote_and_clone: tuple[Path, Path],
    clone_of: Callable[[Path, Path], Path],
    make_record: MakeRecord,
    git: Git,
    tmp_path: Path,
) -> None:
    bare, repo = remote_and_clone
    GitBranchStore(clone_of(bare, tmp_path / "ci")).put(make_record(sha(1)))  # pushed by CI
    local = GitBranchStore(repo, push=False)

    local.put(make_record(sha(2)))

    assert str(local) == "local branch mlci-records"
    assert records_tree(bare, git) == [f"churn-model/00/{sha(1)}.json"], "nothing pushed"
    assert records_tree(repo, git) == [
        f"churn-model/00/{sha(1)}.json",
        f"churn-model/00/{sha(2)}.json",
    ]
    git(repo, "merge-base", "--is-ancestor", local.tracking_ref, local.local_ref)  # a fast-forward
    reader = GitBranchStore(repo, push=False)
    assert reader.list() == [RecordRef("churn-model", sha(1)), RecordRef("churn-model", sha(2))]
    assert reader.get("churn-model", sha(1)) == make_record(sha(1))
    assert reader.get("churn-model", sha(2)) == make_record(sha(2))
    assert GitBranchStore(repo).get("churn-model", sha(2)) == make_record(sha(2))


def test_the_remote_record_wins_over_a_local_one_of_the_same_commit(
    remote_and_clone: tuple[Path, Path],
    clone_of: Callable[[Path, Path], Path],
    make_record: MakeRecord,
    tmp_path: Path,
) -> None:
    from dataclasses import replace

    bare, repo = remote_and_clone
    GitBranchStore(repo, remote=None).put(replace(make_record(sha(1)), verdict="fail"))
    GitBranchStore(clone_of(bare, tmp_path / "ci")).put(make_record(sha(1)))

    assert GitBranchStore(repo).get("churn-model", sha(1)) == make_record(sha(1))
    assert GitBranchStore(repo).list() == [RecordRef("churn-model", sha(1))]


def test_a_write_that_loses_a_race_is_rebuilt_on_the_new_tip(
    remote_and_clone: tuple[Path, Path],
    clone_of: Callable[[Path, Path], Path],
    make_record: MakeRecord,
    git: Git,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bare, repo = remote_and_clone
    rival = GitBranchStore(clone_of(bare, tmp_path / "rival"))
    sleeps: list[float] = []
    store = GitBranchStore(repo, sleep=sleeps.append)
    real_fetch = GitBranchStore._fetch
    raced = []

    def fetch_then_lose_race(self: GitBranchStore, remote: str) -> str | None:
        tip = real_fetch(self, remote)
        if self is store and not raced:  # another job pushes between our fetch and our push
            raced.append(True)
            rival.put(make_record(sha(2)))
        return tip

    monkeypatch.setattr(GitBranchStore, "_fetch", fetch_then_lose_race)
    store.put(make_record(sha(1)))
    assert records_tree(bare, git) == [
        f"churn-model/00/{sha(1)}.json",
        f"churn-model/00/{sha(2)}.json",
    ]
    assert len(sleeps) == 1 and 0.1 <= sleeps[0] <= 0.2


def test_a_local_write_that_loses_a_race_is_retried(
    make_repo: Callable[..., Path],
    make_record: MakeRecord,
    git: Git,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = make_repo()
    sleeps: list[float] = []
    store = GitBranchStore(repo, remote=None, sleep=sleeps.append)
    rival = GitBranchStore(repo, remote=None)
    real_tip = GitBranchStore._local_tip

    def tip_then_lose_race(self: GitBranchStore) -> str | None:
        tip = real_tip(self)
        if self is store and not sleeps:  # another process moves the branch meanwhile
            rival.put(make_record(sha(2)))
        return tip

    monkeypatch.setattr(GitBranchStore, "_local_tip", tip_then_lose_race)
    store.put(make_record(sha(1)))
    assert len(sleeps) == 1
    assert records_tree(repo, git) == [
        f"churn-model/00/{sha(1)}.json",
        f"churn-model/00/{sha(2)}.json",
    ]


def _hook(bare: Path, script: str) -> None:
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\n" + script)
    hook.chmod(0o755)


def test_git_store_gives_up_after_max_attempts(
    remote_and_clone: tuple[Path, Path], make_record: MakeRecord
) -> None:
    bare, repo = remote_and_clone
    GitBranchStore(repo).put(make_record(sha(1)))
    # a remote whose branch always moves while we push: every push loses the race
    _hook(
        bare,
        "unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES\n"
        "export GIT_COMMITTER_NAME=x GIT_COMMITTER_EMAIL=x@x\n"
        "export GIT_AUTHOR_NAME=x GIT_AUTHOR_EMAIL=x@x\n"
        "tip=$(git rev-parse refs/heads/mlci-records)\n"
        'new=$(git commit-tree "$tip^{tree}" -p "$tip" -m bump)\n'
        'git update-ref refs/heads/mlci-records "$new" "$tip"\n',
    )
    sleeps: list[float] = []
    store = GitBranchStore(repo, max_attempts=3, sleep=sleeps.append)
    with pytest.raises(GitError) as info:
        store.put(make_record(sha(2)))
    assert str(info.value) == (
        "Gave up storing the record for churn-model@0000000 on branch mlci-records of origin "
        "after 3 attempts: other runs kept moving the branch. Re-run the job."
    )
    assert len(sleeps) == 2 and 0.1 <= sleeps[0] <= 0.2 and 0.2 <= sleeps[1] <= 0.4


def test_a_refused_push_is_not_retried(
    remote_and_clone: tuple[Path, Path], make_record: MakeRecord
) -> None:
    bare, repo = remote_and_clone
    _hook(bare, "echo 'records are read-only here' >&2\nexit 1\n")
    sleeps: list[float] = []
    with pytest.raises(GitError) as info:
        GitBranchStore(repo, sleep=sleeps.append).put(make_record(sha(1)))
    message = str(info.value)
    assert message.startswith("Could not push the record for churn-model@0000000 to origin: ! ")
    assert "(pre-receive hook declined)" in message
    assert message.endswith(
        "If the token lacks permission, give the job `permissions: contents: write`."
    )
    assert sleeps == []


def test_an_unreachable_remote_is_reported(
    make_repo: Callable[..., Path], make_record: MakeRecord, git: Git, tmp_path: Path
) -> None:
    repo = make_repo()
    git(repo, "remote", "add", "origin", str(tmp_path / "gone.git"))
    with pytest.raises(
        GitError,
        match=r"^Could not fetch the records branch 'mlci-records' from "
        r"origin: fatal: '.*gone\.git' does not appear to be a git",
    ):
        GitBranchStore(repo).get("churn-model", sha(1))


CONCURRENT_PUT = """
import sys, time
from pathlib import Path
from mlci.records.format import Record
from mlci.records.store import GitBranchStore

repo, ready, go = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
record = Record.from_json(sys.stdin.read(), source="on stdin")
store = GitBranchStore(repo)
ready.touch()
while not go.exists():
    time.sleep(0.002)
store.put(record)
"""


def test_concurrent_pushes_lose_no_record(
    remote_and_clone: tuple[Path, Path],
    clone_of: Callable[[Path, Path], Path],
    make_record: MakeRecord,
    git: Git,
    tmp_path: Path,
) -> None:
    bare, _ = remote_and_clone
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(Path(mlci.__file__).parent.parent)}
    procs = []
    for i in range(6):
        repo = clone_of(bare, tmp_path / f"job{i}")
        args = [
            sys.executable,
            "-c",
            CONCURRENT_PUT,
            str(repo),
            str(tmp_path / f"ready{i}"),
            str(go),
        ]
        proc = subprocess.Popen(args, env=env, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        procs.append((proc, make_record(sha(i + 1)).to_json().encode()))
    for proc, record_json in procs:
        assert proc.stdin is not None
        proc.stdin.write(record_json)
        proc.stdin.close()
    deadline = time.monotonic() + 30
    while not all((tmp_path / f"ready{i}").exists() for i in range(6)):
        assert time.monotonic() < deadline, "the writers did not start"
        time.sleep(0.01)
    go.touch()  # all six push at once
    for proc, _ in procs:
        code = proc.wait(timeout=60)
        assert proc.stderr is not None
        assert code == 0, proc.stderr.read().decode()
    assert records_tree(bare, git) == [f"churn-model/00/{sha(i + 1)}.json" for i in range(6)]
    assert git(bare, "rev-list", "--count", "mlci-records") == "6"


# -- helpers -----------------------------------------------------------------------------------


def test_backoff_is_exponential_jittered_and_capped() -> None:
    for attempt, (low, high) in {
        1: (0.1, 0.2),
        2: (0.2, 0.4),
        3: (0.4, 0.8),
        9: (2.5, 5.0),
    }.items():
        delays = [backoff_delay(attempt) for _ in range(200)]
        assert all(low <= d <= high for d in delays)
        assert len(set(delays)) > 100  # jittered


def test_open_store(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    dir_store = open_store(StoreConfig(type="dir", path=tmp_path / "r"), None)
    assert isinstance(dir_store, DirStore) and dir_store.path == tmp_path / "r"
    repo = make_repo()
    git_store = open_store(StoreConfig(branch="records", remote="upstream"), repo)
    assert isinstance(git_store, GitBranchStore)
    assert (git_store.repo, git_store.branch, git_store.remote) == (repo, "records", None)


def test_open_store_explains_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        open_store(StoreConfig(type="dir"), None)
    assert str(info.value) == (
        "baseline.store.path is required when baseline.store.type is 'dir' "
        "(e.g. path: .mlci/records)."
    )
    with pytest.raises(GitError, match=r"^The record store is a git branch, but there is no git"):
        open_store(StoreConfig(), None)
