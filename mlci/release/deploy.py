"""Run the configured deploy command on the release bundle.

The command runs like a ``run:`` step with ``shell: bash`` (``bash --noprofile --norc -eo
pipefail -c``; ``sh -ec`` where there is no bash), in the directory of mlci.yml, with the job's
environment plus:

- ``MLCI_BUNDLE_DIR``: the absolute path of the bundle (model files, card, metrics, record);
- ``MLCI_VERSION`` (``1.4.0``), ``MLCI_TAG`` (``v1.4.0``), ``MLCI_COMMIT`` (the full sha);
- ``MLCI_ENVIRONMENT`` (the deployment's environment) and ``MLCI_RELEASE_URL``.

No GitHub token and no git credentials are passed on (:func:`mlci.userenv.user_environment`
says which variables are dropped): a deploy needs its own credentials, set on the step.
Output (stdout and stderr together) is streamed as it comes and its last lines are kept for the
failure message; the exit code decides the deployment status. A command still running after
the timeout is stopped (its whole process group) and fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from mlci.config import Config
from mlci.github.release import PublishedRelease, ReleaseClient
from mlci.github.settings import Settings
from mlci.github.workflow import endgroup, format_annotation, group
from mlci.release.bundle import Bundle
from mlci.release.version import TagInfo, Target
from mlci.userenv import user_environment

TAIL_LINES = 20
KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL after a timeout


@dataclass(frozen=True)
class DeployResult:
    """How the deploy command ended. ``exit_code`` is None when it timed out."""

    exit_code: int | None
    tail: str  # its last lines of output
    seconds: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def describe(self) -> str:
        if self.timed_out:
            return f"the deploy command timed out after {self.seconds:.1f} s"
        if self.ok:
            return f"the deploy command succeeded in {self.seconds:.1f} s"
        return f"the deploy command exited with {self.exit_code} after {self.seconds:.1f} s"


def deploy_environment(
    base: Mapping[str, str],
    *,
    bundle_dir: Path,
    tag: TagInfo,
    commit: str,
    environment: str,
    release_url: str = "",
    secrets: Iterable[str] = (),
) -> dict[str, str]:
    """The deploy command's environment: ``base`` without credentials (any token in it, any in
    ``secrets``, git's auth channels), plus the MLCI_* values."""
    env = user_environment(base, secrets=secrets)
    env.update(
        MLCI_BUNDLE_DIR=str(bundle_dir.resolve()),
        MLCI_VERSION=tag.version,
        MLCI_TAG=tag.tag,
        MLCI_COMMIT=commit,
        MLCI_ENVIRONMENT=environment,
        MLCI_RELEASE_URL=release_url,
    )
    return env


def shell_command(command: str) -> list[str]:
    """The argv that runs ``command`` as a bash step would (sh where bash is missing)."""
    bash = shutil.which("bash")
    if bash:
        return [bash, "--noprofile", "--norc", "-eo", "pipefail", "-c", command]
    return ["/bin/sh", "-ec", command]


def run_deploy(
    command: str, *, cwd: Path, env: Mapping[str, str], timeout: float, out: TextIO
) -> DeployResult:
    """Run ``command``, streaming its output to ``out``; stop it after ``timeout`` seconds."""
    started = time.monotonic()
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    try:
        proc = subprocess.Popen(
            shell_command(command),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        line = f"mlci: could not start the deploy command: {exc.strerror}"
        print(line, file=out)
        return DeployResult(127, line, 0.0)
    expired = threading.Event()
    timer = threading.Timer(timeout, _stop, args=(proc, expired))
    timer.daemon = True
    timer.start()
    try:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            print(line, file=out, flush=True)
            tail.append(line)
        code = proc.wait()
    finally:
        timer.cancel()
    seconds = time.monotonic() - started
    if expired.is_set():
        return DeployResult(None, "\n".join(tail), seconds, timed_out=True)
    return DeployResult(code, "\n".join(tail), seconds)


def _stop(proc: subprocess.Popen[bytes], expired: threading.Event) -> None:
    """Terminate the command's process group, then kill it if it lingers."""
    expired.set()
    for sig, wait in ((signal.SIGTERM, KILL_GRACE), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        if wait is None:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def deploy_release(
    config: Config,
    target: Target,
    bundle: Bundle,
    client: ReleaseClient,
    settings: Settings,
    env: Mapping[str, str],
    published: PublishedRelease,
    stdout: TextIO,
) -> tuple[bool, dict[str, Any] | None]:
    """Record a GitHub deployment of the published release and run the deploy command in it;
    (succeeded, what happened), nothing when no ``release.deploy`` is configured."""
    deploy = config.release.deploy
    if deploy is None:
        print("mlci: no release.deploy configured: nothing to deploy.", file=stdout)
        return True, None
    environment = config.release.environment
    payload = {
        "mlci": {
            "name": config.name,
            "tag": target.tag.tag,
            "commit": target.commit,
            "run_id": settings.run_id,
            "attempt": uuid.uuid4().hex,
        }
    }
    deployment = client.create_deployment(
        ref=target.tag.tag,
        environment=environment,
        payload=payload,
        description=f"mlci: {config.name} {target.tag.version}",
    )
    urls = {"log_url": settings.run_url, "environment_url": deploy.url or published.release.url}
    client.set_deployment_status(deployment, "in_progress", description="deploying", **urls)
    run_env = deploy_environment(
        env,
        bundle_dir=bundle.directory,
        tag=target.tag,
        commit=target.commit,
        environment=environment,
        release_url=published.release.url,
        secrets=[settings.token],
    )
    print(group(f"Deploy {target.tag.tag} to {environment}: {deploy.command}"), file=stdout)
    result = run_deploy(
        deploy.command,
        cwd=config.root,
        env=run_env,
        timeout=60.0 * deploy.timeout_minutes,
        out=stdout,
    )
    print(endgroup(), file=stdout)
    state = "success" if result.ok else "failure"
    client.set_deployment_status(deployment, state, description=result.describe(), **urls)
    print(
        f"mlci: deployment {deployment.id} to {environment}: {state} ({result.describe()}).",
        file=stdout,
    )
    if not result.ok:
        message = f"The deployment of {target.short} to {environment} failed: {result.describe()}."
        print(format_annotation("error", message, title="mlci release"), file=stdout)
    done = {
        "id": deployment.id,
        "environment": environment,
        "state": state,
        "exit_code": result.exit_code,
    }
    return result.ok, done
