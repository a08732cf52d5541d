"""The release template end to end: a tag push through workflows-templates/release.yml, run by act
with the real action.yml (`command: release`) against the GitHub API fake as a process of its
own. What is checked is what GitHub would hold afterwards (``/_fake/state``): the release, its
assets (downloaded through their ``browser_download_url`` and checked against ``SHA256SUMS``
recomputed here), the deployment and its statuses; and the job: its result, outputs, log (the
deploy command's output, the refusal naming the gate and the commit) and the token in no log.

The module's first release (:func:`first_release`): main.yml stores the record of the fixture
project's main commit, tag ``v1.0.0`` on that commit goes through release.yml with
``bootstrap: 'true'`` uncommented (what the template tells users to do for a first release),
then the same run is re-run ("Re-run jobs": the same workflow, event and run id). Every other
test works on a copy of that repository, with the fake reset and holding the published
``v1.0.0`` release again (created through the API), and pushes one more tag: a regressing model
(refused), a release candidate (a prerelease), a deploy command that fails.

The fixture project is test_templates_e2e.py's (tests/helpers/templates.py) plus a ``release:``
section: two model files, an owner and intended use for the model card, and a deploy command that
checks the bundle with ``sha256sum -c`` and says what it deployed. About 2-3 minutes on 2 cores.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.act_harness import ActRun, FixtureRepo
from tests.helpers.templates import (
    CONFIG,
    GOOD,
    NAME,
    REPO,
    TEMPLATES,
    WORSE,
    FakeGitHubProcess,
    PackageSources,
    Templates,
    copy_repo,
    record_of,
    records,
    requests_to,
    roc_auc_of,
    write_project,
)

pytestmark = pytest.mark.e2e

JOB = "release"
MLCI_STEP = "2"  # the template's steps: checkout, produce the model, mlci release, upload
ENVIRONMENT = "production"
SERVICE_URL = "https://models.example.invalid/widget-classifier"
MODEL_FILES = {
    "weights.bin": "widget classifier weights v1\n" * 20,
    "labels.json": '{"0": "no order", "1": "order"}\n',
}
GENERATED = ("model-card.md", "metrics.json", "record.json")
ASSETS = {*MODEL_FILES, *GENERATED, "SHA256SUMS"}
INTENDED_USE = "Ranking widgets by how likely a customer is to order them."
OWNER = "widgets ML team"
DEPLOY = (
    'cd "$MLCI_BUNDLE_DIR" && sha256sum -c SHA256SUMS && '
    'echo "token seen by deploy: ${MLCI_GITHUB_TOKEN:-none}" && '
    'echo "deployed $MLCI_TAG ($MLCI_COMMIT) to $MLCI_ENVIRONMENT"'
)
FAILING_DEPLOY = (
    'echo "pushing $MLCI_TAG to the model registry" && '
    'echo "registry answered 503 Service Unavailable" >&2 && exit 3'
)
BOOTSTRAP_LINE = (
    "          # bootstrap: 'true' # first release only: no earlier release to compare with\n"
)


def release_config(deploy: str = DEPLOY) -> str:
    """The fixture project's config with a release section (``deploy`` as a YAML string)."""
    return CONFIG + (
        "release:\n"
        f"  intended_use: {INTENDED_USE}\n"
        f"  owner: {OWNER}\n"
        f"  environment: {ENVIRONMENT}\n"
        f"  assets: [{', '.join(f'model/{name}' for name in MODEL_FILES)}]\n"
        f"  deploy: {{command: {json.dumps(deploy)}, url: {SERVICE_URL}}}\n"
    )


