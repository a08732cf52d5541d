"""Thin helpers over the ``git`` command line (no GitPython): the few questions mlci asks of a repo.

Every failure becomes a :class:`~mlci.errors.GitError` naming the git command and the first line
of what git said, so it reaches the user as one readable line.
"""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mlci.errors import GitError

NOT_A_REPO = (
    "{path} is not inside a git repository. mlci compares commits: run it in a git checkout "
    "(actions/checkout with fetch-depth: 0)."
)


@dataclass(frozen=True)
class GitAuth:
    """HTTP credentials for mlci's own fetches and pushes (the records branch), nothing else.

    They reach git only in the environment of the one ``git`` process that needs them (see
    :func:`run_git_process`), as ``http.<server_url>/.extraheader`` config entries: first an empty
    value, which drops any header a checkout persisted for that server, then the token's
    ``AUTHORIZATION: basic`` header. Never in ``os.environ``, on a command line or in a config
    file, so no other process mlci starts inherits them.
    """

    server_url: str
    token: str = field(repr=False)

    @property
    def basic(self) -> str:
        """The token in git's basic-auth form (what a log would show if it leaked)."""
        return base64.b64encode(f"x-access-token:{self.token}".encode()).decode()

    def config_env(self, base: Mapping[str, str]) -> dict[str, str]:
        """``GIT_CONFIG_*`` variables adding the header after any entries ``base`` already has."""
        key = f"http.{self.server_url.rstrip('/')}/.extraheader"
        entries = [(key, ""), (key, f"AUTHORIZATION: basic {self.basic}")]
        count = base.get("GIT_CONFIG_COUNT", "")
        start = int(count) if count.isdigit() else 0
        env = {"GIT_CONFIG_COUNT": str(start + len(entries))}
        for offset, (name, value) in enumerate(entries):
            env[f"GIT_CONFIG_KEY_{start + offset}"] = name
            env[f"GIT_CONFIG_VALUE_{start + offset}"] = value
        return env


