from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mlci.errors import GitError
from mlci.git import (
    GitAuth,
    changed_files,
    current_branch,
    first_parent_ancestors,
    head_commit,
    is_shallow,
    merge_base,
    repo_root,
    resolve_commit,
    run_git,
    run_git_process,
)
from tests.helpers.git import IDENTITY, commit, git

pytestmark = pytest.mark.integration  # mlci.git against real repositories


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    return path


def test_run_git_returns_stdout_and_names_the_failed_command(repo: Path) -> None:
    assert run_git(["rev-parse", "--is-inside-work-tree"], cwd=repo) == "true\n"
    with pytest.raises(GitError) as info:
        run_git(["rev-parse", "--verify", "nope"], cwd=repo)
    assert (
        str(info.value) == "`git rev-parse --verify nope` failed: fatal: Needed a single revision"
    )


def test_run_git_passes_input_and_extra_environment(repo: Path) -> None:
    sha = run_git(["hash-object", "--stdin"], cwd=repo, input=b"hello\n").strip()
    assert (
        sha == "ce013625030ba8dba906f756967f9e9ca394464a"
    )  # `echo hello | git hash-object --stdin`
    assert run_git(["var", "GIT_AUTHOR_IDENT"], cwd=repo, env=IDENTITY).startswith(
        "Test Author <author@example.invalid> "
    )


def test_repo_root_from_a_subfolder_and_a_file(repo: Path) -> None:
    sub = repo / "a" / "b"
    sub.mkdir(parents=True)
    (sub / "f.txt").write_text("x")
    assert repo_root(sub) == repo.resolve()
    assert repo_root(sub / "f.txt") == repo.resolve()


def test_repo_root_outside_a_repository(tmp_path: Path) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    with pytest.raises(GitError) as info:
        repo_root(outside)
    assert str(info.value) == (
        f"{outside} is not inside a git repository. mlci compares commits: run it in a git "
        "checkout (actions/checkout with fetch-depth: 0)."
    )
    with pytest.raises(GitError, match="is not inside a git repository"):
        repo_root(tmp_path / "missing" / "mlci.yml")


def test_head_commit_and_current_branch(repo: Path) -> None:
    with pytest.raises(GitError) as info:
        head_commit(repo)
    assert (
        str(info.value)
        == f"The git repository at {repo} has no commits yet: commit something first."
    )
    first = commit(repo, "one")
    assert head_commit(repo) == first and len(first) == 40
    assert current_branch(repo) == "main"
    git(repo, "checkout", "-q", "-b", "feature/x")
    assert current_branch(repo) == "feature/x"
    git(repo, "checkout", "-q", "--detach")
    assert current_branch(repo) is None
    assert head_commit(repo) == first


def test_resolve_commit(repo: Path) -> None:
    first = commit(repo, "one")
    second = commit(repo, "two")
    git(repo, "tag", "-a", "v1", "-m", "annotated", first)
    assert resolve_commit(repo, "HEAD") == second
    assert resolve_commit(repo, "HEAD~1") == first
    assert resolve_commit(repo, first[:7]) == first
    assert resolve_commit(repo, "v1") == first  # the tagged commit, not the tag object
    assert resolve_commit(repo, "refs/heads/main") == second
    assert resolve_commit(repo, "no-such-branch") is None
    assert resolve_commit(repo, "--all") is None
    tree = git(repo, "rev-parse", "HEAD^{tree}")
    assert resolve_commit(repo, tree) is None  # a tree is not a commit


