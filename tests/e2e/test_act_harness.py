"""The act harness proved on a fixture action and workflow (fixtures/probe-action, probe.yml).

Each act run takes about 0.2 s (one small job) to 1.5 s (probe.yml: two jobs, eight actions).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.act_harness import (
    PROJECT_ACTION,
    PROJECT_ROOT,
    STANDINS,
    ActionRef,
    ActRunner,
    ActTimeout,
    FixtureRepo,
    HarnessError,
    MissingStandIn,
    parse_uses,
    python_overlay,
    resolve_actions,
    seed_cache,
    uses_in,
)
from tests.helpers.recording_api import RecordingAPI

FIXTURES = Path(__file__).parent / "fixtures"
PROBE_WORKFLOW = FIXTURES / "probe.yml"
COMMENT_WORKFLOW = FIXTURES / "probe-comment.yml"
TOKEN = "e2e-token-3f9a"
CHECKOUT_PIN = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"


@pytest.fixture
def runner(tmp_path: Path, fixture_repo: FixtureRepo) -> ActRunner:
    probe = {"probe/probe-action": FIXTURES / "probe-action"}
    return ActRunner(tmp_path / "act", fixture_repo, actions=probe)


def write_workflow(path: Path, steps: str, on: str = "push") -> Path:
    body = "\n".join("      " + line for line in steps.strip("\n").splitlines())
    path.write_text(f"on: {on}\njobs:\n  job:\n    runs-on: ubuntu-latest\n    steps:\n{body}\n")
    return path


def write_action(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True)
    (directory / "action.yml").write_text(text)
    return directory


# ---------------------------------------------------------------------------------------------
# the probe workflow, run by act


@pytest.mark.e2e
def test_pull_request_checks_out_the_pr_head_and_reports_back(
    runner: ActRunner, fixture_repo: FixtureRepo, api: RecordingAPI
) -> None:
    base = fixture_repo.rev()
    fixture_repo.branch("feature")
    fixture_repo.write("model.txt", "better\n")
    head = fixture_repo.commit("Improve the model")
    event = fixture_repo.open_pull_request(7, head="feature")
    merge = event["pull_request"]["merge_commit_sha"]

    run = runner.run(
        PROBE_WORKFLOW, "pull_request", event, api_url=f"{api.url}/api/v3", token=TOKEN
    )

    assert run.ok, run.tail()
    assert run.jobs == {"probe": "success", "after": "success"}
    assert run.output("probe", "probe", "head-sha") == head
    assert run.output("probe", "probe", "branch") == "HEAD"
    assert run.output("probe", "probe", "merge-base") == base
    assert run.output("probe", "probe", "greeting") == "hello world\nsecond line"
    assert run.output("probe", "probe", "api-status") == "200"
    assert run.output("probe", "probe", "input-vars") == "0"
    assert run.output("probe", "cache", "cache-hit") == "false"
    assert run.output("after", "check", "artifact-matches") == "true"
    assert (
        f"probe: event=pull_request ref=refs/pull/7/merge sha={merge} repository=acme/widgets\n"
        in run.stdout
    )
    assert f"probe: api={api.url}/api/v3 server=https://github.com run_id=1\n" in run.stdout
    assert "probe: git-identity=none\n" in run.stdout
    assert "probe: extraheader=0\n" in run.stdout
    [request] = api.requests
    assert request["path"] == f"/api/v3/repos/acme/widgets/commits/{head}"
    assert request["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["x-probe-sha"] == merge
    assert run.summary("probe") == (
        "### probe on pull_request\n\n| head | api |\n|---|---|\n"
        f"| `{head}` | 200 |\nsecond step summary\n"
    )
    uploaded = sorted(
        str(p.relative_to(run.artifact("probe-report")))
        for p in run.artifact("probe-report").rglob("*")
        if p.is_file()
    )
    assert uploaded == ["head-sha.txt", "nested/event.txt"]
    assert TOKEN not in run.log_path.read_text()
    print(f"\npull_request run of probe.yml: {run.seconds:.2f} s")


@pytest.mark.e2e
def test_push_checks_out_the_branch_and_a_second_run_hits_the_cache(
    tmp_path: Path, fixture_repo: FixtureRepo, api: RecordingAPI
) -> None:
    python = python_overlay(tmp_path / "overlay")
    runner = ActRunner(
        tmp_path / "act",
        fixture_repo,
        actions={"probe/probe-action": FIXTURES / "probe-action"},
        python=python,
    )
    pushed = fixture_repo.commit("Retrain")

    first = runner.run(
        PROBE_WORKFLOW,
        "push",
        fixture_repo.push_event(),
        api_url=api.url,
        token=TOKEN,
        env={"PROBE_NAME": "main"},
    )
    second = runner.run(
        PROBE_WORKFLOW, "push", fixture_repo.push_event(), api_url=api.url, token=TOKEN
    )

    assert first.ok, first.tail()
    assert second.ok, second.tail()
    assert first.output("probe", "probe", "head-sha") == pushed
    assert first.output("probe", "probe", "branch") == "main"
    assert first.output("probe", "probe", "greeting") == "hello main\nsecond line"
    assert first.output("probe", "python", "python-path") == str(python)
    assert f"probe: event=push ref=refs/heads/main sha={pushed} " in first.stdout
    assert f"probe: api={api.url} server=https://github.com run_id=1\n" in first.stdout
    assert "run_id=2\n" in second.stdout
    assert [r["path"] for r in api.requests] == [f"/repos/acme/widgets/commits/{pushed}"] * 2
    assert first.output("probe", "cache", "cache-hit") == "false"
    assert second.output("probe", "cache", "cache-hit") == "true"
    print(f"\npush runs of probe.yml: {first.seconds:.2f} s, {second.seconds:.2f} s")


@pytest.mark.e2e
def test_a_failing_step_fails_the_run_and_keeps_what_was_written(
    runner: ActRunner, fixture_repo: FixtureRepo, api: RecordingAPI
) -> None:
    run = runner.run(
        PROBE_WORKFLOW,
        "push",
        fixture_repo.push_event(),
        api_url=api.url,
        token=TOKEN,
        env={"PROBE_FAIL": "true"},
    )

    assert run.returncode == 1
    assert not run.ok
    assert run.jobs == {"probe": "failure"}
    assert run.output("probe", "probe", "head-sha") == fixture_repo.rev()
    assert run.summary("probe").endswith("| 200 |\nsecond step summary\n")
    results = {step.step: step.result for step in run.steps if step.stage == "Main"}
    assert results[("probe",)] == "failure"
    assert results[("second-summary",)] == "success"  # `if: always()`
    assert ("upload",) not in results
    assert not run.artifact("probe-report").exists()
    assert "Error: Job 'probe' failed" in run.log


@pytest.mark.e2e
def test_a_workflow_run_downloads_the_artifact_of_the_run_that_triggered_it(
    runner: ActRunner, fixture_repo: FixtureRepo, api: RecordingAPI
) -> None:
    first = runner.run(
        PROBE_WORKFLOW, "push", fixture_repo.push_event(), api_url=api.url, token=TOKEN, run_id=41
    )
    event = {
        "action": "completed",
        "workflow_run": {"id": 41, "head_sha": fixture_repo.rev(), "event": "push"},
        "repository": fixture_repo.repository_payload(),
    }
    second = runner.run(COMMENT_WORKFLOW, "workflow_run", event, api_url=api.url, token=TOKEN)

    assert first.ok, first.tail()
    assert second.ok, second.tail()
    assert second.run_id == 42
    assert second.output("comment", "read", "head-sha") == fixture_repo.rev()
    assert second.output("comment", "read", "event") == "push"
    assert second.output("comment", "read", "hidden") == "no"


# ---------------------------------------------------------------------------------------------
# act quirks the harness corrects, the checkout stand-in, time limits


INPUTS_ACTION = """\
name: inputs
description: Reports what a composite step sees.
inputs:
  some-input:
    description: Anything.
    default: x
