"""No credential reaches the deploy command: a hostile one looks for the token everywhere user
code can (its environment, git's configuration) and uses whatever it finds against the GitHub
API fake and a git server over HTTP that authenticates like GitHub's. mlci's own git calls, in
the same run, authenticate with the token."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from mlci.git import resolve_commit
from tests.helpers.release import REPO, TOKEN, Project, git, github_env

STEAL = Path(__file__).parent / "hostile" / "steal_credentials.py"
RUNTIME_TOKEN = "tok-actions-runtime-8d2c"


def actions_env(fake: Any, tmp_path: Path, sha: str, server_url: str) -> dict[str, str]:
    """A tag push in GitHub Actions, with the token in every place a workflow may put it."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"ref": "refs/tags/v1.0.0", "repository": {}}))
    basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    return {
        **github_env(fake),
        "GITHUB_SERVER_URL": server_url,  # where git's credentials apply
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REF": "refs/tags/v1.0.0",
        "GITHUB_SHA": sha,
        "MLCI_RELEASE_BOOTSTRAP": "true",
        "MLCI_GITHUB_TOKEN": TOKEN,
        "INPUT_GITHUB-TOKEN": TOKEN,
        "ACTIONS_RUNTIME_TOKEN": RUNTIME_TOKEN,
        "GH_TOKEN": TOKEN,  # set by the workflow for another tool
        "LEFTOVER_HEADER": f"AUTHORIZATION: basic {basic}",
    }


def test_a_hostile_deploy_command_finds_no_credential_to_use(
    project: Project, fake: Any, no_sleep_client: Any, serve_git: Any, tmp_path: Path
) -> None:
    result = tmp_path / "stolen.json"
    sha = project.commit("first model")
    project.run_main()
    project.tag("v1.0.0", fake)
    server = serve_git(project.git.remote.parent, tokens={TOKEN: "write"}, public=True)
    url = server.repo_url(project.git.remote.name)
    git(project.path, "remote", "set-url", "origin", url)
    argv = [sys.executable, str(STEAL), str(result), fake.url, REPO, sha, url]
    project.write_config(
        release={**project.config["release"], "deploy": {"command": shlex.join(argv)}}
    )
    before = {k: v for k, v in os.environ.items() if k.startswith("GIT_CONFIG")}

    code, out, err = project.release(env=actions_env(fake, tmp_path, sha, server.url))

    assert (code, err) == (0, ""), out
    stolen = json.loads(result.read_text())
    # nothing in its environment carries a token, under any name or encoding
    assert stolen["api"], "the probe tried what it found"
    assert all(status in (401, 0) for status in stolen["api"].values()), stolen["api"]
    assert [s for s in fake.snapshot()["statuses"] if s["context"] == "pwned"] == []
    for name in ("MLCI_GITHUB_TOKEN", "GITHUB_TOKEN", "INPUT_GITHUB-TOKEN", "GH_TOKEN"):
        assert name not in stolen["env"]
    assert not any(k.startswith(("GIT_CONFIG", "ACTIONS_")) for k in stolen["env"])
    assert TOKEN not in json.dumps(stolen)
    # git finds no credential either: the push is refused for want of one
    assert stolen["push_code"] != 0
    assert "extraheader" not in stolen["git_config"].lower()
    assert resolve_commit(project.git.remote, "refs/heads/pwned") is None
    assert {s.token for s in server.seen if s.service == "git-receive-pack"} == {None}
    # while mlci's own fetch of the records branch, in the same run, carried the token
    assert any(s.token == TOKEN and s.service == "git-upload-pack" for s in server.seen)
    assert {k: v for k, v in os.environ.items() if k.startswith("GIT_CONFIG")} == before
    assert "mlci: deployment" in out and ": success (" in out
    # the probe's attempts were real: with the token it would have set the status
    assert steal_module().try_api(fake.url, REPO, sha, TOKEN) == 201


def steal_module() -> Any:
    spec = importlib.util.spec_from_file_location("steal_credentials", STEAL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_nor_in_the_environment_of_mlci_itself_as_other_processes_read_it(
    project: Project, fake: Any, serve_git: Any, tmp_path: Path
) -> None:
    """`mlci release` as its own process, with the token in its initial environment (as the
    action starts it): the deploy command reads /proc/<pid>/environ of every process above it."""
    result = tmp_path / "stolen.json"
    sha = project.commit("first model")
    project.run_main()
    project.tag("v1.0.0", fake)
    server = serve_git(project.git.remote.parent, tokens={TOKEN: "write"}, public=True)
    url = server.repo_url(project.git.remote.name)
    git(project.path, "remote", "set-url", "origin", url)
    argv = [sys.executable, str(STEAL), str(result), fake.url, REPO, sha, url]
    project.write_config(
        release={**project.config["release"], "deploy": {"command": shlex.join(argv)}}
    )
    env = {**os.environ, **actions_env(fake, tmp_path, sha, server.url)}
    command = [sys.executable, "-m", "mlci", "release", "-c", str(project.path / "mlci.yml")]
    command += ["--output-dir", str(tmp_path / "out")]

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, done.stdout + done.stderr
    stolen = json.loads(result.read_text())
    mlci_pid = next(
        pid for pid, text in stolen["ancestors"].items() if "MLCI_RELEASE_BOOTSTRAP" in text
    )
    assert "MLCI_GITHUB_TOKEN=" in stolen["ancestors"][mlci_pid]  # the variable, not its value
    assert TOKEN not in json.dumps(stolen)
    assert all(status in (401, 0) for status in stolen["api"].values()), stolen["api"]
    assert stolen["push_code"] != 0