def test_merge_base(repo: Path) -> None:
    base = commit(repo, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    feature = commit(repo, "feature")
    git(repo, "checkout", "-q", "main")
    main = commit(repo, "main moved")
    assert merge_base(repo, feature, main) == base
    assert merge_base(repo, base, main) == base
    git(repo, "checkout", "-q", "--orphan", "island")
    island = commit(repo, "island")
    assert merge_base(repo, island, main) is None
    with pytest.raises(GitError, match=r"^`git merge-base nope .*` failed: fatal: Not a valid"):
        merge_base(repo, "nope", main)


def test_first_parent_ancestors(repo: Path) -> None:
    c = [commit(repo, f"c{i}") for i in range(4)]
    git(repo, "checkout", "-q", "-b", "side", c[1])
    side = commit(repo, "side")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge side", "side")
    merge = git(repo, "rev-parse", "HEAD")
    assert first_parent_ancestors(repo, merge, 10) == [merge, c[3], c[2], c[1], c[0]]
    assert first_parent_ancestors(repo, merge, 2) == [merge, c[3], c[2]]
    assert first_parent_ancestors(repo, merge, 0) == [merge]
    assert side not in first_parent_ancestors(repo, merge, 10)


def test_is_shallow(repo: Path, tmp_path: Path) -> None:
    for i in range(3):
        commit(repo, f"c{i}")
    assert not is_shallow(repo)
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    assert is_shallow(shallow)
    assert first_parent_ancestors(shallow, "HEAD", 10) == [head_commit(shallow)]


# -- credentials for mlci's own git calls ---------------------------------------------------------

TOKEN = "tok-git-5e1a93c07d"


@pytest.fixture
def served(tmp_path: Path, repo: Path, serve_git: Any) -> tuple[Any, str]:
    """A private repository over HTTP (every request needs TOKEN) with one commit on main."""
    commit(repo, "first")
    bare = tmp_path / "served" / "widgets.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(bare)], check=True)
    server = serve_git(tmp_path / "served", tokens={TOKEN: "write"})
    return server, server.repo_url("widgets.git")


def test_auth_reaches_only_the_git_process_it_is_given_to(
    repo: Path, served: tuple[Any, str]
) -> None:
    server, url = served
    auth = GitAuth(server.url, TOKEN)
    before = dict(os.environ)

    with_auth = run_git_process(["ls-remote", url, "refs/heads/main"], cwd=repo, auth=auth)
    without = run_git_process(["ls-remote", url, "refs/heads/main"], cwd=repo)

    assert with_auth.returncode == 0, with_auth.stderr
    assert with_auth.stdout.decode().split() == [git(repo, "rev-parse", "HEAD"), "refs/heads/main"]
    assert without.returncode != 0
    assert dict(os.environ) == before, "nothing is added to mlci's own environment"
    assert {s.token for s in server.seen} == {TOKEN, None}
    assert TOKEN not in repr(auth)


def test_auth_replaces_a_header_the_checkout_persisted(repo: Path, served: tuple[Any, str]) -> None:
    server, url = served
    stale = base64.b64encode(b"x-access-token:expired-token-0000").decode()
    git(repo, "config", f"http.{server.url}/.extraheader", f"AUTHORIZATION: basic {stale}")

    proc = run_git_process(["ls-remote", url], cwd=repo, auth=GitAuth(server.url + "/", TOKEN))

    assert proc.returncode == 0, proc.stderr
    assert {s.token for s in server.seen} == {TOKEN}, "only mlci's header was sent"


def test_auth_entries_follow_the_callers_own_git_config_entries() -> None:
    auth = GitAuth("https://github.com", "t0k3n-abcdef")
    env = auth.config_env({"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.x"})
    basic = base64.b64encode(b"x-access-token:t0k3n-abcdef").decode()
    assert env == {
        "GIT_CONFIG_COUNT": "3",
        "GIT_CONFIG_KEY_1": "http.https://github.com/.extraheader",
        "GIT_CONFIG_VALUE_1": "",
        "GIT_CONFIG_KEY_2": "http.https://github.com/.extraheader",
        "GIT_CONFIG_VALUE_2": f"AUTHORIZATION: basic {basic}",
    }


def test_changed_files_are_the_tracked_files_that_differ_from_the_commit(repo: Path) -> None:
    (repo / "a.txt").write_text("a\n")
    (repo / "b.txt").write_text("b\n")
    git(repo, "add", "-A")
    sha = commit(repo, "two files")
    assert changed_files(repo, sha) == []
    (repo / "untracked.txt").write_text("not in git\n")
    assert changed_files(repo, sha) == []
    (repo / "a.txt").write_text("changed\n")
    (repo / "b.txt").unlink()
    (repo / "staged.txt").write_text("new\n")
    git(repo, "add", "staged.txt")
    assert changed_files(repo, sha) == ["a.txt", "b.txt", "staged.txt"]
    git(repo, "checkout", "-q", "--", "a.txt", "b.txt")
    git(repo, "rm", "-q", "--cached", "staged.txt")
    assert changed_files(repo, sha) == []
    first = git(repo, "rev-parse", "HEAD~0")
    (repo / "a.txt").write_text("third\n")
    git(repo, "commit", "-q", "-am", "third")
    assert changed_files(repo, first) == ["a.txt"], "compared with the commit, not with HEAD"
