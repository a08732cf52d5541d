from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mlci.commands.record import record_command, record_list, record_save, record_show
from mlci.errors import MlciError, RecordError
from mlci.records.format import Record
from mlci.records.store import DirStore, GitBranchStore
from tests.helpers.git import git

A = "3f2c1ab" + "0" * 33
B = "3f2c200" + "1" * 33
C = "9e8d7c6" + "2" * 33


def record(commit: str, **overrides: Any) -> Record:
    fields: dict[str, Any] = {
        "name": "churn-model",
        "commit": commit,
        "ref": "refs/heads/main",
        "created_at": "2024-05-01T12:00:00Z",
        "config_hash": "sha256:abc",
        "tool_version": "0.1.0",
        "environment": {"python": "3.11.7"},
        "verdict": "pass",
    }
    fields.update(overrides)
    return Record(**fields)


@pytest.fixture
def store(tmp_path: Path) -> DirStore:
    return DirStore(tmp_path / "records")


def test_save_validates_and_stores(store: DirStore, tmp_path: Path) -> None:
    file = tmp_path / "record.json"
    file.write_text(record(A, verdict="fail").to_json(), encoding="utf-8")
    out = io.StringIO()
    assert record_save(store=store, record_path=file, stdout=out) == 0
    assert store.get("churn-model", A) == record(A, verdict="fail")
    assert out.getvalue() == (
        f"Stored the record of churn-model@3f2c1ab (fail) in directory {store.path}.\n"
    )


def test_save_refuses_a_corrupt_file(store: DirStore, tmp_path: Path) -> None:
    file = tmp_path / "record.json"
    file.write_text('{"schema_version": 1}', encoding="utf-8")
    with pytest.raises(RecordError) as info:
        record_save(store=store, record_path=file, stdout=io.StringIO())
    assert str(info.value) == (
        f"Record in {file} is corrupt: 'name' is a required property. "
        "Re-run mlci on that commit to replace it."
    )
    assert store.list() == []


def test_save_names_a_missing_file(store: DirStore, tmp_path: Path) -> None:
    with pytest.raises(MlciError) as info:
        record_save(store=store, record_path=tmp_path / "nope.json", stdout=io.StringIO())
    assert str(info.value) == (
        f"Record file {tmp_path / 'nope.json'} not found: pass the record.json that `mlci run` "
        "wrote."
    )


def test_show_prints_the_record(store: DirStore) -> None:
    store.put(record(A))
    out = io.StringIO()
    assert record_show(store=store, name="churn-model", commit=A, stdout=out) == 0
    assert out.getvalue() == record(A).to_json()


def test_show_accepts_a_unique_prefix(store: DirStore) -> None:
    store.put(record(A))
    store.put(record(B))
    out = io.StringIO()
    record_show(store=store, name="churn-model", commit="3F2C1", stdout=out)
    assert out.getvalue() == record(A).to_json()
    with pytest.raises(MlciError) as info:
        record_show(store=store, name="churn-model", commit="3f2", stdout=out)
    assert str(info.value) == (
        "'3f2' is not a commit sha: pass the full sha or at least its first 4 hex digits."
    )
    with pytest.raises(MlciError) as info:
        record_show(store=store, name="churn-model", commit="3f2c", stdout=out)
    assert str(info.value) == (
        "Commit 3f2c is ambiguous among the records of churn-model: 3f2c1ab00000, 3f2c20011111. "
        "Pass more digits."
    )


@pytest.mark.parametrize("commit", [C, "9e8d"])
def test_show_of_an_unknown_commit(store: DirStore, commit: str) -> None:
    store.put(record(A))
    with pytest.raises(RecordError) as info:
        record_show(store=store, name="churn-model", commit=commit, stdout=io.StringIO())
    assert str(info.value) == (
        f"No record for churn-model@{commit[:12]} in directory {store.path}. "
        "`mlci record list` shows the stored records."
    )


