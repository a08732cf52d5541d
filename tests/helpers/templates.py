"""What the end-to-end tests of the workflow templates share: the GitHub API fake run as a process,
offline package sources for the action's install, the fixture project and a runner of the
templates (used by test_templates_e2e.py and test_release_e2e.py; fixtures in conftest.py).

The fixture project (:func:`write_project`) has a data CSV with a few checks, a predictions CSV
of a binary classifier and one gate, ``roc_auc`` ``max_regression``.

Speed: the action installs mlci with scripts/install-mlci. The session fills a wheel directory
once per machine (``~/.cache/mlci/e2e-wheels/py<X.Y>-<platform>``: the only download, from PyPI),
installs from it into a package cache and seeds the actions/cache stand-in with that
(:func:`package_sources`), so the action's install restores the cache (1-3 s). Templates with
``cache: 'false'`` (fork-comment.yml, release.yml) install from the wheel directory, handed to uv
and pip as a runner's local package mirror would be (``UV_FIND_LINKS``, ``PIP_FIND_LINKS``,
offline; 4-8 s). An act run of a template takes 7-10 s on a quiet 2-core machine and up to 25 s
on a busy one, most of it mlci importing the scientific stack into the job's fresh environment
(without bytecode: Python compiles it) and drawing report.html's figures.
"""

from __future__ import annotations

import base64
import json
import os
import platform
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tests.helpers.act_harness import (
    PROJECT_ACTION,
    PROJECT_ROOT,
    ActRun,
    ActRunner,
    FixtureRepo,
    git,
    host_python,
    seed_cache,
)

TEMPLATES = PROJECT_ROOT / "workflows-templates"
FAKE_SERVER = PROJECT_ROOT / "tests" / "helpers" / "fake_github.py"
REPO = "acme/widgets"
FORK = "contributor/widgets"
NAME = "widget-classifier"
CONTEXT = f"mlci/{NAME}"
MARKER = f"<!-- mlci:report name={NAME} -->"
BOT = "github-actions[bot]"
# Long, so that act's masking of secrets cannot hide anything by accident ("***" everywhere).
WRITE_TOKEN = "ghs_e2eWriteTokenQ7vK2mZ9xR4tB8nL3pW6yC1dF5hJ0s"
READ_TOKEN = "ghs_e2eReadOnlyTokenN3bV8cX1zA6sD4fG7hJ2kL9qW5e"
TOKENS = {
    WRITE_TOKEN: {"login": BOT, "type": "installation", "permission": "write"},
    READ_TOKEN: {"login": BOT, "type": "installation", "permission": "read"},
}
RUN_TIMEOUT = 300.0
ROWS = 400
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the fake is local


# ---------------------------------------------------------------------------------------------
# the GitHub API fake, as a separate process