runs:
  using: composite
  steps:
    - shell: bash
      run: |
        echo "input-vars=$(env | grep -c '^INPUT_' || true)"
        python3 -c 'import sys; print("stdout-tty=" + str(sys.stdout.isatty()))'
        "$(command -v bash)" --norc -c 'echo "bash -c: ran"'
"""


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("github_shell", "expected"),
    [
        (True, "input-vars=0\nstdout-tty=False\nbash -c: ran\n"),
        (False, "input-vars=1\nstdout-tty=True\nbash -c: ran\n"),
    ],
)
def test_bash_steps_see_no_inputs_and_no_terminal_like_on_github(
    tmp_path: Path, fixture_repo: FixtureRepo, github_shell: bool, expected: str
) -> None:
    action = write_action(tmp_path / "inputs", INPUTS_ACTION)
    workflow = write_workflow(tmp_path / "wf.yml", "- uses: acme/inputs@v1")
    runner = ActRunner(tmp_path / "act", fixture_repo, actions={"acme/inputs": action})

    run = runner.run(
        workflow,
        "push",
        fixture_repo.push_event(),
        api_url="http://127.0.0.1:9",
        token=TOKEN,
        github_shell=github_shell,
    )

    assert run.ok, run.tail()
    assert run.stdout == expected


@pytest.mark.e2e
def test_checkout_stand_in_follows_the_real_defaults(
    tmp_path: Path, act: ActRunner, fixture_repo: FixtureRepo
) -> None:
    fixture_repo.commit("Second")
    tagged = fixture_repo.tag("v1.0.0")
    steps = f"""
