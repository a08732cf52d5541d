"""Where records live: a branch of the repository (the default) or a directory.

Both stores keep one JSON file per (config name, commit); putting a record for the same commit
again replaces it (jobs get re-run). ``get`` returns None for a commit without a record and
raises :class:`~mlci.errors.RecordError` for a stored record that cannot be read.
"""

from __future__ import annotations

import builtins
import random
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mlci.bounded import MAX_RECORD_BYTES, DocumentError, read_text
from mlci.config import StoreConfig
from mlci.errors import ConfigError, GitError, RecordError
from mlci.files import write_atomic
from mlci.git import (
    NOT_A_REPO,
    GitAuth,
    current_branch,
    describe,
    first_line,
    missing_identity,
    resolve_commit,
    run_git,
    run_git_process,
)
from mlci.paths import leads_outside
from mlci.records.format import Record, corrupt_record

IDENTITY_DEFAULTS = {"name": "mlci", "email": "mlci@users.noreply.github.com"}
_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
# git's messages when another writer moved the branch first: worth fetching and trying again
_CONTENTION = (
    "[rejected]",
    "non-fast-forward",
    "fetch first",
    "failed to update ref",
    "cannot lock ref",
    "unable to lock",
    "incorrect old value",
    "stale info",
)


@dataclass(frozen=True)
class RecordRef:
    """A stored record's address."""

    name: str
    commit: str


class RecordStore(Protocol):
    def get(self, name: str, commit: str) -> Record | None: ...

    def put(self, record: Record) -> None: ...

    def list(self, name: str | None = None) -> builtins.list[RecordRef]: ...


def check_name(name: str) -> None:
    """Refuse a config name that cannot be a folder of the store."""
    if name in {"", ".", ".."} or any(c in name for c in "/\\") or not name.isprintable():
        raise RecordError(
            f"The config name {name!r} cannot name a folder of the record store: use a name "
            "without '/', '\\' or control characters (e.g. churn-model)."
        )


def _check_commit(commit: str) -> None:
    if not _SHA.fullmatch(commit):
        raise RecordError(f"{commit!r} is not a full commit sha (40 hex digits).")


def _check_identity(record: Record, name: str, commit: str, source: str) -> Record:
    """A record stored under ``name/commit`` must say it is for ``name/commit``."""
    if (record.name, record.commit) != (name, commit):
        why = f"it holds the record of {record.name}@{record.commit[:7]}"
        raise corrupt_record(source, why)
    return record


class DirStore:
    """Records as files ``<path>/<name>/<commit>.json``, each written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"DirStore({str(self.path)!r})"

    def __str__(self) -> str:
        return f"directory {self.path}"

    def _file(self, name: str, commit: str) -> Path:
        """The record's file; refused when a symlink in the store leads it outside."""
        check_name(name)
        _check_commit(commit)
        file = self.path / name / f"{commit}.json"
        target = leads_outside(file, self.path)
        if target is not None:
            raise RecordError(
                f"The record file {file} leads to {target}, outside the record store "
                f"{self.path}: remove the symlink (records are files of the store's folder)."
            )
        return file

    def get(self, name: str, commit: str) -> Record | None:
        file = self._file(name, commit)
        source = f"for {name}@{commit[:7]} in {file}"
        try:
            text = read_text(file, limit=MAX_RECORD_BYTES)
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, DocumentError) as exc:
            raise corrupt_record(source, f"cannot read it ({exc})") from None
        return _check_identity(Record.from_json(text, source=source), name, commit, source)

    def put(self, record: Record) -> None:
        file = self._file(record.name, record.commit)
        file.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(file, record.to_json(), durable=True)

    def list(self, name: str | None = None) -> builtins.list[RecordRef]:
        if name is not None:
            check_name(name)
        folders = [self.path / name] if name is not None else _subdirs(self.path)
        refs = [
            RecordRef(folder.name, file.stem)
            for folder in folders
            if folder.is_dir()
            for file in folder.glob("*.json")
            if _SHA.fullmatch(file.stem)
        ]
        return sorted(refs, key=lambda r: (r.name, r.commit))


