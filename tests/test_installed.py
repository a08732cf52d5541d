"""What an installed mlci knows of itself: the commit pip recorded for a git install, the one
setuptools-scm wrote at build time, and how the workflows pin the action."""

from __future__ import annotations

import json

from mlci.installed import PLACEHOLDER_SHA, action_pin, commit, is_release

SHA = "3ad5222e1c04b8f1e2d0a9c7b6a5f4e3d2c1b0a9"


def git_url(sha: object = SHA, vcs: str = "git") -> str:
    return json.dumps(
        {"url": "https://github.com/mlci-dev/mlci", "vcs_info": {"vcs": vcs, "commit_id": sha}}
    )


def test_a_git_install_knows_the_commit_pip_resolved() -> None:
    assert commit(source_tree=False, direct_url=git_url(), built=(None, False)) == SHA


def test_an_editable_install_runs_the_tree_and_knows_no_commit() -> None:
    editable = json.dumps({"url": "file:///src/mlci", "dir_info": {"editable": True}})
    assert commit(source_tree=False, direct_url=editable, built=("g" + SHA, False)) is None


def test_a_built_wheel_knows_the_commit_it_was_built_from_unless_dirty() -> None:
    assert commit(source_tree=False, direct_url="", built=("g" + SHA, False)) == SHA
    assert commit(source_tree=False, direct_url="", built=("g" + SHA, True)) is None
    assert (
        commit(source_tree=False, direct_url="", built=("g3ad5222", False)) is None
    )  # abbreviated: not a pin


def test_malformed_metadata_means_unknown() -> None:
    for text in ("{", "[]", git_url(sha=42), git_url(vcs="hg"), git_url(sha="v0.1.0")):
        assert commit(source_tree=False, direct_url=text, built=(None, False)) is None


def test_the_pin_names_the_release_or_keeps_the_placeholder() -> None:
    pin = action_pin(sha=SHA, installed_version="0.1.0")
    assert (pin.uses(), pin.known) == (f"mlci-dev/mlci@{SHA} # v0.1.0", True)
    assert action_pin(sha=SHA, installed_version="0.1.1.dev3").uses().endswith("# 0.1.1.dev3")
    assert is_release("0.1.0") and not is_release("0.1.1.dev3") and not is_release("0.0+unknown")


def test_an_unknown_commit_keeps_the_placeholder(monkeypatch) -> None:
    import mlci.installed

    monkeypatch.setattr(mlci.installed, "commit", lambda: None)
    pin = action_pin(installed_version="0.1.0")
    assert (pin.sha, pin.known) == (PLACEHOLDER_SHA, False)


def test_a_package_run_from_a_git_checkout_knows_no_commit() -> None:
    """A checkout's mlci/ runs whatever the tree holds, whatever a stale build wrote."""
    assert commit(source_tree=True, direct_url=git_url(), built=("g" + SHA, False)) is None
    assert commit(source_tree=True, direct_url="", built=("g" + SHA, False)) is None