- uses: {CHECKOUT_PIN}
- run: |
    echo "head=$(git rev-parse HEAD) branch=$(git rev-parse --abbrev-ref HEAD)"
    echo "shallow=$(git rev-parse --is-shallow-repository) tags=$(git tag | wc -l)"
    echo "origin=$(git remote get-url origin)"
    git config --get http.https://github.com/.extraheader
"""
    workflow = write_workflow(tmp_path / "wf.yml", steps, on="push")
    event = fixture_repo.push_event("refs/tags/v1.0.0")

    run = act.run(workflow, "push", event, api_url="http://127.0.0.1:9", token=TOKEN)

    assert run.ok, run.tail()
    basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    assert run.stdout.splitlines()[1:] == [
        f"head={tagged} branch=HEAD",
        "shallow=true tags=1",
        f"origin=file://{fixture_repo.origin}",
        f"AUTHORIZATION: basic {basic}",
    ]


@pytest.mark.e2e
def test_checkout_stand_in_on_a_pull_request_gets_the_test_merge_commit(
    tmp_path: Path, act: ActRunner, fixture_repo: FixtureRepo
) -> None:
    fixture_repo.branch("feature")
    head = fixture_repo.commit("Feature")
    event = fixture_repo.open_pull_request(9, head="feature")
    steps = f"""
- uses: {CHECKOUT_PIN}
  with:
    fetch-depth: 0
- uses: {CHECKOUT_PIN}
  with:
    ref: main
    path: other
- run: |
    echo "head=$(git rev-parse HEAD) second-parent=$(git rev-parse HEAD^2)"
    echo "branch=$(git rev-parse --abbrev-ref HEAD) main=$(git rev-parse origin/main)"
    echo "other=$(git -C other rev-parse --abbrev-ref HEAD) $(git -C other rev-parse HEAD)"
"""
    workflow = write_workflow(tmp_path / "wf.yml", steps, on="pull_request")

    run = act.run(workflow, "pull_request", event, api_url="http://127.0.0.1:9", token=TOKEN)

    assert run.ok, run.tail()
    main = fixture_repo.origin_rev("refs/heads/main")
    assert run.stdout.splitlines()[2:] == [
        f"head={event['pull_request']['merge_commit_sha']} second-parent={head}",
        f"branch=HEAD main={main}",
        f"other=main {main}",
    ]


@pytest.mark.e2e
def test_cache_stand_in_restores_a_seeded_entry_into_runner_temp_and_saves_the_new_key(
    tmp_path: Path, act: ActRunner, fixture_repo: FixtureRepo
) -> None:
    seeded = tmp_path / "seeded"
    (seeded / "sub").mkdir(parents=True)
    (seeded / "sub" / "wheel.txt").write_text("from an earlier run\n")
    seed_cache(act.root / "caches", "deps-old", {"$RUNNER_TEMP/deps": seeded})
    steps = """
