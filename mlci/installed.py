"""What this installed mlci is: its version, the commit it was built from, and how a workflow
pins the action to that commit.

The commit is known when pip installed mlci from a git URL (pip records the resolved commit in
the distribution's ``direct_url.json``), or when the package was built from a clean git checkout
or a GitHub tarball (setuptools-scm writes it into ``mlci/_version.py``: a wheel from the
package index built by the release workflow knows its tag's commit). Otherwise it is unknown,
and the workflows keep a placeholder for the user to replace.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from mlci import __version__

ACTION = "mlci-dev/mlci"
PLACEHOLDER_SHA = "0" * 40
_SHA = re.compile(r"[0-9a-f]{40}")
_RELEASE = re.compile(r"\d+\.\d+\.\d+")


@dataclass(frozen=True)
class ActionPin:
    """``uses: mlci-dev/mlci@<sha> # <label>``: the commit (or the placeholder) and its label."""

    sha: str
    label: str
    known: bool

    def uses(self) -> str:
        return f"{ACTION}@{self.sha} # {self.label}"


def version() -> str:
    """The installed version: ``0.1.0`` on a release tag, ``0.1.1.devN`` after it."""
    return __version__


def is_release(text: str) -> bool:
    """Whether ``text`` is a plain release version (``1.2.3``), not a dev or unknown one."""
    return _RELEASE.fullmatch(text) is not None


def commit(
    *,
    direct_url: str | None = None,
    built: tuple[str | None, bool] | None = None,
    source_tree: bool | None = None,
) -> str | None:
    """The full commit SHA this mlci was installed or built from, or None when unknown.

    ``direct_url`` (the text of the distribution's ``direct_url.json``), ``built`` (the
    ``node`` and ``dirty`` of ``mlci/_version.py``) and ``source_tree`` (whether the running
    package sits in a git working tree) default to the installed ones.
    """
    in_tree = _in_source_tree() if source_tree is None else source_tree
    if in_tree:  # run from a checkout (editable, or its folder on sys.path): whatever it holds now
        return None
    text = _direct_url() if direct_url is None else direct_url
    found, editable = _from_direct_url(text)
    if found is not None or editable:  # an editable install runs whatever the tree holds now
        return found
    node, dirty = _built() if built is None else built
    sha = (node or "").removeprefix("g")
    return sha if _SHA.fullmatch(sha) and not dirty else None


def action_pin(*, sha: str | None = None, installed_version: str | None = None) -> ActionPin:
    """How the workflows pin the action: the installed commit with its version as the label
    (``# v0.1.0``; ``# 0.1.1.dev3`` between releases), or the placeholder when unknown."""
    found = commit() if sha is None else sha
    text = version() if installed_version is None else installed_version
    label = f"v{text}" if is_release(text) else text
    if found is None:
        return ActionPin(PLACEHOLDER_SHA, "v0.1.0", known=False)
    return ActionPin(found, label, known=True)


def describe() -> str:
    """The ``mlci --version`` line: ``mlci 0.1.0 (commit 3ad5222e1c04)`` when it is known."""
    found = commit()
    return f"mlci {version()}" + (f" (commit {found[:12]})" if found else "")


def _in_source_tree() -> bool:
    """Whether the running package is a git working tree's ``mlci/`` (a ``.git`` folder, or the
    ``.git`` file of a worktree, beside it): its metadata may then be a stale build's."""
    return (Path(__file__).resolve().parent.parent / ".git").exists()


def _direct_url() -> str:
    from importlib import metadata  # ~20 ms to import: only for `mlci --version` and init

    try:
        return metadata.distribution("mlci").read_text("direct_url.json") or ""
    except metadata.PackageNotFoundError:
        return ""


def _from_direct_url(text: str) -> tuple[str | None, bool]:
    """The commit pip resolved for a ``git+URL@REF`` install (PEP 610), else None; and whether
    the install is editable."""
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return None, False
    if not isinstance(data, dict):
        return None, False
    vcs, directory = data.get("vcs_info"), data.get("dir_info")
    editable = isinstance(directory, dict) and directory.get("editable") is True
    sha = vcs.get("commit_id") if isinstance(vcs, dict) and vcs.get("vcs") == "git" else None
    return (sha if isinstance(sha, str) and _SHA.fullmatch(sha) else None), editable


def _built() -> tuple[str | None, bool]:
    try:
        from mlci import _version  # written at build time, not in git
    except ImportError:
        return None, False
    node = getattr(_version, "node", None)
    return (node if isinstance(node, str) else None), bool(getattr(_version, "dirty", False))
