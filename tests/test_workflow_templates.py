"""The workflow templates, the project's CI workflow and action.yml, linted as GitHub sees them.

zizmor (security) and actionlint (correctness, with shellcheck on `run:` scripts) audit only files
laid out as a repository (`.github/workflows/`, `action.yml`), so each test builds one in a temp
dir; a deliberately bad workflow proves the linters are really looking. For actionlint the
templates' `uses: mlci-dev/mlci@SHA` becomes `uses: ./`, so the inputs given to our action are
checked against action.yml. Plain-YAML tests pin the rules the linters do not know.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TEMPLATES = sorted((REPO / "workflows-templates").glob("*.yml"))
CI = REPO / ".github" / "workflows" / "ci.yml"
RELEASE = REPO / ".github" / "workflows" / "release.yml"  # mlci's own release to PyPI
WORKFLOWS = [*TEMPLATES, CI, RELEASE]
MLCI_USES = re.compile(r"uses: mlci-dev/mlci@[0-9a-f]{40} # v\d+\.\d+\.\d+")
PLACEHOLDER = "mlci-dev/mlci@0000000000000000000000000000000000000000"
PINNED = re.compile(r"^\s*(?:-\s+)?uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$")

BAD_WORKFLOW = """\
name: bad
on:
  pull_request_target:
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
"""


def _load(path: Path) -> dict[str, Any]:
    data: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def _jobs(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    yield from _load(path)["jobs"].items()


def _steps(path: Path) -> Iterator[dict[str, Any]]:
    for _, job in _jobs(path):
        yield from job.get("steps", [])


def _template(name: str) -> Path:
    return REPO / "workflows-templates" / name


def _repository(root: Path, workflows: dict[str, str]) -> Path:
    """A git repository with action.yml (and what it runs) and the given workflow texts."""
    (root / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(REPO / "action.yml", root / "action.yml")
    for name, text in workflows.items():
        (root / ".github" / "workflows" / name).write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _name(path: Path) -> str:
    """The file's name in the linted repository: the project's own release workflow and the
    release template are both release.yml."""
    return "release-mlci.yml" if path == RELEASE else path.name


def _ours() -> dict[str, str]:
    return {_name(path): path.read_text(encoding="utf-8") for path in WORKFLOWS}


def _zizmor(root: Path) -> tuple[list[dict[str, Any]], str]:
    proc = subprocess.run(
        [
            str(BIN / "zizmor"),
            "--pedantic",
            "--offline",
            "--no-progress",
            "--format",
            "json",
            str(root),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode in (0, 11, 12, 13, 14), proc.stderr  # 1x: findings of a severity
    return json.loads(proc.stdout), proc.stderr


def _actionlint(root: Path) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [str(BIN / "actionlint"), "-format", "{{json .}}"],
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
        env={"PATH": f"{BIN}:/usr/bin:/bin"},  # shellcheck comes from the venv
    )
    assert proc.returncode in (0, 1), proc.stderr
    findings: list[dict[str, Any]] = json.loads(proc.stdout)
    return findings


def _as_local_action(text: str) -> str:
    return MLCI_USES.sub("uses: ./", text)


FIRST_RELEASE_LINE = (
    "          # bootstrap: 'true' # first release only: no earlier release to compare with\n"
)


def _first_release() -> str:
    """release.yml as its comment says to set it for the first release (the line uncommented)."""
    text = _template("release.yml").read_text(encoding="utf-8")
    assert text.count(FIRST_RELEASE_LINE) == 1
    return text.replace(FIRST_RELEASE_LINE, FIRST_RELEASE_LINE.replace("# bootstrap", "bootstrap"))


# -- the linters ----------------------------------------------------------------------------------


@pytest.mark.integration
def test_zizmor_finds_nothing_in_the_templates_ci_and_action(tmp_path: Path) -> None:
    root = _repository(tmp_path / "repo", _ours())
    findings, log = _zizmor(root)
    assert findings == []
    for audited in [*(f".github/workflows/{_name(p)}" for p in WORKFLOWS), "action.yml"]:
        assert f"completed {root}/{audited}" in log  # so nothing passed by being skipped


@pytest.mark.integration
def test_zizmor_catches_a_bad_workflow(tmp_path: Path) -> None:
    root = _repository(tmp_path / "repo", {"bad.yml": BAD_WORKFLOW})
    findings, _ = _zizmor(root)
    found = {finding["ident"] for finding in findings}
    assert {
        "template-injection",
        "unpinned-uses",
        "excessive-permissions",
        "dangerous-triggers",
        "artipacked",
    } <= found


@pytest.mark.integration
def test_actionlint_finds_nothing_and_checks_our_inputs(tmp_path: Path) -> None:
    ours = {**_ours(), "release-first.yml": _first_release()}
    local = {name: _as_local_action(text) for name, text in ours.items()}
    assert sum("uses: ./" in text for text in local.values()) == len(TEMPLATES) + 1
    assert _actionlint(_repository(tmp_path / "repo", local)) == []


@pytest.mark.integration
def test_actionlint_catches_a_bad_workflow_and_a_wrong_input(tmp_path: Path) -> None:
    wrong_input = _as_local_action(_template("main.yml").read_text(encoding="utf-8"))
    wrong_input = wrong_input.replace("config: mlci.yml", "confg: mlci.yml")
    root = _repository(tmp_path / "repo", {"bad.yml": BAD_WORKFLOW, "main.yml": wrong_input})
    messages = [finding["message"] for finding in _actionlint(root)]
    assert any(
        '"github.event.pull_request.title" is potentially untrusted' in m for m in messages
    ), messages
    assert any('input "confg" is not defined in action' in m for m in messages), messages


# -- rules for every workflow ---------------------------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOWS, ids=_name)
def test_no_permissions_by_default_and_each_job_grants_with_reasons(path: Path) -> None:
    assert _load(path)["permissions"] == {}
    text = path.read_text(encoding="utf-8")
    for name, job in _jobs(path):
        assert job.get("permissions"), f"{path.name}: job {name} has no explicit permissions"
        for scope, level in job["permissions"].items():
            line = re.search(rf"^\s+{scope}: {level} # \w.+$", text, re.M)
            assert line, f"{path.name}: {scope}: {level} needs a comment saying why"


@pytest.mark.parametrize("path", WORKFLOWS, ids=_name)
def test_no_expression_inside_run(path: Path) -> None:
    for step in _steps(path):
        assert "${{" not in step.get("run", ""), step.get("name")


@pytest.mark.parametrize("path", WORKFLOWS, ids=_name)
def test_every_uses_is_pinned_to_a_commit_with_its_version(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if re.match(r"\s*(-\s+)?uses:", line)]
    assert lines
    for line in lines:
        assert PINNED.match(line), f"{path.name}: {line.strip()}"


def test_each_action_is_pinned_to_the_same_commit_everywhere() -> None:
    pins: dict[str, set[tuple[str, str]]] = {}
    for path in [*WORKFLOWS, REPO / "action.yml"]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if match := PINNED.match(line):
                pins.setdefault(match[1], set()).add((match[2], match[3]))
    assert {action: len(found) for action, found in pins.items()} == dict.fromkeys(pins, 1)


@pytest.mark.parametrize("path", WORKFLOWS, ids=_name)
def test_checkouts_leave_no_credentials_behind(path: Path) -> None:
    for step in _steps(path):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_templates_use_the_placeholder_sha_and_only_known_inputs(path: Path) -> None:
    inputs = set(yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))["inputs"])
    mlci_steps = [s for s in _steps(path) if s.get("uses", "").startswith("mlci-dev/mlci@")]
    assert [s["uses"] for s in mlci_steps] == [PLACEHOLDER]
    assert set(mlci_steps[0].get("with", {})) <= inputs
    text = path.read_text(encoding="utf-8")
    assert "placeholder that\n# `mlci init --action-sha SHA` replaces" in text


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_template_job_has_a_concurrency_group(path: Path) -> None:
    for name, job in _jobs(path):
        assert job["concurrency"]["group"].startswith("mlci-"), f"{path.name}: {name}"


# -- each template --------------------------------------------------------------------------------


def _only_job(name: str) -> dict[str, Any]:
    (job,) = (job for _, job in _jobs(_template(name)))
    return job


def _uses(job: dict[str, Any], action: str) -> dict[str, Any]:
    return next(s for s in job["steps"] if s.get("uses", "").startswith(action + "@"))


def test_pull_request_template() -> None:
    # labeled/unlabeled: applying or removing the override label re-runs mlci (see
    # docs/github-actions.md)
    types = ["opened", "synchronize", "reopened", "labeled", "unlabeled"]
    assert _load(_template("pull-request.yml"))["on"] == {"pull_request": {"types": types}}
    job = _only_job("pull-request.yml")
    assert job["permissions"] == {"contents": "read", "pull-requests": "write", "statuses": "write"}
    assert job["concurrency"] == {
        "group": "mlci-pr-${{ github.event.pull_request.number }}",
        "cancel-in-progress": True,
    }
    checkout = _uses(job, "actions/checkout")["with"]
    assert checkout["ref"] == "${{ github.event.pull_request.head.sha }}"
    assert checkout["fetch-depth"] == 0
    upload = _uses(job, "actions/upload-artifact")
    assert upload["if"] == "${{ !cancelled() }}"  # a failed gate still leaves the report
    assert (upload["with"]["name"], upload["with"]["path"]) == ("mlci-report", "mlci-out")


def test_main_template_queues_record_jobs() -> None:
    assert _load(_template("main.yml"))["on"] == {"push": {"branches": ["main"]}}
    job = _only_job("main.yml")
    assert job["permissions"] == {"contents": "write", "statuses": "write"}
    assert job["concurrency"] == {"group": "mlci-records", "cancel-in-progress": False}
    assert _uses(job, "actions/checkout")["with"]["fetch-depth"] == 0


def test_release_template_is_gated_by_an_environment_and_uses_no_cache() -> None:
    assert _load(_template("release.yml"))["on"] == {"push": {"tags": ["v*"]}}
    job = _only_job("release.yml")
    assert job["permissions"] == {"contents": "write", "deployments": "write"}
    assert job["environment"] == "production"
    assert job["concurrency"]["cancel-in-progress"] is False
    assert _uses(job, "mlci-dev/mlci")["with"] == {
        "command": "release",
        "config": "mlci.yml",
        "cache": "false",
    }
    (first_job,) = yaml.safe_load(_first_release())["jobs"].values()
    assert _uses(first_job, "mlci-dev/mlci")["with"]["bootstrap"] == "true"
    assert "uncomment\n# `bootstrap: 'true'` on the mlci step" in _first_release()


def test_fork_evaluation_has_a_read_only_token_and_uploads_the_report() -> None:
    # `mlci run` itself writes pull-request.json (PR number + head) into the output dir on a
    # pull_request event (tests/github/test_actions.py); the job only uploads that directory.
    job = _only_job("fork-pull-request.yml")
    assert job["permissions"] == {"contents": "read"}
    mlci = _uses(job, "mlci-dev/mlci")["with"]
    assert mlci["comment"] == "false"
    upload = _uses(job, "actions/upload-artifact")["with"]
    assert upload["name"] == "mlci-report"
    assert upload["path"] == mlci["output-dir"]
    # the one `run:` step is the user's own (it gets the read-only token's job, no secrets)
    runs = [s for s in job["steps"] if "run" in s]
    assert [s["name"] for s in runs] == [PRODUCE] and "env" not in runs[0]


PRODUCE = "Produce the predictions or the model that mlci evaluates"


@pytest.mark.parametrize(
    "name", ["pull-request.yml", "main.yml", "fork-pull-request.yml", "release.yml"]
)
def test_the_step_that_makes_the_model_comes_right_before_mlci(name: str) -> None:
    steps = list(_steps(_template(name)))
    index = next(i for i, s in enumerate(steps) if s.get("name") == PRODUCE)
    assert steps[index + 1]["uses"].startswith("mlci-dev/mlci@")
    assert steps[index]["run"].startswith('echo "mlci evaluates the files mlci.yml names')
    text = _template(name).read_text(encoding="utf-8")
    for variant in ("python evaluate.py", "dvc repro", "dvc pull", "actions/download-artifact@"):
        assert variant in text, f"{name}: the commented variant {variant!r}"


def test_fork_comment_runs_after_the_evaluation_and_never_touches_pr_code() -> None:
    workflow = _load(_template("fork-comment.yml"))
    evaluation = _load(_template("fork-pull-request.yml"))["name"]
    assert workflow["on"] == {"workflow_run": {"workflows": [evaluation], "types": ["completed"]}}
    job = _only_job("fork-comment.yml")
    assert job["permissions"] == {
        "contents": "read",
        "actions": "read",
        "pull-requests": "write",
        "statuses": "write",
    }
    assert "github.event.workflow_run.event == 'pull_request'" in job["if"]
    used = [s["uses"].split("@")[0] for s in job["steps"]]
    assert used == ["actions/checkout", "actions/download-artifact", "mlci-dev/mlci"]  # no run:
    # the default branch only: its mlci.yml judges the report; never the PR's head or merge ref
    assert job["steps"][0]["with"] == {
        "ref": "${{ github.event.repository.default_branch }}",
        "persist-credentials": False,
    }
    text = _template("fork-comment.yml").read_text(encoding="utf-8")
    assert "head_sha" not in text.split("steps:", 1)[1] and "pull_request.head" not in text
    download = job["steps"][1]["with"]
    assert download == {
        "name": "mlci-report",
        "path": "${{ runner.temp }}/mlci-report",
        "run-id": "${{ github.event.workflow_run.id }}",
        "github-token": "${{ github.token }}",
    }
    assert job["steps"][2]["with"] == {
        "command": "publish",
        "config": "mlci.yml",
        "report-dir": "${{ runner.temp }}/mlci-report",
        "cache": "false",
    }


def test_monitor_template_runs_on_a_schedule_with_the_least_permissions() -> None:
    on = _load(_template("monitor.yml"))["on"]
    assert set(on) == {"schedule", "workflow_dispatch"}
    assert len(on["schedule"]) == 1 and on["schedule"][0]["cron"].count(" ") == 4
    assert set(on["workflow_dispatch"]["inputs"]) == {"release"}
    job = _only_job("monitor.yml")
    assert job["permissions"] == {"contents": "write", "issues": "write", "deployments": "read"}
    assert job["concurrency"] == {"group": "mlci-monitor", "cancel-in-progress": False}
    checkout = _uses(job, "actions/checkout")["with"]
    assert checkout["fetch-depth"] == 0
    assert _uses(job, "mlci-dev/mlci")["with"] == {
        "command": "monitor",
        "config": "mlci.yml",
        "tag": "${{ inputs.release }}",
        "openmetrics": "mlci-out/mlci.prom",
        "cache": "false",
    }
    upload = _uses(job, "actions/upload-artifact")
    assert upload["if"] == "${{ !cancelled() }}"  # an alert still leaves the report
    assert (upload["with"]["name"], upload["with"]["path"]) == ("mlci-monitor", "mlci-out")


def test_ci_runs_the_test_script_on_every_supported_python() -> None:
    (job,) = (job for _, job in _jobs(CI))
    assert job["strategy"]["matrix"]["python"] == ["3.10", "3.11", "3.12", "3.13"]
    assert job["steps"][-1]["run"] == "scripts/test"


def test_the_projects_release_builds_checks_and_publishes_by_trusted_publishing() -> None:
    workflow = _load(RELEASE)
    assert workflow["on"] == {"push": {"tags": ["v[0-9]+.[0-9]+.[0-9]+"]}}
    build, publish = workflow["jobs"]["build"], workflow["jobs"]["publish"]
    assert build["permissions"] == {"contents": "read"}
    checkout = build["steps"][0]
    assert checkout["with"]["fetch-depth"] == 0  # setuptools-scm needs the tag
    runs = "\n".join(s.get("run", "") for s in build["steps"])
    assert 'scripts/check-dist dist "${TAG#v}"' in runs  # the wheel must say the tag's version
    assert (REPO / "scripts" / "check-dist").stat().st_mode & 0o111
    assert publish["needs"] == "build"
    assert publish["permissions"] == {"id-token": "write"}  # no token, no contents access
    assert publish["environment"]["name"] == "pypi"
    assert publish["steps"][-1]["uses"].startswith("pypa/gh-action-pypi-publish@")
    assert "with" not in publish["steps"][-1]  # no password: trusted publishing