- id: cache
  uses: actions/cache@5a3ec84eff668545956fd18022155c47e93e2684
  with:
    path: ${{ runner.temp }}/deps
    key: deps-new
    restore-keys: deps-
- run: |
    cat "$RUNNER_TEMP/deps/sub/wheel.txt"
    echo "added in this run" > "$RUNNER_TEMP/deps/new.txt"
"""
    workflow = write_workflow(tmp_path / "wf.yml", steps)

    run = act.run(
        workflow, "push", fixture_repo.push_event(), api_url="http://127.0.0.1:9", token=TOKEN
    )

    assert run.ok, run.tail()
    assert run.output("job", "cache", "cache-hit") == "false"
    assert run.output("job", "cache", "cache-matched-key") == "deps-old"
    assert "from an earlier run\n" in run.stdout
    saved = sorted(act.root.joinpath("caches").glob("*/meta.json"))
    metas = {json.loads(meta.read_text())["key"]: meta.parent for meta in saved}
    assert sorted(metas) == ["deps-new", "deps-old"]
    assert json.loads((metas["deps-new"] / "meta.json").read_text())["paths"] == ["../tmp/deps"]
    assert (metas["deps-new"] / "files/0/new.txt").read_text() == "added in this run\n"


@pytest.mark.e2e
def test_a_run_that_exceeds_its_timeout_is_killed_with_its_steps(
    tmp_path: Path, act: ActRunner, fixture_repo: FixtureRepo
) -> None:
    pids = tmp_path / "step.pids"
    step = f"- run: trap '' HUP; echo $$ > {pids}; sleep 30 & echo $! >> {pids}; wait"
    workflow = write_workflow(tmp_path / "wf.yml", step)
    started = time.monotonic()

    with pytest.raises(ActTimeout, match=r"act did not finish within 1 s and was killed; log: "):
        act.run(
            workflow,
            "push",
            fixture_repo.push_event(),
            api_url="http://127.0.0.1:9",
            token=TOKEN,
            timeout=1,
        )

    assert time.monotonic() - started < 3
    shell, sleep = map(int, pids.read_text().split())
    assert not process_alive(shell, within=2.0)
    assert not process_alive(sleep, within=2.0)


def process_alive(pid: int, within: float) -> bool:
    """Whether ``pid`` still runs (exists, not a zombie) after waiting up to ``within`` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat")
        if not stat.exists() or stat.read_text().split(") ")[1].startswith("Z"):
            return False
        time.sleep(0.05)
    return True


# ---------------------------------------------------------------------------------------------
# mapping uses: to stand-ins (no act run)


def test_parse_uses_reads_owner_repo_path_and_ref() -> None:
    assert parse_uses(CHECKOUT_PIN) == ActionRef(
        "actions", "checkout", "", "11bd71901bbe5b1630ceea73d27597364c9af683"
    )
    assert parse_uses("actions/cache/save@v4") == ActionRef("actions", "cache", "save", "v4")
    assert parse_uses("./.github/actions/local") is None
    with pytest.raises(HarnessError, match="'uses: docker://alpine:3' needs Docker"):
        parse_uses("docker://alpine:3")


def test_every_uses_of_the_probe_workflow_maps_to_a_stand_in() -> None:
    mapping = resolve_actions(PROBE_WORKFLOW, {"probe/probe-action": FIXTURES / "probe-action"})

    assert mapping == {
        CHECKOUT_PIN: STANDINS / "actions/checkout",
        "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065": STANDINS
        / "actions/setup-python",
        "astral-sh/setup-uv@f0ec1fc3b38f5e7cd731bb6ce540c5af426746bb": STANDINS
        / "astral-sh/setup-uv",
        "actions/cache@5a3ec84eff668545956fd18022155c47e93e2684": STANDINS / "actions/cache",
        "probe/probe-action@0123456789abcdef0123456789abcdef01234567": FIXTURES / "probe-action",
        "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02": STANDINS
        / "actions/upload-artifact",
        "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093": STANDINS
        / "actions/download-artifact",
    }


