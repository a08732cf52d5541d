"""`mlci rollback TAG`: re-deploy an earlier published release, verified, as a new Deployment.

    TAG ─► its published release ─► every asset downloaded through the API
        ─► SHA256SUMS verified (every file listed, none missing, none extra; the API's digests
           agree) and record.json of this config ──tampered──► exit 2, nothing deployed
        ─► the live release (the one replaced) ─► a new Deployment of TAG: in_progress
        ─► release.deploy's command on the downloaded bundle (credentials scrubbed) ─► status
        ─► success: the replaced deployment marked inactive; TAG's notes say it replaced it and
           how the gates compared (the replaced release judged as the previous one, strict)

Nothing is re-evaluated or re-released: the bundle deployed is the bytes the release shipped.
The deploy command is the checked-out config's (`release.deploy`), run exactly as `mlci release`
runs it (:mod:`mlci.release.deploy`), with ``MLCI_ROLLBACK=true`` and ``MLCI_REPLACED_TAG``.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from mlci import git
from mlci.config import Config, load_config
from mlci.errors import EXIT_GATE_FAILED, EXIT_PASS, MlciError, RecordError
from mlci.files import write_atomic
from mlci.github.actions import detect
from mlci.github.client import ReadOnlyToken
from mlci.github.deployments import Deployed, DeploymentsClient
from mlci.github.release import AssetInfo, DeploymentInfo, ReleaseInfo, compose_notes
from mlci.github.settings import Settings
from mlci.github.workflow import endgroup, format_annotation, group, write_outputs, write_summary
from mlci.monitor.release import download_release_record
from mlci.paths import check_output
from mlci.records.format import Record
from mlci.release.bundle import CHECKSUMS, RECORD, dumps_json, verify_bundle
from mlci.release.check import PreviousRelease, ReleaseCheck, check_release
from mlci.release.deploy import DeployResult, deploy_environment, run_deploy
from mlci.release.notes import rollback_marker, rollback_section
from mlci.release.version import TagInfo, parse_tag
from mlci.userenv import conceal_from_proc, tokens_in

ClientFactory = Callable[[Settings], DeploymentsClient]
BUNDLE_DIR = "rollback-bundle"
RESULT_FILE = "rollback.json"
PERMISSIONS_HINT = (
    "Give the rollback job `permissions: contents: write` (the release notes) and "
    "`deployments: write` (the deployment), and pass its token as `github-token`."
)
_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"


@dataclass(frozen=True)
class Verified:
    """A downloaded bundle whose every file matches its SHA256SUMS."""

    directory: Path
    files: tuple[tuple[str, int, str], ...]  # name, size, sha256
    record: Record


@dataclass(frozen=True)
class Rollback:
    """What is rolled back where: the release, its verified bundle and the deployment replaced."""

    config: Config
    tag: TagInfo
    release: ReleaseInfo
    verified: Verified
    replaced: Deployed | None

    @property
    def environment(self) -> str:
        return self.config.release.environment


def rollback_command(
    config_path: Path,
    *,
    tag: str,
    output_dir: Path,
    environ: Mapping[str, str],
    stdout: TextIO,
    client_factory: ClientFactory | None = None,
) -> int:
    """Re-deploy release ``tag``: 0 deployed, 1 the deploy command failed, 2 refused.

    Parameters:
        config_path: mlci.yml (its ``name``, ``release.environment`` and ``release.deploy``).
        tag: the release to re-deploy.
        output_dir: the verified bundle goes to ``<output_dir>/rollback-bundle``, the outcome
            to ``<output_dir>/rollback.json``.
        environ: the environment (``GITHUB_*``, the token).
        client_factory: makes the GitHub client from the settings (tests inject retries).
    """
    config = load_config(config_path)
    if config.release.deploy is None:
        raise MlciError(
            f"{config.path.name}: no `release.deploy` configured: there is no deploy command to "
            "roll back with. Add release.deploy.command (docs/releasing.md)."
        )
    actions = detect(environ)
    settings = actions.settings if actions is not None else Settings.from_environ(environ)
    repo = git.repo_root(config.root)
    for path in (output_dir, output_dir / BUNDLE_DIR):
        check_output(path, repo, "--output-dir")
    conceal_from_proc([*tokens_in(environ), settings.token])  # the deploy command runs below
    client = (client_factory or _default_client)(settings)
    try:
        verified = download_verified(config, client, tag, output_dir / BUNDLE_DIR, stdout)
        _check_tag(repo, tag, verified.record)
        release = client.release_by_tag(tag)
        assert release is not None  # download_verified found it
        replaced = client.live(config.release.environment, config.name)
        rollback = Rollback(config, parse_tag(tag), release, verified, replaced)
        return _redeploy(rollback, client, settings, environ, output_dir, stdout)
    except ReadOnlyToken as exc:
        raise MlciError(f"{exc} {PERMISSIONS_HINT}") from None
    finally:
        client.close()


def _default_client(settings: Settings) -> DeploymentsClient:
    return DeploymentsClient(settings)


# -- the verified bundle ---------------------------------------------------------------------------


def download_verified(
    config: Config, client: DeploymentsClient, tag: str, directory: Path, stdout: TextIO
) -> Verified:
    """Download release ``tag``'s assets into ``directory`` and verify them; a tampered or
    incomplete bundle is refused (MlciError) and removed."""
    release = client.release_by_tag(tag)
    if release is None:
        raise MlciError(
            f"No published release {tag!r}: roll back to a release `mlci release` published "
            "(drafts are not releases)."
        )
    assets = client.list_assets(release.id)
    for asset in assets:
        if not asset.name or asset.name[0] in "._-" or any(c not in _SAFE for c in asset.name):
            raise MlciError(f"Release {tag} has an asset named {asset.name!r}: refused.")
    names = {a.name for a in assets}
    for needed in (CHECKSUMS, RECORD):
        if needed not in names:
            raise MlciError(
                f"Release {tag} has no {needed}: it was not published by `mlci release`, so its "
                "bundle cannot be verified. Refusing to roll back to it."
            )
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".rollback-", dir=directory.parent))
    try:
        for asset in assets:
            client.download_asset(asset, staging / asset.name)
            print(f"mlci: downloaded {asset.name} ({asset.size:,} bytes).", file=stdout)
        verified = _verify(config, tag, staging, assets)
        _replace(directory, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    print(f"mlci: every asset of {tag} matches its SHA256SUMS.", file=stdout)
    return Verified(directory, verified.files, verified.record)


def _verify(config: Config, tag: str, staging: Path, assets: list[AssetInfo]) -> Verified:
    try:
        problems = verify_bundle(staging)
    except (ValueError, UnicodeDecodeError) as exc:
        problems = [f"{CHECKSUMS}: cannot be read ({exc})"]
    files = []
    for asset in assets:
        size, digest = _sha256(staging / asset.name)
        if asset.digest is not None and asset.digest != f"sha256:{digest}":
            problems.append(f"{asset.name}: differs from the digest GitHub reports for it")
        files.append((asset.name, size, digest))
    if problems:
        raise MlciError(
            f"Refusing to roll back to {tag}: its assets do not match SHA256SUMS "
            f"({'; '.join(problems)}). The release was changed after `mlci release` published it; "
            "nothing was deployed."
        )
    try:
        record = Record.from_json((staging / RECORD).read_text("utf-8"), source=f"of {tag}")
    except (RecordError, UnicodeDecodeError) as exc:
        raise MlciError(f"Refusing to roll back to {tag}: its record.json: {exc}") from None
    if record.name != config.name:
        raise MlciError(
            f"Refusing to roll back to {tag}: it is a release of {record.name}, not of "
            f"{config.name}."
        )
    return Verified(staging, tuple(files), record)


def _sha256(path: Path) -> tuple[int, str]:
    h, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
            size += len(block)
    return size, h.hexdigest()


def _replace(directory: Path, staging: Path) -> None:
    """Put the verified files at ``directory`` (an earlier rollback bundle there is removed)."""
    if directory.exists():
        if not directory.is_dir() or not (directory / CHECKSUMS).exists():
            raise MlciError(
                f"{directory} exists and is not an mlci bundle: choose another --output-dir."
            )
        shutil.rmtree(directory)
    staging.rename(directory)


def _check_tag(repo: Path, tag: str, record: Record) -> None:
    """When the tag is in this clone it must name the commit the release's record is of."""
    commit = git.resolve_commit(repo, f"refs/tags/{tag}")
    if commit is not None and commit != record.commit:
        raise MlciError(
            f"Refusing to roll back to {tag}: the tag points to {commit[:7]} here, but the "
            f"release's record is of {record.commit[:7]}. Was the tag moved?"
        )