def _subdirs(path: Path) -> builtins.list[Path]:
    return [p for p in path.iterdir() if p.is_dir()] if path.is_dir() else []


class _Contention(GitError):
    """Another writer moved the branch (or held its lock) first: fetch and try again."""


class GitBranchStore:
    """Records on branch ``branch`` of the repository, at ``<name>/<commit[:2]>/<commit>.json``.

    Written with git plumbing only (hash-object, a temporary index, commit-tree, update-ref or
    push): the user's working tree, index and HEAD are never touched. With a configured
    ``remote`` the branch is fetched to ``refs/mlci/remote-<branch>`` and read from there (and
    from a local branch ``refs/heads/<branch>``, when there is one, for commits the remote has no
    record of). With ``push`` the record is committed on top of the remote tip and pushed; a push
    that loses a race is retried on the new tip with jittered exponential backoff, so concurrent
    runs never lose a record. Without a remote, or with ``push=False``, a record is written to
    the local branch only. ``auth`` is given to the fetch and the push alone (see
    :class:`mlci.git.GitAuth`).
    """

    def __init__(
        self,
        repo: Path,
        branch: str = "mlci-records",
        remote: str | None = "origin",
        *,
        push: bool = True,
        auth: GitAuth | None = None,
        max_attempts: int = 8,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.repo = repo
        self.branch = branch
        self.remote = remote if remote and _has_remote(repo, remote) else None
        self.push = push and self.remote is not None
        self.auth = auth
        self.max_attempts = max_attempts
        self._sleep = sleep
        self._fetched = False
        self._remote_tip: str | None = None

    def __repr__(self) -> str:
        return (
            f"GitBranchStore({str(self.repo)!r}, branch={self.branch!r}, remote={self.remote!r}, "
            f"push={self.push!r})"
        )

    def __str__(self) -> str:
        if self.push:
            return f"branch {self.branch} of {self.remote}"
        return f"local branch {self.branch}"

    @property
    def local_ref(self) -> str:
        return f"refs/heads/{self.branch}"

    @property
    def tracking_ref(self) -> str:
        return f"refs/mlci/remote-{self.branch}"

    # -- reading -----------------------------------------------------------------------------

    def get(self, name: str, commit: str) -> Record | None:
        path = _record_path(name, commit)
        for ref in self._read_refs():
            blob = self._cat(f"{ref}:{path}")
            if blob is None:
                continue
            source = f"for {name}@{commit[:7]} in branch {self.branch}"
            try:
                text = blob.decode("utf-8")
            except UnicodeDecodeError:
                raise corrupt_record(source, "it is not UTF-8 text") from None
            return _check_identity(Record.from_json(text, source=source), name, commit, source)
        return None

    def list(self, name: str | None = None) -> builtins.list[RecordRef]:
        if name is not None:
            check_name(name)
        found: set[RecordRef] = set()
        for ref in self._read_refs():
            out = self._git(["ls-tree", "-r", "-z", "--name-only", ref])
            refs = [_parse_path(p) for p in out.split("\0") if p]
            found.update(r for r in refs if r is not None and (name is None or r.name == name))
        return sorted(found, key=lambda r: (r.name, r.commit))

    def _read_refs(self) -> builtins.list[str]:
        """The refs records are read from, the remote's first: the fetched remote branch and
        the local branch, those that exist."""
        refs = [self.tracking_ref] if self._remote_start() else []
        if resolve_commit(self.repo, self.local_ref):
            refs.append(self.local_ref)
        return refs

    def _remote_start(self) -> str | None:
        """The remote branch's tip (fetched once per store), or None without one."""
        if self.remote is None:
            return None
        if not self._fetched:
            self._fetch(self.remote)
        return self._remote_tip

    def _cat(self, object_name: str) -> bytes | None:
        """The content of a blob, or None when it does not exist."""
        proc = run_git_process(
            ["cat-file", "--batch"], cwd=self.repo, input=object_name.encode() + b"\n"
        )
        header, _, rest = proc.stdout.partition(b"\n")
        if proc.returncode == 0 and header.endswith(b" missing"):
            return None
        parts = header.split(b" ")
        if proc.returncode != 0 or len(parts) != 3:
            raise GitError(f"`git cat-file --batch` failed: {first_line(proc.stderr)}")
        return rest[: int(parts[2])] if parts[1] == b"blob" else None

    # -- writing -----------------------------------------------------------------------------

    def put(self, record: Record) -> None:
        path = _record_path(record.name, record.commit)
        blob = self._git(["hash-object", "-w", "--stdin"], input=record.to_json().encode()).strip()
        for attempt in range(1, self.max_attempts + 1):
            try:
                self._write_once(record, path, blob)
                return
            except _Contention:
                if attempt < self.max_attempts:
                    self._sleep(backoff_delay(attempt))
        raise GitError(
            f"Gave up storing the record for {record.name}@{record.commit[:7]} on {self} after "
            f"{self.max_attempts} attempts: other runs kept moving the branch. Re-run the job."
        )

    def _write_once(self, record: Record, path: str, blob: str) -> None:
        """Commit the record on top of the current tip and publish it; _Contention if beaten.

        Pushing, the tip is the remote's, fetched again. Locally, it is the local branch's, or
        for a new local branch the remote's (so pushing it later is a fast-forward).
        """
        if self.push and self.remote is not None:
            old, base = None, self._fetch(self.remote)
        else:
            old = self._local_tip()
            base = old or self._remote_start()
        tree = self._tree_with(base, path, blob)
        if base and tree == self._git(["rev-parse", f"{base}^{{tree}}"]).strip():
            return  # the identical record is already stored
        message = f"mlci: record {record.name} @ {record.commit[:7]}\n\nref: {record.ref}\n"
        args = ["commit-tree", "--no-gpg-sign", tree, "-m", message]
        new = self._git(
            [*args, *(["-p", base] if base else [])],
            env=missing_identity(self.repo, IDENTITY_DEFAULTS),
        ).strip()
        if self.push and self.remote is not None:
            self._push(self.remote, new, record)
        else:
            self._update_local(new, old)

    def _local_tip(self) -> str | None:
        if current_branch(self.repo) == self.branch:
            raise GitError(
                f"The records branch '{self.branch}' is checked out in {self.repo}; mlci writes it "
                "without a checkout. Check out another branch, or set baseline.store.branch."
            )
        return resolve_commit(self.repo, self.local_ref)

    def _tree_with(self, base: str | None, path: str, blob: str) -> str:
        """The tree of ``base`` with ``path`` set to ``blob``, built in a temporary index."""
        with tempfile.TemporaryDirectory(prefix="mlci-index-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            if base:
                self._git(["read-tree", f"{base}^{{tree}}"], env=env)
            self._git(["update-index", "--add", "--cacheinfo", f"100644,{blob},{path}"], env=env)
            return self._git(["write-tree"], env=env).strip()

    def _update_local(self, new: str, base: str | None) -> None:
        """Compare-and-swap the local branch from ``base`` (or absent) to ``new``."""
        args = ["update-ref", "-m", "mlci: store record", self.local_ref, new, base or ""]
        proc = run_git_process(args, cwd=self.repo, env=_C_LOCALE)
        if proc.returncode != 0:
            raise _error_for(args, proc.stderr, f"Could not update branch {self.branch}")

    def _fetch(self, remote: str) -> str | None:
        """Fetch the remote branch to the tracking ref; its tip, or None when it has none."""
        spec = f"+refs/heads/{self.branch}:{self.tracking_ref}"
        args = ["fetch", "--quiet", "--no-tags", remote, spec]
        proc = run_git_process(args, cwd=self.repo, env=_C_LOCALE, auth=self.auth)
        if proc.returncode == 0:
            tip = resolve_commit(self.repo, self.tracking_ref)
        elif b"couldn't find remote ref" in proc.stderr:
            if resolve_commit(self.repo, self.tracking_ref):  # deleted on the remote since
                self._git(["update-ref", "-d", self.tracking_ref])
            tip = None
        else:
            what = f"Could not fetch the records branch '{self.branch}' from {remote}"
            raise _error_for(args, proc.stderr, what)
        self._fetched, self._remote_tip = True, tip
        return tip

    def _push(self, remote: str, new: str, record: Record) -> None:
        args = ["push", "--quiet", "--no-verify", remote, f"{new}:{self.local_ref}"]
        proc = run_git_process(args, cwd=self.repo, env=_C_LOCALE, auth=self.auth)
        if proc.returncode != 0:
            what = f"Could not push the record for {record.name}@{record.commit[:7]} to {remote}"
            hint = "If the token lacks permission, give the job `permissions: contents: write`."
            raise _error_for(args, proc.stderr, what, hint)
        self._git(["update-ref", self.tracking_ref, new])
        self._remote_tip = new

    def _git(
        self,
        args: builtins.list[str],
        *,
        input: bytes | None = None,
        env: dict[str, str] | None = None,
    ) -> str:
        return run_git(args, cwd=self.repo, input=input, env=env)


_C_LOCALE = {"LC_ALL": "C"}  # git's messages in English, so contention can be recognised


def _has_remote(repo: Path, remote: str) -> bool:
    proc = run_git_process(["remote"], cwd=repo)
    if proc.returncode != 0:
        raise GitError(NOT_A_REPO.format(path=repo))
    return remote in proc.stdout.decode().split()


def _record_path(name: str, commit: str) -> str:
    check_name(name)
    _check_commit(commit)
    return f"{name}/{commit[:2]}/{commit}.json"


def _parse_path(path: str) -> RecordRef | None:
    parts = path.split("/")
    if len(parts) != 3 or not parts[2].endswith(".json"):
        return None
    commit = parts[2][: -len(".json")]
    if not _SHA.fullmatch(commit) or parts[1] != commit[:2]:
        return None
    return RecordRef(parts[0], commit)


def _error_for(args: builtins.list[str], stderr: bytes, what: str, hint: str = "") -> GitError:
    """_Contention when another writer got there first, else a GitError saying ``what``."""
    text = stderr.decode("utf-8", errors="replace")
    if any(marker in text for marker in _CONTENTION):
        return _Contention(f"`{describe(args)}` lost a race: {_reason(text)}")
    return GitError(f"{what}: {_reason(text).rstrip('.')}. {hint}".rstrip())


def _reason(stderr: str) -> str:
    """The informative line of git's output (not "To <url>" or hints)."""
    for line in stderr.splitlines():
        line = line.strip()
        if line.startswith(("fatal:", "error:", "!", "remote: error")):
            return line
    return first_line(stderr.encode())


def backoff_delay(attempt: int, *, base: float = 0.2, cap: float = 5.0) -> float:
    """Seconds to wait before retry ``attempt`` (1-based): exponential, capped, half jittered."""
    ceiling = min(cap, base * 2 ** (attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def open_store(
    cfg: StoreConfig, repo_root: Path | None, *, push: bool = True, auth: GitAuth | None = None
) -> RecordStore:
    """The store ``baseline.store`` describes (``cfg.path`` is already absolute).

    ``push``: a git branch store publishes what it stores to its remote (else it writes the
    local branch only); ``auth``: the credentials of its fetches and pushes.
    """
    if cfg.type == "dir":
        if cfg.path is None:
            raise ConfigError(
                "baseline.store.path is required when baseline.store.type is 'dir' "
                "(e.g. path: .mlci/records)."
            )
        return DirStore(cfg.path)
    if repo_root is None:
        raise GitError(
            "The record store is a git branch, but there is no git repository here. Run mlci in "
            "a git checkout (actions/checkout with fetch-depth: 0), or set "
            "baseline.store: {type: dir, path: ...}."
        )
    return GitBranchStore(repo_root, cfg.branch, cfg.remote or None, push=push, auth=auth)