def run_git_process(
    args: Sequence[str],
    *,
    cwd: Path,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    auth: GitAuth | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git <args>`` and return the finished process, whatever its exit code.

    ``env`` is added on top of ``os.environ``; ``auth`` adds its credentials to this one git
    process only. Credential prompts are disabled: a CI job must never hang waiting for a
    password.
    """
    full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})}
    if auth is not None:
        full_env.update(auth.config_env(full_env))
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, input=input, env=full_env, capture_output=True, check=False
        )
    except FileNotFoundError as exc:
        if not Path(cwd).is_dir():
            raise GitError(f"{cwd} is not a directory: cannot run git there.") from exc
        msg = "git is not installed or not on PATH: mlci needs git to compare commits."
        raise GitError(msg) from exc


def run_git(
    args: Sequence[str],
    *,
    cwd: Path,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    auth: GitAuth | None = None,
) -> str:
    """Run ``git <args>`` in ``cwd`` and return its standard output (UTF-8, unstripped).

    Raises :class:`GitError` ("`git <args>` failed: <first line of stderr>") on a non-zero exit.
    """
    proc = run_git_process(args, cwd=cwd, input=input, env=env, auth=auth)
    if proc.returncode != 0:
        raise GitError(f"`{describe(args)}` failed: {first_line(proc.stderr)}")
    return proc.stdout.decode("utf-8", errors="replace")


def describe(args: Sequence[str]) -> str:
    """The git command as a user would type it (long arguments shortened)."""
    shown = [a if len(a) <= 60 else a[:57] + "..." for a in args]
    return " ".join(["git", *shown])


def first_line(stderr: bytes) -> str:
    """The first non-empty line git wrote to stderr (or a placeholder)."""
    for line in stderr.decode("utf-8", errors="replace").splitlines():
        if line.strip():
            return line.strip()
    return "no message from git"


def _try_git(args: Sequence[str], *, cwd: Path) -> str | None:
    """Stripped stdout of ``git <args>``, or None when git exits non-zero."""
    proc = run_git_process(args, cwd=cwd)
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8", errors="replace").strip()


def repo_root(path: Path) -> Path:
    """The top-level directory of the git work tree containing ``path``."""
    start = path if path.is_dir() else path.parent
    if not start.is_dir():
        raise GitError(NOT_A_REPO.format(path=path))
    top = _try_git(["rev-parse", "--show-toplevel"], cwd=start)
    if not top:
        raise GitError(NOT_A_REPO.format(path=path))
    return Path(top)


def head_commit(repo: Path) -> str:
    """The full sha of HEAD."""
    sha = resolve_commit(repo, "HEAD")
    if sha is None:
        raise GitError(f"The git repository at {repo} has no commits yet: commit something first.")
    return sha


def current_branch(repo: Path) -> str | None:
    """The short name of the checked-out branch, or None when HEAD is detached."""
    return _try_git(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd=repo) or None


def resolve_commit(repo: Path, rev: str) -> str | None:
    """The full sha of the commit ``rev`` names, or None when it names no commit."""
    if rev.startswith("-"):
        return None
    return _try_git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd=repo) or None


def merge_base(repo: Path, a: str, b: str) -> str | None:
    """The best common ancestor of ``a`` and ``b``, or None when they share no history.

    Raises :class:`GitError` when either side is not a commit.
    """
    proc = run_git_process(["merge-base", a, b], cwd=repo)
    if proc.returncode == 1 and not proc.stderr.strip():
        return None
    if proc.returncode != 0:
        raise GitError(f"`{describe(['merge-base', a, b])}` failed: {first_line(proc.stderr)}")
    return proc.stdout.decode().strip()


def file_at(repo: Path, commit: str, path: str) -> bytes | None:
    """The content of ``path`` (relative to the repository root, with ``/``) at ``commit``, or
    None when that commit has no such file."""
    proc = run_git_process(["cat-file", "blob", f"{commit}:{path}"], cwd=repo)
    return proc.stdout if proc.returncode == 0 else None


def first_parent_ancestors(repo: Path, commit: str, max_depth: int) -> list[str]:
    """``commit`` followed by up to ``max_depth`` of its first-parent ancestors, nearest first.

    The list is shorter when history (or a shallow clone) ends earlier.
    """
    out = run_git(
        ["rev-list", "--first-parent", f"--max-count={max_depth + 1}", commit, "--"], cwd=repo
    )
    return out.split()


def is_shallow(repo: Path) -> bool:
    """True for a shallow clone (history cut off, e.g. actions/checkout's default depth 1)."""
    return run_git(["rev-parse", "--is-shallow-repository"], cwd=repo).strip() == "true"


def changed_files(repo: Path, commit: str) -> list[str]:
    """Tracked files whose working-tree content differs from ``commit`` (staged or not, added or
    deleted); untracked files do not count. Empty when the checkout is exactly that commit."""
    out = run_git(["diff", "--name-only", "--no-renames", "-z", commit, "--"], cwd=repo)
    return [name for name in out.split("\0") if name]


def merge_base_with_branch(repo: Path, commit: str, branch: str) -> str | None:
    """The merge base of ``commit`` with ``branch`` (the remote-tracking ``origin/<branch>``
    first, else the local branch), or None when neither exists or they share no history."""
    for ref in (f"refs/remotes/origin/{branch}", f"refs/heads/{branch}"):
        tip = resolve_commit(repo, ref)
        if tip is not None:
            return merge_base(repo, commit, tip)
    return None


def is_ancestor(repo: Path, ancestor: str, commit: str) -> bool:
    """Whether ``ancestor`` is ``commit`` or one of its ancestors."""
    return (
        run_git_process(["merge-base", "--is-ancestor", ancestor, commit], cwd=repo).returncode == 0
    )


def tags_merged_into(repo: Path, commit: str) -> list[str]:
    """The tags whose commits are ancestors of ``commit`` (or it), newest first."""
    out = run_git(
        [
            "for-each-ref",
            f"--merged={commit}",
            "--sort=-creatordate",
            "--format=%(refname:strip=2)",
            "refs/tags",
        ],
        cwd=repo,
    )
    return out.split()


def remote_head_branch(repo: Path, remote: str = "origin") -> str | None:
    """The branch ``remote``'s HEAD points at (its default branch), or None when the clone does
    not know it."""
    ref = _try_git(["symbolic-ref", "--quiet", "--short", f"refs/remotes/{remote}/HEAD"], cwd=repo)
    return None if ref is None else ref.removeprefix(f"{remote}/")


def extraheader_keys(repo: Path) -> list[str]:
    """The ``http.<url>.extraheader`` keys of the repository's git config (a checkout's
    persisted credentials), sorted."""
    proc = run_git_process(
        ["config", "--name-only", "--get-regexp", r"^http\..*\.extraheader$"], cwd=repo
    )
    if proc.returncode != 0:
        return []
    return sorted(set(proc.stdout.decode("utf-8", errors="replace").split()))


def missing_identity(repo: Path, defaults: Mapping[str, str]) -> dict[str, str]:
    """``GIT_AUTHOR_*`` and ``GIT_COMMITTER_*`` variables giving ``defaults`` (``name``,
    ``email``) where neither the process environment nor the repository's config has one, so
    a commit git makes here never fails for want of an identity."""
    proc = run_git_process(
        ["config", "--get-regexp", r"^(user|author|committer)\.(name|email)$"], cwd=repo
    )
    configured = {line.split(" ")[0].lower() for line in proc.stdout.decode().splitlines()}
    env: dict[str, str] = {}
    for role in ("author", "committer"):
        for key, default in defaults.items():
            var = f"GIT_{role}_{key}".upper()
            if var in os.environ or (key == "email" and "EMAIL" in os.environ):
                continue  # git reads this process's environment (see run_git_process)
            if not {f"user.{key}", f"{role}.{key}"} & configured:
                env[var] = default
    return env
