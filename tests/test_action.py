"""The composite action (action.yml): its metadata, and its shell steps run for real.

Each `run:` step is executed the way the runner executes it (`bash --noprofile --norc -eo
pipefail FILE`, the step's `env:` given concrete values, a GITHUB_OUTPUT file), so the tests check
what the action does, not only how it looks. The install step runs scripts/install-mlci against a
persistent uv cache (cold the first time on a machine, then seconds).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement

pytestmark = pytest.mark.integration  # the action's bash steps, and its install

REPO = Path(__file__).resolve().parents[1]
ACTION = REPO / "action.yml"
BIN = Path(sys.executable).parent

INPUTS = {
    "config": "mlci.yml",
    "github-token": "${{ github.token }}",
    "working-directory": ".",
    "comment": "true",
    "fail-on-gate": "true",
    "python-version": "",
    "output-dir": "mlci-out",
    "command": "run",
    "report-dir": "",
    "bootstrap": "false",
    "cache": "true",
    "jobs": "auto",
}
OUTPUTS = ("verdict", "report-json", "report-markdown", "comment-url", "report-html", "release-url")
PINNED_USES = re.compile(
    r"^\s*(?:-\s+)?uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v\d+\.\d+\.\d+$"
)


def _action() -> dict[str, Any]:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def _step(step_id: str) -> dict[str, Any]:
    steps = _action()["runs"]["steps"]
    return next(s for s in steps if s.get("id") == step_id)


def _outputs(path: Path) -> dict[str, str]:
    """Parse the simple `key=value` lines of a GITHUB_OUTPUT file."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return dict(line.split("=", 1) for line in lines)


def _machine_env() -> dict[str, str]:
    """This process's environment (certificates, proxies, HOME) without any CI variables."""
    ci = ("GITHUB_", "RUNNER_", "MLCI_", "INPUT_", "ACTIONS_", "UV_", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if not k.startswith(ci)}