def test_list_is_a_table_newest_first(store: DirStore) -> None:
    store.put(record(A, created_at="2024-05-01T12:00:00Z"))
    store.put(record(C, created_at="2024-05-03T09:30:00Z", verdict="fail"))
    store.put(record(B, name="fraud-model", created_at="2024-05-02T00:00:00Z"))
    (store.path / "churn-model" / f"{B}.json").write_text("{broken")
    out = io.StringIO()
    assert record_list(store=store, name="churn-model", stdout=out) == 0
    assert out.getvalue().splitlines() == [
        "name         commit    created_at            verdict",
        "-----------  --------  --------------------  ---------",
        "churn-model  9e8d7c6   2024-05-03T09:30:00Z  fail",
        "churn-model  3f2c1ab   2024-05-01T12:00:00Z  pass",
        "churn-model  3f2c200   ?                     corrupt",
    ]
    out = io.StringIO()
    record_list(store=store, name=None, stdout=out)
    assert [line.split()[0] for line in out.getvalue().splitlines()[2:]] == [
        "churn-model",
        "fraud-model",
        "churn-model",
        "churn-model",
    ]


def test_list_names_a_record_from_a_newer_mlci_as_such(store: DirStore) -> None:
    store.put(record(A))
    doc = {**record(C).to_dict(), "schema_version": 99}
    (store.path / "churn-model" / f"{C}.json").write_text(json.dumps(doc))
    out = io.StringIO()
    assert record_list(store=store, name="churn-model", stdout=out) == 0
    assert out.getvalue().splitlines()[2:] == [
        "churn-model  3f2c1ab   2024-05-01T12:00:00Z  pass",
        "churn-model  9e8d7c6   ?                     newer mlci",
    ]


def test_list_of_an_empty_store(store: DirStore) -> None:
    out = io.StringIO()
    assert record_list(store=store, name="churn-model", stdout=out) == 0
    assert out.getvalue() == f"No records for churn-model in directory {store.path}.\n"


# -- record_command: what cli.py calls ----------------------------------------------------------


@pytest.mark.integration
def test_record_command_with_a_dir_store_and_nogit(tmp_path: Path) -> None:
    config = tmp_path / "mlci.yml"
    config.write_text(
        "version: 1\nname: churn-model\nbaseline:\n  store: {type: dir, path: recs}\n"
    )
    file = tmp_path / "record.json"
    file.write_text(record(A).to_json())
    out = io.StringIO()
    kw: dict[str, Any] = {
        "config_path": config,
        "record_file": None,
        "commit": None,
        "all_names": False,
        "environ": {},
        "stdout": out,
    }
    assert record_command("save", **{**kw, "record_file": file}) == 0
    assert record_command("show", **{**kw, "commit": "3f2c1ab"}) == 0
    assert out.getvalue().endswith(record(A).to_json())
    assert DirStore(tmp_path / "recs").get("churn-model", A) == record(A)
    with pytest.raises(MlciError, match=r"^Unknown commit 'HEAD': it is not in a git repository"):
        record_command("show", **kw)


@pytest.mark.integration
def test_record_command_shows_head_from_the_git_store(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "mlci.yml").write_text("version: 1\nname: churn-model\n")
    git(repo, "add", "mlci.yml")
    git(repo, "commit", "-q", "-m", "add mlci")
    head = git(repo, "rev-parse", "HEAD")
    GitBranchStore(repo).put(record(head))
    out = io.StringIO()
    code = record_command(
        "show",
        config_path=repo / "mlci.yml",
        record_file=None,
        commit=None,
        all_names=False,
        environ={},
        stdout=out,
    )
    assert code == 0
    assert out.getvalue() == record(head).to_json()
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.integration  # a real repository and its bare origin
@pytest.mark.parametrize(
    ("push", "environ", "pushed"),
    [(False, {}, False), (True, {}, True), (False, {"GITHUB_ACTIONS": "true"}, True)],
)
def test_save_pushes_only_with_push_or_in_github_actions(
    tmp_path: Path, push: bool, environ: dict[str, str], pushed: bool
) -> None:
    bare, repo = tmp_path / "origin.git", tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", str(bare))
    (repo / "mlci.yml").write_text("version: 1\nname: churn-model\n")
    file = tmp_path / "record.json"
    file.write_text(record(A).to_json())
    out = io.StringIO()

    code = record_command(
        "save",
        config_path=repo / "mlci.yml",
        record_file=file,
        commit=None,
        all_names=False,
        stdout=out,
        push=push,
        environ=environ,
    )

    assert code == 0
    assert (GitBranchStore(bare, remote=None).get("churn-model", A) is not None) is pushed
    assert GitBranchStore(repo).get("churn-model", A) == record(A)
    if pushed:
        assert out.getvalue() == (
            "Stored the record of churn-model@3f2c1ab (pass) in branch mlci-records of origin.\n"
        )
    else:
        assert out.getvalue().endswith("Not pushed to origin: pass --push to publish it.\n")