def test_every_uses_of_the_real_templates_and_action_has_a_stand_in(project_action: Path) -> None:
    templates = sorted((PROJECT_ROOT / "workflows-templates").glob("*.yml"))

    mappings = [resolve_actions(path, {PROJECT_ACTION: project_action}) for path in templates]

    assert templates  # and resolve_actions raised MissingStandIn for no uses: of theirs
    for mapping in mappings:
        assert any(key.startswith(f"{PROJECT_ACTION}@") for key in mapping)
    inner = {ref.key for ref in map(parse_uses, uses_in(project_action / "action.yml")) if ref}
    assert inner <= set().union(*mappings)


def test_the_project_action_and_the_actions_it_uses_are_mapped(tmp_path: Path) -> None:
    project = write_action(
        tmp_path / "project",
        "name: p\ndescription: d\nruns:\n  using: composite\n  steps:\n"
        "    - uses: actions/cache/restore@0000000000000000000000000000000000000001\n"
        "      with: {path: x, key: y}\n",
    )
    workflow = write_workflow(tmp_path / "wf.yml", f"- uses: {PROJECT_ACTION}@abc123")

    mapping = resolve_actions(workflow, {PROJECT_ACTION: project})

    assert mapping == {
        f"{PROJECT_ACTION}@abc123": project,
        "actions/cache@0000000000000000000000000000000000000001": STANDINS / "actions/cache",
    }


def test_a_uses_without_stand_in_is_refused_before_act_starts(tmp_path: Path) -> None:
    workflow = write_workflow(
        tmp_path / "wf.yml", f"- uses: {CHECKOUT_PIN}\n- uses: nobody/nothing@v1"
    )

    with pytest.raises(MissingStandIn) as raised:
        resolve_actions(workflow)

    assert str(raised.value) == (
        f"No local stand-in for: 'nobody/nothing@v1' (in {workflow}): no action.yml in "
        f"{STANDINS}/nobody/nothing. Add a composite action at {STANDINS}/<owner>/<repo>/"
        "action.yml or map owner/repo with actions=."
    )


def test_project_snapshot_holds_git_visible_files_only(project_action: Path) -> None:
    assert (project_action / "pyproject.toml").is_file()
    assert (project_action / "mlci" / "__init__.py").is_file()
    assert not (project_action / ".venv").exists()
    assert not list(project_action.rglob("__pycache__"))


def test_python_overlay_installs_apart_and_imports_from_the_base(tmp_path: Path) -> None:
    python = python_overlay(tmp_path / "overlay")
    code = "import sys, yaml; print(sys.prefix); print(yaml.__file__)"

    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)

    prefix, yaml_file = done.stdout.splitlines()
    assert prefix == str(tmp_path / "overlay")
    assert yaml_file.startswith(sys.prefix)


def test_fixture_repo_creates_github_pull_request_refs(fixture_repo: FixtureRepo) -> None:
    base = fixture_repo.rev()
    fixture_repo.branch("feature")
    head = fixture_repo.commit("Change")

    event = fixture_repo.open_pull_request(3, head="feature", head_repo="fork/widgets")

    merge = event["pull_request"]["merge_commit_sha"]
    assert fixture_repo.origin_rev("refs/pull/3/head") == head
    assert fixture_repo.origin_rev("refs/pull/3/merge") == merge
    parents = subprocess.run(
        ["git", "-C", str(fixture_repo.origin), "rev-parse", f"{merge}^1", f"{merge}^2"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert parents == [base, head]
    assert event["pull_request"]["head"]["repo"]["full_name"] == "fork/widgets"
    assert (fixture_repo.remotes / "fork/widgets.git").is_dir()