# -- deploying -------------------------------------------------------------------------------------


def _redeploy(
    r: Rollback,
    client: DeploymentsClient,
    settings: Settings,
    env: Mapping[str, str],
    output_dir: Path,
    stdout: TextIO,
) -> int:
    deploy = r.config.release.deploy
    assert deploy is not None
    deployment = client.create_deployment(
        ref=r.tag.tag,
        environment=r.environment,
        payload=_payload(r, settings),
        description=f"mlci: roll back {r.config.name} to {r.tag.version}",
    )
    urls = {"log_url": settings.run_url, "environment_url": deploy.url or r.release.url}
    client.set_deployment_status(deployment, "in_progress", description="rolling back", **urls)
    result = _run_deploy(r, settings, env, stdout)
    state = "success" if result.ok else "failure"
    client.set_deployment_status(deployment, state, description=result.describe(), **urls)
    print(
        f"mlci: deployment {deployment.id} of {r.tag.tag} to {r.environment}: {state}.", file=stdout
    )
    notes = ""
    if result.ok:
        if r.replaced is not None and r.replaced.deployment.id != deployment.id:
            client.mark_inactive(
                r.replaced,
                description=f"replaced by the rollback to {r.tag.tag}",
                log_url=settings.run_url,
            )
        notes = _note_rollback(r, client, stdout)
    else:
        message = f"The rollback to {r.tag.tag} on {r.environment} failed: {result.describe()}."
        print(format_annotation("error", message, title="mlci rollback"), file=stdout)
    _write_result(output_dir, r, deployment, state, result)
    _outputs(settings, notes, r.release.url, result.ok)
    print(f"mlci: {'PASS' if result.ok else 'FAIL'} (rolled back to {r.tag.tag})", file=stdout)
    return EXIT_PASS if result.ok else EXIT_GATE_FAILED