class FakeGitHubProcess:
    """tests/helpers/fake_github.py started as a process; driven through /_fake/ over HTTP."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        tokens, port_file = directory / "tokens.json", directory / "port"
        tokens.write_text(json.dumps(TOKENS))
        self.log = (directory / "fake.log").open("w")
        args = ["--port", "0", "--port-file", str(port_file), "--token-file", str(tokens)]
        self.process = subprocess.Popen(
            [sys.executable, str(FAKE_SERVER), *args],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while not port_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the GitHub API fake did not start; see {self.log.name}")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{port_file.read_text().strip()}"

    def control(self, path: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"{self.url}/_fake/{path}", data=data, method="GET" if payload is None else "POST"
        )
        with NO_PROXY.open(request, timeout=10) as response:
            return json.loads(response.read())

    def state(self) -> dict[str, Any]:
        return dict(self.control("state"))

    def reset(self) -> None:
        self.control("reset", {})

    def add_pull(
        self, number: int, head_sha: str, *, head_repo: str = REPO, head_ref: str = "feature"
    ) -> None:
        self.control(
            "pulls",
            {
                "repo": REPO,
                "number": number,
                "head_sha": head_sha,
                "head_repo": head_repo,
                "head_ref": head_ref,
                "base_ref": "main",
            },
        )

    def add_faults(self, faults: list[dict[str, Any]]) -> None:
        self.control("faults", faults)

    def add_ref(self, ref: str, sha: str) -> None:
        """Make a tag or branch of REPO known (deployments of an unknown ref get 422)."""
        self.control("refs", {"repo": REPO, "ref": ref, "sha": sha})

    def api(self, method: str, path: str, payload: Any = None, *, token: str = WRITE_TOKEN) -> Any:
        """A call to the fake's GitHub API as a client with ``token`` makes it."""
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Authorization", f"token {token}")
        request.add_header("Accept", "application/vnd.github+json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with NO_PROXY.open(request, timeout=10) as response:
            return json.loads(response.read())

    def download(self, url: str) -> bytes:
        """What a browser gets from ``url`` (a release asset's browser_download_url)."""
        with NO_PROXY.open(url, timeout=10) as response:
            return bytes(response.read())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def comments_on(state: Mapping[str, Any], number: int) -> list[dict[str, Any]]:
    return [c for c in state["comments"] if c["repo"] == REPO and c["number"] == number]


def statuses_on(state: Mapping[str, Any], sha: str) -> list[tuple[str, str]]:
    """(state, context) of every status set on ``sha``, oldest first."""
    return [(s["state"], s["context"]) for s in state["statuses"] if s["sha"] == sha]


def requests_to(state: Mapping[str, Any], method: str, fragment: str) -> list[int | None]:
    """The answer codes of the API requests ``method`` whose path contains ``fragment``."""
    return [
        r["status"] for r in state["requests"] if r["method"] == method and fragment in r["path"]
    ]


# ---------------------------------------------------------------------------------------------
# installing mlci inside act runs without the network


@dataclass(frozen=True)
class PackageSources:
    """Where the action's install finds packages: the seeded cache store and the wheel dir."""

    cache_store: Path
    wheelhouse: Path

    @property
    def env(self) -> dict[str, str]:
        """The runner's local package mirror, for installs that miss the cache (cache: 'false')."""
        wheels = str(self.wheelhouse)
        return {
            "UV_FIND_LINKS": wheels,
            "UV_OFFLINE": "1",
            "PIP_FIND_LINKS": wheels,
            "PIP_NO_INDEX": "1",
        }


def python_info(python: Path) -> tuple[str, str]:
    """(``3.11``, ``linux-x86_64``) of an interpreter."""
    code = "import sys, sysconfig; print('%d.%d' % sys.version_info[:2], sysconfig.get_platform())"
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    version, plat = done.stdout.split()
    return version, plat


def fill_wheelhouse(python: Path, wheelhouse: Path, locks: list[Path], work: Path) -> None:
    """Download the locked wheels for ``python`` into ``wheelhouse``, unless all are there.

    Uses ``python``'s pip, or a throwaway venv's when it has none (as scripts/install-mlci does).
    """
    pip = [str(python), "-m", "pip"]
    if subprocess.run([*pip, "--version"], capture_output=True, check=False).returncode != 0:
        subprocess.run([str(python), "-m", "venv", str(work / "pip")], check=True)
        pip = [str(work / "pip" / "bin" / "python"), "-m", "pip"]
    command = [
        *pip,
        "download",
        "--quiet",
        "--disable-pip-version-check",
        "--only-binary",
        ":all:",
        "--no-deps",
        "--require-hashes",
        "-d",
        str(wheelhouse),
    ]
    for lock in locks:
        command += ["-r", str(lock)]
    local = [*command, "--no-index", "--find-links", str(wheelhouse)]
    if subprocess.run(local, capture_output=True, check=False).returncode != 0:
        subprocess.run(command, capture_output=True, check=True, timeout=900)


def runner_labels() -> tuple[str, str]:
    """RUNNER_OS and RUNNER_ARCH as act reports them on this host."""
    system = {"Linux": "Linux", "Darwin": "macOS"}[platform.system()]
    arch = {"x86_64": "X64", "amd64": "X64", "aarch64": "ARM64", "arm64": "ARM64"}
    return system, arch[platform.machine().lower()]


def package_sources(project_action: Path, work: Path, cache_store: Path) -> PackageSources:
    """A wheel dir for the host python (filled once per machine) and a seeded cache store."""
    python = host_python()
    version, plat = python_info(python)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    wheelhouse = base / "mlci" / "e2e-wheels" / f"py{version}-{plat}"
    wheelhouse.mkdir(parents=True, exist_ok=True)
    locks = [project_action / "requirements" / f"{name}.lock" for name in ("action", "bootstrap")]
    fill_wheelhouse(python, wheelhouse, locks, work)
    sources = PackageSources(cache_store, wheelhouse)
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    subprocess.run(
        [
            "bash",
            str(project_action / "scripts" / "install-mlci"),
            str(python),
            str(work / "venv"),
            str(work / "cache"),
        ],
        env={**environ, **sources.env},
        capture_output=True,
        check=True,
        timeout=600,
    )
    system, arch = runner_labels()
    key = f"mlci-{system}-{arch}-py{version}-seed"  # found by the action's restore-keys prefix
    seed_cache(sources.cache_store, key, {"$RUNNER_TEMP/mlci-cache": work / "cache"})
    return sources


# ---------------------------------------------------------------------------------------------
# the fixture project


def predictions_csv(noise: float, seed: int) -> str:
    """A binary classifier's predictions on ROWS examples; more noise, lower ROC AUC."""
    rng = np.random.RandomState(seed)  # RandomState: a stream frozen across numpy versions
    y_true = np.arange(ROWS) % 2
    score = np.clip(0.5 + (y_true - 0.5) * 0.6 + rng.normal(0.0, noise, ROWS), 0.0, 1.0)
    rows = [f"{t},{int(s >= 0.5)},{s:.6f}" for t, s in zip(y_true, score, strict=True)]
    return "y_true,y_pred,y_score\n" + "\n".join(rows) + "\n"


def roc_auc_of(csv: str) -> float:
    """The oracle: scikit-learn's ROC AUC of a predictions CSV."""
    from sklearn.metrics import roc_auc_score

    rows = [line.split(",") for line in csv.splitlines()[1:]]
    return float(roc_auc_score([int(r[0]) for r in rows], [float(r[2]) for r in rows]))


GOOD = predictions_csv(noise=0.25, seed=1)
WORSE = predictions_csv(noise=0.9, seed=1)
CONFIG = f"""\
name: {NAME}
datasets:
  eval:
    path: data/eval.csv
    checks:
      - {{column: id, unique: true}}
      - {{column: age, type: integer, min: 0, max: 120}}
      - {{column: plan, allowed: [basic, pro]}}
      - {{row_count: {{min: 100}}}}
model:
  task: binary
  predictions: {{path: preds.csv, y_score: y_score}}
  metrics: [accuracy, roc_auc]
gates:
  - {{metric: roc_auc, max_regression: 0.02}}
"""


def write_project(repo: FixtureRepo, config: str = CONFIG) -> None:
    repo.write("mlci.yml", config)
    plans = ("basic", "pro")
    data = "".join(f"{i},{18 + i % 60},{plans[i % 3 == 0]}\n" for i in range(ROWS))
    repo.write("data/eval.csv", "id,age,plan\n" + data)
    repo.write("preds.csv", GOOD)


def copy_repo(source: FixtureRepo, dest: Path) -> FixtureRepo:
    """A new fixture repository holding every ref of ``source``'s origin, main checked out."""
    repo = FixtureRepo(dest, source.slug, source.default_branch)
    git(source.origin, "push", "-q", "--mirror", str(repo.origin))
    git(repo.work, "fetch", "-q", "origin", repo.default_branch)
    git(repo.work, "reset", "-q", "--hard", "FETCH_HEAD")
    return repo


def records(repo: FixtureRepo) -> list[str]:
    """The files on the records branch of the bare origin."""
    listing = git(repo.origin, "ls-tree", "-r", "--name-only", "refs/heads/mlci-records")
    return listing.splitlines()


def record_of(repo: FixtureRepo, path: str) -> dict[str, Any]:
    return dict(json.loads(git(repo.origin, "show", f"refs/heads/mlci-records:{path}")))


# ---------------------------------------------------------------------------------------------
# running the templates


class Templates:
    """Runs the workflow templates for one fixture repository against the fake."""

    def __init__(
        self,
        root: Path,
        repo: FixtureRepo,
        fake: FakeGitHubProcess,
        project_action: Path,
        packages: PackageSources,
    ) -> None:
        self.repo, self.fake, self.packages = repo, fake, packages
        self.runner = ActRunner(
            root, repo, actions={PROJECT_ACTION: project_action}, cache_dir=packages.cache_store
        )

    def run(
        self,
        template: str | Path,
        event_name: str,
        event: Mapping[str, Any],
        *,
        token: str = WRITE_TOKEN,
        api_path: str = "",
        **options: Any,
    ) -> ActRun:
        """Run a template (a name in workflows-templates/, or a path to a workflow file);
        ``api_path`` ``/api/v3`` gives the API URL of GitHub Enterprise.

        ``options`` go to :meth:`ActRunner.run` (``run_id``, ``work_dir``, ...).
        """
        run = self.runner.run(
            TEMPLATES / template,
            event_name,
            event,
            api_url=self.fake.url + api_path,
            token=token,
            env=self.packages.env,
            timeout=RUN_TIMEOUT,
            **options,
        )
        print(f"\n{Path(template).name} on {event_name} (run {run.run_id}): {run.seconds:.1f} s")
        assert_no_token_in_log(run, token)
        return run

    def open_pull_request(
        self, number: int, branch: str, *, head_repo: str = REPO, action: str = "opened"
    ) -> dict[str, Any]:
        """The PR in the fixture origin (refs/pull/N/*) and in the fake, at the branch's tip."""
        fork = None if head_repo == REPO else head_repo
        event = self.repo.open_pull_request(number, head=branch, head_repo=fork, action=action)
        head = event["pull_request"]["head"]["sha"]
        self.fake.add_pull(number, head, head_repo=head_repo, head_ref=branch)
        return event


def assert_no_token_in_log(run: ActRun, token: str) -> None:
    """Neither the token nor its git basic-auth form is in anything act logged or the run wrote.

    act masks secrets in what it logs, so the raw token is only a first check; the base64 form
    of ``x-access-token:TOKEN`` that git authenticates with is masked by mlci itself
    (``::add-mask::``), and that workflow command is the only place act's JSON log may hold it
    (GitHub shows no workflow command in its logs).
    """
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    texts = {
        "act.log": run.log_path.read_text(),
        "act stderr": (run.log_path.parent / "act.stderr").read_text(),
        "summaries": "".join(run.summaries.values()),
        "outputs": json.dumps(run.outputs),
    }
    if run.artifacts_dir.is_dir():
        for path in sorted(p for p in run.artifacts_dir.rglob("*") if p.is_file()):
            texts[f"artifact file {path.name}"] = path.read_bytes().decode("utf-8", "replace")
    for where, text in texts.items():
        assert token not in text, f"the token is in {where}"
        assert basic not in text, f"the token's basic-auth form is in {where}"
    for line in (run.log_path.parent / "act.jsonl").read_text().splitlines():
        assert token not in line, "the token is in act's JSON log"
        if basic in line:
            assert json.loads(line).get("command") == "add-mask", f"basic-auth form in: {line}"


MLCI_STEP = "2"  # the evaluating templates' steps: checkout, produce the predictions, mlci


def verdict_of(run: ActRun, job: str) -> str:
    """The action's `verdict` output: the template's mlci step is its third step (index 2:
    checkout, the step that produces the predictions or the model, mlci), as in
    fork-comment.yml (job `publish`: checkout, download, mlci)."""
    return run.output(job, MLCI_STEP, "verdict")


def report_header(verdict: str) -> str:
    return f"### {'✅' if verdict == 'pass' else '❌'} mlci · {NAME}"