def run_step(
    step_id: str,
    env: dict[str, str],
    tmp_path: Path,
    *,
    runner_env: dict[str, str] | None = None,
    action_path: Path = REPO,
    path_dirs: tuple[Path, ...] = (),
    timeout: float = 60,
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run one `run:` step of action.yml as the runner would; return the process and its outputs.

    ``env`` must give a value to exactly the variables the step's `env:` declares, so a change of
    the step's contract breaks the test instead of being papered over. ``runner_env`` adds the
    runner's default variables (GITHUB_HEAD_REF, ...), which need no `env:`.
    """
    step = _step(step_id)
    assert set(env) == set(step.get("env", {})), f"env of step {step_id!r} changed"
    script = tmp_path / f"step-{step_id}.sh"
    script.write_text(step["run"], encoding="utf-8")
    output = tmp_path / f"output-{step_id}"
    output.unlink(missing_ok=True)
    path = os.pathsep.join([*map(str, path_dirs), "/usr/bin", "/bin"])
    full_env = {
        **_machine_env(),
        "PATH": path,
        "GITHUB_OUTPUT": str(output),
        "GITHUB_ACTION_PATH": str(action_path),
        "RUNNER_TEMP": str(tmp_path / "runner-temp"),
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": "X64",
        **(runner_env or {}),
        **env,
    }
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        env=full_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return proc, _outputs(output)


# -- metadata -------------------------------------------------------------------------------------


def test_metadata_is_complete() -> None:
    action = _action()
    assert action["name"] and action["description"] and action["author"]
    assert action["branding"] == {"icon": "check-circle", "color": "green"}
    assert action["runs"]["using"] == "composite"


def test_inputs_are_the_documented_set_with_their_defaults() -> None:
    inputs = _action()["inputs"]
    assert {name: spec["default"] for name, spec in inputs.items()} == INPUTS
    for name, spec in inputs.items():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", name), name
        assert spec["required"] is False, name


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_every_input_description_says_when_it_matters_and_its_default(name: str) -> None:
    description = _action()["inputs"][name]["description"]
    assert len(description) > 60, name
    default = INPUTS[name]
    shown = default.removeprefix("${{").removesuffix("}}").strip() if "${{" in default else default
    stated = description.split("Default:", 1)[1]
    assert (shown or "''") in stated, f"{name}: says {stated!r}, default is {default!r}"


def test_outputs_say_when_they_are_set_and_map_the_mlci_step() -> None:
    outputs = _action()["outputs"]
    assert tuple(outputs) == OUTPUTS
    for name, spec in outputs.items():
        assert re.search(r"\b[Ss]et\b", spec["description"]), name
        assert spec["value"] == f"${{{{ steps.mlci.outputs.{name} }}}}"


def test_every_input_is_used_and_only_through_env() -> None:
    action = _action()
    used: set[str] = set()
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]
        values = [*step.get("env", {}).values(), *step.get("with", {}).values()]
        values += [step.get("if", ""), step.get("working-directory", "")]
        used |= set(re.findall(r"inputs\.([a-z-]+)", " ".join(map(str, values))))
    assert used == set(INPUTS)


def test_shell_steps_are_strict_bash() -> None:
    for step in _action()["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash", step["name"]
            assert step["run"].startswith("set -euo pipefail\n"), step["name"]
            assert "set -x" not in step["run"], step["name"]


def test_every_uses_is_pinned_to_a_commit_with_its_version() -> None:
    text = ACTION.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if re.match(r"\s*(-\s+)?uses:", line)]
    assert len(lines) == 2
    assert all(PINNED_USES.match(line) for line in lines), lines
    pinned = {line.split("uses:")[1].split("@")[0].strip() for line in lines}
    assert pinned == {"actions/setup-python", "actions/cache"}


def test_the_token_reaches_only_mlci_and_is_never_printed() -> None:
    steps = _action()["runs"]["steps"]
    holders = [s["id"] for s in steps if "inputs.github-token" in str(s.get("env", {}))]
    assert holders == ["mlci"]
    assert _step("mlci")["env"]["MLCI_GITHUB_TOKEN"] == "${{ inputs.github-token }}"
    for step in steps:
        assert "TOKEN" not in step.get("run", ""), step["name"]


def test_shell_code_passes_shellcheck(tmp_path: Path) -> None:
    files = [REPO / "scripts" / "install-mlci", REPO / "scripts" / "lock"]
    for step in _action()["runs"]["steps"]:
        if "run" in step:
            files.append(tmp_path / f"{step['id']}.sh")
            files[-1].write_text("#!/usr/bin/env bash\n" + step["run"], encoding="utf-8")
    proc = subprocess.run(
        [str(BIN / "shellcheck"), "--format=json1", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert json.loads(proc.stdout)["comments"] == [], proc.stdout


# -- step: Check the inputs and choose the Python -------------------------------------------------


def _fake_python3(directory: Path, *, usable: bool) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    fake = directory / "python3"
    if usable:
        fake.symlink_to(sys.executable)
    else:  # a python3 that is too old (or lacks pip): the check exits non-zero
        fake.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
        fake.chmod(0o755)
    return fake


def _check(
    tmp_path: Path, python3: Path | None = None, /, **inputs: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run the first step with the action's default inputs, overridden by ``inputs``."""
    env = {
        "MLCI_COMMAND": inputs.get("command", "run"),
        "MLCI_REPORT_DIR": inputs.get("report_dir", ""),
        "MLCI_COMMENT": inputs.get("comment", "true"),
        "MLCI_FAIL_ON_GATE": inputs.get("fail_on_gate", "true"),
        "MLCI_CACHE": inputs.get("cache", "true"),
        "MLCI_BOOTSTRAP": inputs.get("bootstrap", "false"),
        "MLCI_JOBS": inputs.get("jobs", "auto"),
        "MLCI_PYTHON_VERSION": inputs.get("python_version", ""),
    }
    path_dirs = (python3.parent,) if python3 else ()
    return run_step("python", env, tmp_path, path_dirs=path_dirs)


def test_python_uses_the_runners_python3_when_it_is_usable(tmp_path: Path) -> None:
    fake = _fake_python3(tmp_path / "bin", usable=True)
    proc, out = _check(tmp_path, fake)
    assert proc.returncode == 0, proc.stderr
    assert out == {"setup": "false", "path": str(fake)}


def test_python_installs_3_12_when_the_runners_python3_is_unusable(tmp_path: Path) -> None:
    fake = _fake_python3(tmp_path / "bin", usable=False)
    proc, out = _check(tmp_path, fake)
    assert proc.returncode == 0, proc.stderr
    assert out == {"setup": "true", "version": "3.12"}
    assert "no python3 >= 3.10 with pip on this runner; installing 3.12" in proc.stdout


def test_python_version_input_always_uses_setup_python(tmp_path: Path) -> None:
    fake = _fake_python3(tmp_path / "bin", usable=True)
    proc, out = _check(tmp_path, fake, python_version="3.11")
    assert proc.returncode == 0, proc.stderr
    assert out == {"setup": "true", "version": "3.11"}


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"command": "publish"}, "Input report-dir is required by command: publish."),
        ({"command": "deploy"}, "Input command must be run, publish or release. Got 'deploy'."),
        ({"comment": "yes"}, "Input comment must be 'true' or 'false'. Got 'yes'."),
        ({"fail_on_gate": "False"}, "Input fail-on-gate must be 'true' or 'false'. Got 'False'."),
        ({"cache": ""}, "Input cache must be 'true' or 'false'. Got ''."),
        ({"bootstrap": "yes"}, "Input bootstrap must be 'true' or 'false'. Got 'yes'."),
        ({"jobs": "0"}, "Input jobs must be 'auto' or a whole number from 1 to 999. Got '0'."),
        (
            {"jobs": "2 --no-store"},
            "Input jobs must be 'auto' or a whole number from 1 to 999. Got '2 --no-store'.",
        ),
        ({"jobs": ""}, "Input jobs must be 'auto' or a whole number from 1 to 999. Got ''."),
    ],
)
def test_bad_inputs_fail_first_with_one_annotation(
    tmp_path: Path, inputs: dict[str, str], message: str
) -> None:
    proc, out = _check(tmp_path, **inputs)
    assert proc.returncode == 2
    assert proc.stdout == f"::error title=mlci::{message}\n"
    assert out == {}