def first_release_workflow(directory: Path) -> Path:
    """release.yml as its header says to set it for the first release: bootstrap uncommented."""
    text = (TEMPLATES / "release.yml").read_text(encoding="utf-8")
    assert text.count(BOOTSTRAP_LINE) == 1, "release.yml no longer has the bootstrap line"
    path = directory / "release-first.yml"
    uncommented = BOOTSTRAP_LINE.replace("# bootstrap", "bootstrap")
    path.write_text(text.replace(BOOTSTRAP_LINE, uncommented), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# reading what the fake holds


def release_of(state: Mapping[str, Any], tag: str) -> dict[str, Any]:
    [release] = [r for r in state["releases"] if r["repo"] == REPO and r["tag_name"] == tag]
    return dict(release)


def deployments_of(state: Mapping[str, Any], tag: str) -> list[dict[str, Any]]:
    return [d for d in state["deployments"] if d["repo"] == REPO and d["ref"] == tag]


def status_states(deployment: Mapping[str, Any]) -> list[str]:
    return [s["state"] for s in deployment["statuses"]]


def download(fake: FakeGitHubProcess, tag: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The published release of ``tag`` and its assets, fetched as a user would: the release
    through the API, then each file from its browser_download_url (no token)."""
    release = fake.api("GET", f"/repos/{REPO}/releases/tags/{tag}")
    files = {a["name"]: fake.download(a["browser_download_url"]) for a in release["assets"]}
    return dict(release), files


def verify_checksums(files: Mapping[str, bytes]) -> dict[str, str]:
    """SHA256SUMS recomputed: every other file listed with its digest, nothing else listed."""
    listed = {}
    for line in files["SHA256SUMS"].decode().splitlines():
        match = re.fullmatch(r"([0-9a-f]{64})  (\S+)", line)  # sha256sum's format
        assert match is not None, line
        listed[match[2]] = match[1]
    computed = {n: hashlib.sha256(b).hexdigest() for n, b in files.items() if n != "SHA256SUMS"}
    assert listed == computed
    return listed


def log_url(run: ActRun) -> str:
    return f"https://github.com/{REPO}/actions/runs/{run.run_id}"


# ---------------------------------------------------------------------------------------------
# fixtures


@dataclass(frozen=True)
class FirstRelease:
    """The module's first release of v1.0.0, its re-run, and the fake's state after each."""

    repo: FixtureRepo
    commit: str
    main: ActRun
    run: ActRun
    state: Mapping[str, Any]
    published: Mapping[str, Any]  # the release as the API returns it
    assets: Mapping[str, bytes]
    rerun: ActRun
    rerun_state: Mapping[str, Any]


@pytest.fixture(scope="module")
def first_release(
    tmp_path_factory: pytest.TempPathFactory,
    fake_process: FakeGitHubProcess,
    project_action: Path,
    packages: PackageSources,
) -> FirstRelease:
    """main.yml on the first commit, then v1.0.0 through release.yml with bootstrap, twice."""
    root = tmp_path_factory.mktemp("first-release")
    repo = FixtureRepo(root / "github")
    write_project(repo, release_config())
    for name, text in MODEL_FILES.items():
        repo.write(f"model/{name}", text)
    commit = repo.commit("Add the model and its mlci config")
    fake_process.reset()
    fake_process.add_ref("main", commit)
    templates = Templates(root / "act", repo, fake_process, project_action, packages)
    main = templates.run("main.yml", "push", repo.push_event())
    assert main.ok, "main.yml failed, so there is no record to release:\n" + main.tail()

    repo.tag("v1.0.0")
    fake_process.add_ref("v1.0.0", commit)
    workflow = first_release_workflow(root)
    event = repo.push_event("refs/tags/v1.0.0")
    run = templates.run(workflow, "push", event)
    state = fake_process.state()
    published, assets = download(fake_process, "v1.0.0") if run.ok else ({}, {})

    attempt = templates.runner.root / f"run-{run.run_id}-attempt-2"
    rerun = templates.run(
        workflow,
        "push",
        event,
        run_id=run.run_id,
        work_dir=attempt,
        artifacts_dir=attempt / "artifacts",
    )
    return FirstRelease(
        repo, commit, main, run, state, published, assets, rerun, fake_process.state()
    )


@dataclass(frozen=True)
class Releasing:
    """A copy of the first release's repository, the fake holding its published v1.0.0."""

    templates: Templates
    fake: FakeGitHubProcess
    v1_commit: str

    @property
    def repo(self) -> FixtureRepo:
        return self.templates.repo

    def push_tag(self, tag: str) -> ActRun:
        """Tag HEAD, push the tag, and run release.yml (as committed: no bootstrap) for it."""
        sha = self.repo.tag(tag)
        self.fake.add_ref(tag, sha)
        return self.templates.run("release.yml", "push", self.repo.push_event(f"refs/tags/{tag}"))

    def commit(self, message: str, files: Mapping[str, str]) -> str:
        for path, text in files.items():
            self.repo.write(path, text)
        return self.repo.commit(message)


@pytest.fixture
def releasing(
    tmp_path: Path,
    first_release: FirstRelease,
    fake: FakeGitHubProcess,
    project_action: Path,
    packages: PackageSources,
) -> Releasing:
    """A copy of the first release's repository; the fake reset, holding v1.0.0 published."""
    assert first_release.run.ok, "the first release failed:\n" + first_release.run.tail()
    repo = copy_repo(first_release.repo, tmp_path / "github")
    published = release_of(first_release.state, "v1.0.0")
    fake.add_ref("main", first_release.commit)
    fake.add_ref("v1.0.0", first_release.commit)
    fake.api(
        "POST",
        f"/repos/{REPO}/releases",
        {key: published[key] for key in ("tag_name", "name", "body", "draft", "prerelease")},
    )
    templates = Templates(tmp_path / "act", repo, fake, project_action, packages)
    return Releasing(templates, fake, first_release.commit)


# ---------------------------------------------------------------------------------------------
# (a) the first release


def test_first_release_publishes_the_bundle_and_deploys_it(first_release: FirstRelease) -> None:
    run, state, commit = first_release.run, first_release.state, first_release.commit

    assert run.ok, run.tail()
    assert run.jobs == {JOB: "success"}
    release = release_of(state, "v1.0.0")
    assert (release["draft"], release["prerelease"]) == (False, False)
    assert release["name"] == f"{NAME} 1.0.0"
    assert "<!-- mlci:release name=widget-classifier -->" in release["body"]
    assert sorted(a["name"] for a in release["assets"]) == sorted(ASSETS)
    assert len(state["releases"]) == 1

    files = first_release.assets
    assert set(files) == ASSETS
    sums = verify_checksums(files)
    assert set(sums) == ASSETS - {"SHA256SUMS"}
    for asset in release["assets"]:  # what the fake stored is what was downloaded
        assert (asset["size"], asset["sha256"]) == (
            len(files[asset["name"]]),
            hashlib.sha256(files[asset["name"]]).hexdigest(),
        )
    for name, text in MODEL_FILES.items():
        assert files[name] == text.encode()
    record = json.loads(files["record.json"])
    assert record == record_of(first_release.repo, f"{NAME}/{commit[:2]}/{commit}.json")
    oracle = roc_auc_of(GOOD)
    assert record["model"]["metrics"]["roc_auc"] == pytest.approx(oracle, abs=1e-12)
    metrics = json.loads(files["metrics.json"])
    assert (metrics["tag"], metrics["version"], metrics["commit"]) == ("v1.0.0", "1.0.0", commit)
    assert metrics["verdict"] == "pass" and metrics["previous_release"] is None
    assert metrics["metrics"]["roc_auc"] == pytest.approx(oracle, abs=1e-12)
    card = files["model-card.md"].decode()
    assert INTENDED_USE in card and OWNER in card and commit in card

    [deployment] = state["deployments"]
    assert (deployment["ref"], deployment["sha"]) == ("v1.0.0", commit)
    assert deployment["environment"] == ENVIRONMENT
    assert (deployment["auto_merge"], deployment["required_contexts"]) == (False, [])
    assert deployment["payload"]["mlci"]["tag"] == "v1.0.0"
    assert status_states(deployment) == ["in_progress", "success"]
    assert {s["log_url"] for s in deployment["statuses"]} == {log_url(run)}
    assert {s["environment_url"] for s in deployment["statuses"]} == {SERVICE_URL}

    for name in sorted(ASSETS - {"SHA256SUMS"}):  # the deploy command checked the bundle
        assert f"{name}: OK" in run.stdout
    assert f"deployed v1.0.0 ({commit}) to {ENVIRONMENT}" in run.stdout
    assert "token seen by deploy: none" in run.stdout
    assert run.output(JOB, MLCI_STEP, "verdict") == "pass"
    assert run.output(JOB, MLCI_STEP, "release-url") == first_release.published["html_url"]
    assert "First release" in run.stdout  # the bootstrap note
    result = json.loads((run.artifact("mlci-release") / "release.json").read_text())
    assert (result["tag"], result["verdict"], result["dry_run"]) == ("v1.0.0", "pass", False)
    assert records(first_release.repo) == [f"{NAME}/{commit[:2]}/{commit}.json"]
    assert state["token_leaked"] is False


# ---------------------------------------------------------------------------------------------
# (d) the same tag again: "Re-run jobs"


def test_a_rerun_of_the_same_tag_updates_the_release_without_duplicating_assets(
    first_release: FirstRelease,
) -> None:
    before, after, rerun = first_release.state, first_release.rerun_state, first_release.rerun

    assert rerun.ok, rerun.tail()
    [release] = after["releases"]
    assert release["id"] == release_of(before, "v1.0.0")["id"]
    assert (release["draft"], release["prerelease"]) == (False, False)
    assets = {a["name"]: (a["id"], a["sha256"]) for a in release["assets"]}
    assert len(release["assets"]) == len(assets) == len(ASSETS)
    assert assets == {
        a["name"]: (a["id"], a["sha256"]) for a in release_of(before, "v1.0.0")["assets"]
    }
    assert requests_to(after, "POST", "/assets") == [201] * len(ASSETS)  # the first run's only
    assert requests_to(after, "DELETE", "/assets/") == []
    assert "mlci: Release v1.0.0 exists: updating it." in rerun.stdout
    assert rerun.output(JOB, MLCI_STEP, "release-url") == first_release.published["html_url"]

    first, second = deployments_of(after, "v1.0.0")  # a re-run deploys again
    assert status_states(second) == ["in_progress", "success"]
    assert status_states(first)[:2] == ["in_progress", "success"]
    assert {s["log_url"] for s in second["statuses"]} == {log_url(rerun)}
    assert f"deployed v1.0.0 ({first_release.commit}) to {ENVIRONMENT}" in rerun.stdout
    assert after["token_leaked"] is False


# ---------------------------------------------------------------------------------------------
# (b) a regressing model is refused


def test_a_tag_on_a_regressing_model_is_refused_and_nothing_is_created(
    releasing: Releasing,
) -> None:
    head = releasing.commit("Retrain with fewer features", {"preds.csv": WORSE})

    run = releasing.push_tag("v1.1.0")

    assert run.returncode != 0
    assert run.jobs == {JOB: "failure"}
    state = releasing.fake.state()
    assert [r["tag_name"] for r in state["releases"]] == ["v1.0.0"]  # the one seeded
    assert state["deployments"] == []
    assert requests_to(state, "POST", "/releases") == [201]  # the seed, nothing since
    assert requests_to(state, "POST", "/assets") == []
    refusal = (
        f"Refusing to release v1.1.0 (commit {head[:7]}): 1 gate failed in strict mode against "
        f"v1.0.0 ({releasing.v1_commit[:7]}): roc_auc max regression 0.02: "
    )
    [line] = [line for line in run.stdout.splitlines() if refusal in line]
    drop = roc_auc_of(GOOD) - roc_auc_of(WORSE)  # the oracle: scikit-learn on the two CSVs
    assert f"roc_auc got worse by {drop:.4f}" in line
    assert f"::error title=mlci release::{refusal}" in run.log
    assert "mlci: FAIL (not released)" in run.stdout
    assert run.output(JOB, MLCI_STEP, "verdict") == "fail"
    assert run.output(JOB, MLCI_STEP, "release-url") == ""
    assert f"{NAME}/{head[:2]}/{head}.json" in records(releasing.repo)  # evaluated, kept
    result = json.loads((run.artifact("mlci-release") / "release.json").read_text())
    assert (result["verdict"], result["release_url"], result["assets"]) == ("fail", None, [])
    assert result["previous_release"]["tag"] == "v1.0.0"
    assert state["token_leaked"] is False


# ---------------------------------------------------------------------------------------------
# (c) a release candidate


def test_a_release_candidate_tag_is_published_as_a_prerelease(releasing: Releasing) -> None:
    head = releasing.commit("Document the model", {"README.md": "# widgets\n\nThe model.\n"})

    run = releasing.push_tag("v1.1.0-rc.1")

    assert run.ok, run.tail()
    state = releasing.fake.state()
    release = release_of(state, "v1.1.0-rc.1")
    assert (release["draft"], release["prerelease"]) == (False, True)
    assert release["name"] == f"{NAME} 1.1.0-rc.1"
    assert sorted(a["name"] for a in release["assets"]) == sorted(ASSETS)
    published, files = download(releasing.fake, "v1.1.0-rc.1")
    verify_checksums(files)
    metrics = json.loads(files["metrics.json"])
    assert (metrics["tag"], metrics["version"], metrics["commit"]) == (
        "v1.1.0-rc.1",
        "1.1.0-rc.1",
        head,
    )
    assert metrics["previous_release"]["tag"] == "v1.0.0"  # judged against it, in strict mode
    assert metrics["change"]["roc_auc"]["change"] == 0.0  # the same predictions
    assert json.loads(files["record.json"])["commit"] == head
    [deployment] = deployments_of(state, "v1.1.0-rc.1")
    assert (deployment["sha"], deployment["environment"]) == (head, ENVIRONMENT)
    assert status_states(deployment) == ["in_progress", "success"]
    assert run.output(JOB, MLCI_STEP, "release-url") == published["html_url"]
    assert state["token_leaked"] is False


# ---------------------------------------------------------------------------------------------
# (e) the deploy command fails


def test_a_failing_deploy_command_fails_the_deployment_and_the_job(releasing: Releasing) -> None:
    failing = release_config(FAILING_DEPLOY)
    head = releasing.commit("Deploy to the new registry", {"mlci.yml": failing})

    run = releasing.push_tag("v1.0.1")

    assert run.returncode != 0
    assert run.jobs == {JOB: "failure"}
    state = releasing.fake.state()
    release = release_of(state, "v1.0.1")  # released: the deployment is what failed
    assert (release["draft"], release["prerelease"]) == (False, False)
    assert sorted(a["name"] for a in release["assets"]) == sorted(ASSETS)
    [deployment] = state["deployments"]
    assert (deployment["ref"], deployment["sha"]) == ("v1.0.1", head)
    assert status_states(deployment) == ["in_progress", "failure"]
    assert deployment["statuses"][-1]["description"].startswith(
        "the deploy command exited with 3 after"
    )
    assert {s["log_url"] for s in deployment["statuses"]} == {log_url(run)}
    assert "pushing v1.0.1 to the model registry" in run.stdout
    assert "registry answered 503 Service Unavailable" in run.stdout  # stderr, captured too
    failed = f"The deployment of v1.0.1 ({head[:7]}) to {ENVIRONMENT} failed: the deploy command"
    assert f"::error title=mlci release::{failed} exited with 3" in run.log
    assert "mlci: FAIL (released v1.0.1; the deployment failed)" in run.stdout
    assert run.output(JOB, MLCI_STEP, "verdict") == "pass"  # the gates passed
    assert run.output(JOB, MLCI_STEP, "release-url").endswith("/releases/tag/v1.0.1")
    assert state["token_leaked"] is False