def _payload(r: Rollback, settings: Settings) -> dict[str, Any]:
    """The deployment's payload: what mlci deployed (read back to find the live release)."""
    return {
        "mlci": {
            "name": r.config.name,
            "tag": r.tag.tag,
            "commit": r.verified.record.commit,
            "run_id": settings.run_id,
            "attempt": uuid.uuid4().hex,
            "rollback": True,
            "replaces": r.replaced.tag if r.replaced is not None else None,
        }
    }


def _run_deploy(
    r: Rollback, settings: Settings, env: Mapping[str, str], stdout: TextIO
) -> DeployResult:
    """release.deploy's command on the verified bundle, with the credentials scrubbed."""
    deploy = r.config.release.deploy
    assert deploy is not None
    run_env = deploy_environment(
        env,
        bundle_dir=r.verified.directory,
        tag=r.tag,
        commit=r.verified.record.commit,
        environment=r.environment,
        release_url=r.release.url,
        secrets=[settings.token],
    )
    run_env["MLCI_ROLLBACK"] = "true"
    run_env["MLCI_REPLACED_TAG"] = r.replaced.tag if r.replaced is not None else ""
    print(group(f"Roll back to {r.tag.tag} on {r.environment}: {deploy.command}"), file=stdout)
    result = run_deploy(
        deploy.command,
        cwd=r.config.root,
        env=run_env,
        timeout=60.0 * deploy.timeout_minutes,
        out=stdout,
    )
    print(endgroup(), file=stdout)
    return result


def _note_rollback(r: Rollback, client: DeploymentsClient, stdout: TextIO) -> str:
    """Add the rollback section to the notes of the release deployed again; its markdown."""
    check = _compared(r, client, stdout)
    replaced = r.replaced.tag if r.replaced is not None else None
    section = rollback_section(r.config.name, r.tag, replaced, check)
    body = compose_notes(r.release.body, section, rollback_marker(r.config.name))
    client.update_release(
        r.release,
        title=r.release.name or r.tag.tag,
        body=body,
        prerelease=r.release.prerelease,
        draft=False,
    )
    print(f"mlci: the notes of {r.tag.tag} say it replaced {replaced or 'nothing'}.", file=stdout)
    return section


def _compared(r: Rollback, client: DeploymentsClient, stdout: TextIO) -> ReleaseCheck | None:
    """This release judged against the replaced one as if it were its previous release."""
    if r.replaced is None or r.replaced.tag == r.tag.tag:
        return None
    try:
        other = download_release_record(r.config, client, r.replaced.tag)
    except MlciError as exc:
        print(f"mlci: note: the gates were not compared with {r.replaced.tag}: {exc}", file=stdout)
        return None
    previous = PreviousRelease(r.replaced.tag, other.commit, other)
    return check_release(r.config, r.verified.record, previous, tag=r.tag.tag, bootstrap=True)


# -- the result ------------------------------------------------------------------------------------


def _write_result(
    output_dir: Path, r: Rollback, deployment: DeploymentInfo, state: str, result: DeployResult
) -> None:
    """``rollback.json`` beside the bundle: what this run deployed and replaced."""
    doc = {
        "tag": r.tag.tag,
        "commit": r.verified.record.commit,
        "environment": r.environment,
        "replaced": None
        if r.replaced is None
        else {"tag": r.replaced.tag, "deployment": r.replaced.deployment.id},
        "assets": [{"name": n, "size": s, "sha256": d} for n, s, d in r.verified.files],
        "bundle": str(r.verified.directory.resolve()),
        "deployment": {"id": deployment.id, "state": state, "exit_code": result.exit_code},
        "release_url": r.release.url,
    }
    write_atomic(output_dir / RESULT_FILE, dumps_json(doc))


def _outputs(settings: Settings, notes: str, url: str, ok: bool) -> None:
    if settings.step_summary is not None and notes:
        write_summary(settings.step_summary, notes)
    if settings.output is not None:
        outputs = {
            "verdict": "pass" if ok else "fail",
            "release-url": url,
            "deployment": "success" if ok else "failure",
        }
        write_outputs(settings.output, outputs)