def test_good_inputs_pass_the_check(tmp_path: Path) -> None:
    for inputs in (
        {"command": "publish", "report_dir": "r"},
        {"command": "release"},
        {"command": "release", "bootstrap": "true"},
        {"comment": "false", "fail_on_gate": "false", "cache": "false"},
        {"jobs": "1"},
        {"jobs": "16"},
    ):
        proc, _ = _check(tmp_path, **inputs)
        assert proc.returncode == 0, (inputs, proc.stdout)


def test_an_input_cannot_inject_a_workflow_command(tmp_path: Path) -> None:
    proc, _ = _check(tmp_path, command="x\n::add-mask::%y\r")
    assert proc.returncode == 2
    assert proc.stdout.splitlines() == [
        "::error title=mlci::Input command must be run, publish or release. "
        "Got 'x%0A::add-mask::%25y%0D'."
    ]


def test_setup_python_runs_only_when_asked_and_leaves_the_environment_alone() -> None:
    step = _step("setup-python")
    assert step["if"] == "steps.python.outputs.setup == 'true'"
    assert step["with"] == {
        "python-version": "${{ steps.python.outputs.version }}",
        "update-environment": False,
    }


# -- step: Prepare (cache key) --------------------------------------------------------------------


def _prepare(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    proc, out = run_step("prepare", env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    return out


def test_prepare_keys_the_cache_on_os_arch_python_and_the_locks(tmp_path: Path) -> None:
    out = _prepare(tmp_path, {"MLCI_SETUP_PYTHON": "", "MLCI_RUNNER_PYTHON": sys.executable})
    locks = b"".join(
        (REPO / "requirements" / n).read_bytes() for n in ("action.lock", "bootstrap.lock")
    )
    version = "{}.{}".format(*sys.version_info[:2])
    prefix = f"mlci-Linux-X64-py{version}-"
    assert out == {
        "python": sys.executable,
        "cache-dir": f"{tmp_path}/runner-temp/mlci-cache",
        "venv": f"{tmp_path}/runner-temp/mlci-venv",
        "cache-key": prefix + hashlib.sha256(locks).hexdigest()[:16],
        "cache-restore-key": prefix,
    }


def test_prepare_prefers_the_python_setup_python_installed(tmp_path: Path) -> None:
    other = _fake_python3(tmp_path / "other", usable=True)
    out = _prepare(tmp_path, {"MLCI_SETUP_PYTHON": str(other), "MLCI_RUNNER_PYTHON": "/nowhere"})
    assert out["python"] == str(other)


def test_the_cache_step_is_skipped_unless_cache_is_true_and_uses_the_prepared_key() -> None:
    step = next(s for s in _action()["runs"]["steps"] if "actions/cache@" in s.get("uses", ""))
    assert step["if"] == "inputs.cache == 'true'"
    assert step["with"] == {
        "path": "${{ steps.prepare.outputs.cache-dir }}",
        "key": "${{ steps.prepare.outputs.cache-key }}",
        "restore-keys": "${{ steps.prepare.outputs.cache-restore-key }}",
    }


# -- step: Run mlci (argument building) -----------------------------------------------------------

FAKE_MLCI = """#!{python}
import json, os, sys
print(json.dumps({{"argv": sys.argv[1:], "token": os.environ.get("MLCI_GITHUB_TOKEN")}}))
"""


def _run_mlci(
    tmp_path: Path, github: dict[str, str] | None = None, /, **inputs: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """Run the `mlci` step with a stand-in mlci that prints the arguments it was given."""
    fake = tmp_path / "fake-mlci"
    fake.write_text(FAKE_MLCI.format(python=sys.executable), encoding="utf-8")
    fake.chmod(0o755)
    env = {
        "MLCI": str(fake),
        "MLCI_COMMAND": inputs.get("command", "run"),
        "MLCI_CONFIG": inputs.get("config", "mlci.yml"),
        "MLCI_OUTPUT_DIR": inputs.get("output_dir", "mlci-out"),
        "MLCI_REPORT_DIR": inputs.get("report_dir", ""),
        "MLCI_COMMENT": inputs.get("comment", "true"),
        "MLCI_FAIL_ON_GATE": inputs.get("fail_on_gate", "true"),
        "MLCI_BOOTSTRAP": inputs.get("bootstrap", "false"),
        "MLCI_JOBS": inputs.get("jobs", "auto"),
        "MLCI_PR_HEAD_SHA": inputs.get("pr_head_sha", ""),
        "MLCI_GITHUB_TOKEN": "ghs_secret",
    }
    proc, _ = run_step("mlci", env, tmp_path, runner_env=github)
    seen = json.loads(proc.stdout) if proc.returncode == 0 else {}
    return proc, seen


def test_run_passes_the_config_and_output_dir(tmp_path: Path) -> None:
    proc, seen = _run_mlci(tmp_path, config="ml/mlci.yml", output_dir="out dir")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert seen["argv"] == ["run", "--config=ml/mlci.yml", "--output-dir=out dir"]
    assert seen["token"] == "ghs_secret"
    assert "ghs_secret" not in proc.stderr


def test_run_maps_comment_and_fail_on_gate_to_flags(tmp_path: Path) -> None:
    _, seen = _run_mlci(tmp_path, comment="false", fail_on_gate="false")
    assert seen["argv"][3:] == ["--no-comment", "--no-fail-on-gate"]


def test_run_passes_jobs_unless_auto(tmp_path: Path) -> None:
    _, seen = _run_mlci(tmp_path, jobs="3")
    assert seen["argv"][3:] == ["--jobs=3"]
    _, seen = _run_mlci(tmp_path, jobs="auto")
    assert seen["argv"][3:] == []
    _, seen = _run_mlci(tmp_path, command="release", jobs="3")
    assert "--jobs=3" not in seen["argv"]


def test_run_on_a_pull_request_evaluates_the_head_commit_and_passes_no_branch_name(
    tmp_path: Path,
) -> None:
    sha = "a" * 40
    _, seen = _run_mlci(
        tmp_path,
        {
            "GITHUB_HEAD_REF": "main",  # a fork's head branch may be called anything
            "GITHUB_REF_TYPE": "branch",
            "GITHUB_REF_NAME": "7/merge",
        },
        pr_head_sha=sha,
    )
    assert seen["argv"][3:] == [f"--commit={sha}"]


def test_run_on_a_push_or_a_tag_passes_no_branch_name(tmp_path: Path) -> None:
    _, seen = _run_mlci(
        tmp_path, {"GITHUB_HEAD_REF": "", "GITHUB_REF_TYPE": "branch", "GITHUB_REF_NAME": "main"}
    )
    assert seen["argv"][3:] == []
    _, seen = _run_mlci(
        tmp_path, {"GITHUB_HEAD_REF": "", "GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "v1.0.0"}
    )
    assert seen["argv"][3:] == []


def test_publish_and_release_commands(tmp_path: Path) -> None:
    _, seen = _run_mlci(tmp_path, command="publish", report_dir="/tmp/r")
    assert seen["argv"] == ["publish", "--report-dir=/tmp/r", "--config=mlci.yml"]
    several = "mlci.yml\n  models/churn v2.yml  \n\n"  # one per line, blank lines skipped
    _, seen = _run_mlci(tmp_path, command="publish", report_dir="r", config=several)
    assert seen["argv"] == [
        "publish",
        "--report-dir=r",
        "--config=mlci.yml",
        "--config=models/churn v2.yml",
    ]
    _, seen = _run_mlci(tmp_path, command="release")
    assert seen["argv"] == ["release", "--config=mlci.yml", "--output-dir=mlci-out"]
    _, seen = _run_mlci(tmp_path, command="release", bootstrap="true")
    assert seen["argv"] == ["release", "--config=mlci.yml", "--output-dir=mlci-out", "--bootstrap"]


def test_bootstrap_matters_to_release_only(tmp_path: Path) -> None:
    _, seen = _run_mlci(tmp_path, bootstrap="true")
    assert seen["argv"] == ["run", "--config=mlci.yml", "--output-dir=mlci-out"]
    _, seen = _run_mlci(tmp_path, command="publish", report_dir="r", bootstrap="true")
    assert seen["argv"] == ["publish", "--report-dir=r", "--config=mlci.yml"]


def test_run_happens_in_the_working_directory(tmp_path: Path) -> None:
    assert _step("mlci")["working-directory"] == "${{ inputs.working-directory }}"


# -- step: Install mlci (the real install) --------------------------------------------------------


def _persistent_cache() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "mlci" / "test-action-install"


@pytest.mark.slow
def test_install_makes_an_isolated_working_mlci(tmp_path: Path) -> None:
    venv = tmp_path / "runner-temp" / "mlci-venv"
    env = {
        "MLCI_PYTHON": sys.executable,
        "MLCI_VENV": str(venv),
        "MLCI_CACHE_DIR": str(_persistent_cache()),
    }
    action_path = tmp_path / "action"  # a checkout of the action, as the runner makes one
    action_path.mkdir()
    for name in ("action.yml", "pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, action_path / name)
    for name in ("requirements", "scripts", "mlci"):
        shutil.copytree(
            REPO / name, action_path / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    proc, out = run_step("install", env, tmp_path, action_path=action_path, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out == {"mlci": f"{venv}/bin/mlci"}
    assert not list(action_path.glob("build")) + list(action_path.glob("*.egg-info"))
    assert proc.stdout.startswith("mlci ")  # `mlci --version`

    help_ = subprocess.run(
        [out["mlci"], "--help"], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert help_.returncode == 0 and help_.stdout.startswith("usage: mlci"), help_.stderr
    where = subprocess.run(
        [
            f"{venv}/bin/python",
            "-c",
            "import mlci, importlib.resources as r, sys; print(mlci.__file__); "
            "print(r.files('mlci').joinpath('jsonschemas/record.schema.json').is_file()); "
            "print(r.files('mlci').joinpath('py.typed').is_file()); "
            "print(sys.prefix != sys.base_prefix)",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    module, has_schema, typed, in_venv = where.stdout.split()
    assert Path(module).is_relative_to(venv), "mlci must come from the venv, not the source tree"
    assert (has_schema, typed, in_venv) == ("True", "True", "True")  # py.typed: PEP 561


@pytest.mark.slow
def test_install_bootstraps_uv_even_for_a_python_without_pip(tmp_path: Path) -> None:
    """The uv wheel is downloaded (hash-checked) through a throwaway venv's pip, into the cache."""
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "uv").symlink_to(_persistent_cache() / "uv")  # packages warm, uv itself cold
    venv = tmp_path / "venv"
    env = {
        "MLCI_PYTHON": str(bare / "bin" / "python"),
        "MLCI_VENV": str(venv),
        "MLCI_CACHE_DIR": str(cache),
    }
    proc, out = run_step("install", env, tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (uv_home,) = cache.glob("uv-*")
    assert (uv_home / "bin" / "uv").is_file() and not list(cache.glob("uv-*.tmp"))
    assert not list((bare / "lib").glob("python*/site-packages/*")), "the python got packages"
    assert subprocess.run([out["mlci"], "--version"], check=False).returncode == 0


def test_install_script_rejects_wrong_usage() -> None:
    proc = subprocess.run(
        [str(REPO / "scripts" / "install-mlci"), "python3"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr == "usage: scripts/install-mlci PYTHON VENV_DIR CACHE_DIR\n"


# -- the lock files -------------------------------------------------------------------------------


def _pins(lock: Path) -> dict[str, list[tuple[str, str]]]:
    """name -> [(version, marker)] of a hashed requirements file; asserts every pin is hashed."""
    pins: dict[str, list[tuple[str, str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", lock.read_text(encoding="utf-8")):
        if block.startswith("#"):
            continue
        match = re.match(r"([A-Za-z0-9._-]+)==([^\s;\\]+)(?:\s*;\s*([^\\]+?))?\s*\\", block)
        assert match, f"not a hashed pin: {block[:80]!r}"
        assert "--hash=sha256:" in block
        pins.setdefault(_normal(match[1]), []).append((match[2], (match[3] or "").strip()))
    return pins


def _dependencies() -> list[Requirement]:
    """The runtime dependencies listed in pyproject.toml (the test runs on 3.10: no tomllib)."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.M | re.S)
    assert block
    return [Requirement(spec) for spec in re.findall(r'"([^"]+)"', block[1])]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_action_lock_pins_every_runtime_dependency_within_its_range() -> None:
    pins = _pins(REPO / "requirements" / "action.lock")
    for requirement in _dependencies():
        name = _normal(requirement.name)
        assert name in pins, f"{name} is not in requirements/action.lock: run scripts/lock"
        for version, _ in pins[name]:
            assert requirement.specifier.contains(version), f"{name}=={version} vs {requirement}"
    assert "setuptools" in pins  # mlci itself is built with --no-build-isolation
    assert "scripts/lock" in (REPO / "requirements" / "action.lock").read_text()[:200]


@pytest.mark.parametrize("minor", [10, 11, 12, 13])
def test_action_lock_installs_one_version_of_each_dependency_on_python_3(minor: int) -> None:
    environment = {
        "python_version": f"3.{minor}",
        "python_full_version": f"3.{minor}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "os_name": "posix",
    }
    chosen: dict[str, list[str]] = {}
    for name, versions in _pins(REPO / "requirements" / "action.lock").items():
        chosen[name] = [
            v for v, marker in versions if not marker or Marker(marker).evaluate(environment)
        ]
        assert len(chosen[name]) <= 1, f"{name}: {chosen[name]} on 3.{minor}"
    for requirement in _dependencies():
        assert len(chosen[_normal(requirement.name)]) == 1, requirement.name


def test_bootstrap_lock_pins_the_uv_of_the_install_script() -> None:
    script = (REPO / "scripts" / "install-mlci").read_text(encoding="utf-8")
    version = re.search(r"^UV_VERSION=([0-9.]+)", script, re.M)
    assert version
    pins = _pins(REPO / "requirements" / "bootstrap.lock")
    assert pins == {"uv": [(version[1], "")]}
