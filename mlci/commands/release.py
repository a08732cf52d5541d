"""`mlci release`: re-check a release tag in strict mode, then publish the release and deploy it.

    tag ─► tagged commit ─► its record (stored, else evaluated now and stored)
        ─► last release before it (GitHub Releases whose tag is an ancestor, with a record)
        ─► strict re-check ──refused──► exit 1, one message, nothing created
                            └─passed──► bundle ─► draft release, assets, publish
                                        ─► deployment: in_progress ─► deploy command ─► status

The library is :mod:`mlci.release` (the check, the previous release, the bundle, the card and
notes, the deploy); this module wires it to git, the records store and GitHub.
``--dry-run`` does everything up to the bundle, then prints what it would send and run; it
makes no API call (the previous release is then looked up among the git tags), stores no
record and runs no deploy command.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from mlci import __version__, git
from mlci.config import Config, load_config
from mlci.errors import EXIT_GATE_FAILED, EXIT_PASS, MlciError
from mlci.files import write_atomic
from mlci.git import GitAuth
from mlci.github.actions import ActionsContext, detect, git_auth, warn_persisted_credentials
from mlci.github.client import GitHubError, ReadOnlyToken
from mlci.github.deployments import DeploymentsClient
from mlci.github.release import (
    BundleFile,
    PublishedRelease,
    ReleaseClient,
    ReleaseSpec,
    publish_release,
    release_marker,
)
from mlci.github.settings import Settings
from mlci.github.workflow import format_annotation, write_outputs, write_summary
from mlci.model.mlflow_run import bless
from mlci.paths import check_output
from mlci.pipeline import Revision, evaluate_revision
from mlci.records.format import Record, utc_now
from mlci.records.store import RecordStore, open_store
from mlci.release.bundle import Bundle, BundleEntry, build_bundle, dumps_json
from mlci.release.check import ReleaseCheck, check_release
from mlci.release.deploy import deploy_release
from mlci.release.notes import refusal_summary, release_notes
from mlci.release.previous import previous_release
from mlci.release.version import Target, parse_tag
from mlci.report.openmetrics import Exposition, render_openmetrics
from mlci.results import STATUS_LABELS
from mlci.userenv import conceal_from_proc, tokens_in

ClientFactory = Callable[[Settings], ReleaseClient]
BUNDLE_DIR = "bundle"
PERMISSIONS_HINT = (
    "Give the release job `permissions: contents: write` (the release and its assets) and "
    "`deployments: write` (the deployment), and pass its token as `github-token`."
)
RESULT_FILE = "release.json"


def release_command(
    config_path: Path,
    *,
    output_dir: Path,
    tag: str | None = None,
    bootstrap: bool = False,
    dry_run: bool = False,
    openmetrics: Path | None = None,
    environ: Mapping[str, str],
    stdout: TextIO,
    client_factory: ClientFactory | None = None,
) -> int:
    """Release the tagged commit: 0 released (and deployed), 1 refused or the deploy failed.

    Parameters:
        config_path: mlci.yml.
        output_dir: the bundle goes to ``<output_dir>/bundle``, the outcome to
            ``<output_dir>/release.json``.
        tag: the tag to release (default: the pushed tag of a GitHub Actions run).
        bootstrap: allow the first release, without a previous one to compare with (also
            ``MLCI_RELEASE_BOOTSTRAP=true`` in ``environ``).
        dry_run: build the bundle and print the plan; no API call, no record stored, no deploy.
        openmetrics: also write the release check as OpenMetrics text there.
        environ: the environment (``GITHUB_*``, the token).
        client_factory: makes the GitHub client from the settings (tests inject retries).
    """
    config = load_config(config_path)
    actions = detect(environ)
    target = _target(config, tag, actions, environ)
    auth = _git_auth(actions, target, stdout)
    settings = None if dry_run else _settings(actions, environ)
    for path in (output_dir, output_dir / BUNDLE_DIR):
        check_output(path, target.repo, "--output-dir")
    if openmetrics is not None:
        check_output(openmetrics, target.repo, "--openmetrics")
    # the deploy command must not read a token in /proc/<mlci>/environ
    conceal_from_proc([*tokens_in(environ), *([settings.token] if settings else [])])
    store = open_store(config.baseline.store, target.repo, auth=auth)
    now = utc_now(environ)
    record = _tagged_record(config, target, store, store_it=not dry_run, now=now, stdout=stdout)
    client = None if settings is None else (client_factory or _default_client)(settings)
    bootstrap = bootstrap or environ.get("MLCI_RELEASE_BOOTSTRAP", "").strip().lower() == "true"
    try:
        previous, why = previous_release(config, target, store, client, stdout)
        check = check_release(
            config, record, previous, tag=target.tag.tag, bootstrap=bootstrap, no_previous=why
        )
        _print_check(check, stdout)
        if openmetrics is not None:
            write_atomic(openmetrics, _openmetrics(config, target, check))
        if not check.passed:
            return _refuse(config, target, check, output_dir, actions, stdout)
        bundle = build_bundle(config, target, record, check, output_dir / BUNDLE_DIR)
        if client is None or settings is None:
            _print_plan(config, target, check, bundle, stdout)
            _write_result(output_dir, target, check, bundle=bundle, dry_run=True)
            return EXIT_PASS
        _bless_mlflow_model(config, stdout)
        return _publish_and_deploy(
            config, target, check, bundle, client, settings, environ, output_dir, stdout
        )
    finally:
        if client is not None:
            client.close()


def _bless_mlflow_model(config: Config, stdout: TextIO) -> None:
    """The release gates passed: point ``model.mlflow.release_alias`` at the model version."""
    source = config.model.mlflow if config.model is not None else None
    if source is None or source.release_alias is None:
        return
    name, version = bless(source, source.release_alias)
    print(
        f"mlci: MLflow model {name} version {version} is now @{source.release_alias}.", file=stdout
    )


# -- what is released ---------------------------------------------------------------------


def _target(
    config: Config, tag: str | None, actions: ActionsContext | None, env: Mapping[str, str]
) -> Target:
    repo = git.repo_root(config.root)
    name = tag or _pushed_tag(actions, env)
    if not name:
        raise MlciError(
            "No tag to release: pass --tag (e.g. --tag v1.4.0). In GitHub Actions the pushed "
            "tag is used: run the release workflow on `push: tags`."
        )
    commit = git.resolve_commit(repo, f"refs/tags/{name}")
    if commit is None:
        raise MlciError(
            f"Tag {name!r} is not in the repository at {repo}: create and push it (git tag "
            f"{name} && git push origin {name}), or fetch tags (actions/checkout with "
            "fetch-depth: 0)."
        )
    return Target(repo, parse_tag(name), commit)


def _pushed_tag(actions: ActionsContext | None, env: Mapping[str, str]) -> str | None:
    if actions is not None and actions.plan.tag:
        return actions.plan.tag
    ref = env.get("GITHUB_REF", "")
    return ref.removeprefix("refs/tags/") if ref.startswith("refs/tags/") else None


def _git_auth(actions: ActionsContext | None, target: Target, stdout: TextIO) -> GitAuth | None:
    """In GitHub Actions, the credentials of mlci's own git calls (and a warning about any the
    checkout left behind)."""
    if actions is None:
        return None
    auth = git_auth(actions, stdout)
    warn_persisted_credentials(target.repo, stdout)
    return auth


def _settings(actions: ActionsContext | None, env: Mapping[str, str]) -> Settings:
    return actions.settings if actions is not None else Settings.from_environ(env)


def _default_client(settings: Settings) -> ReleaseClient:
    return DeploymentsClient(settings)


def _tagged_record(
    config: Config,
    target: Target,
    store: RecordStore,
    *,
    store_it: bool,
    now: str,
    stdout: TextIO,
) -> Record:
    """The stored record of the tagged commit, or a new evaluation of it (then stored)."""
    found = store.get(config.name, target.commit)
    if found is not None:
        print(f"mlci: using the stored record of {target.short} from {store}.", file=stdout)
        return found
    head = git.head_commit(target.repo)
    if head != target.commit:
        raise MlciError(
            f"No stored record for {target.short}, and the working tree is at {head[:7]}: "
            f"check out {target.tag.tag} (git checkout {target.tag.tag}) so mlci can evaluate "
            "it, or push that commit to the baseline branch first."
        )
    print(f"mlci: no stored record for {target.short}: evaluating it now.", file=stdout)
    rev = Revision(target.repo, target.commit, None, False)
    outcome = evaluate_revision(config, rev, store, created_at=now)
    changed = git.changed_files(target.repo, target.commit)
    if store_it and changed:
        print(
            f"mlci: not storing the record of {target.short}: tracked files differ from the "
            f"commit ({', '.join(changed[:3])}). Commit them or check the tag out clean.",
            file=stdout,
        )
    elif store_it:
        store.put(outcome.record)
        print(f"mlci: stored the record of {target.short} in {store}.", file=stdout)
    else:
        print(f"mlci: dry run: the record of {target.short} is not stored.", file=stdout)
    return outcome.record


# -- refusing -------------------------------------------------------------------------------


def _print_check(check: ReleaseCheck, stdout: TextIO) -> None:
    for gate in check.gates:
        print(
            f"{STATUS_LABELS.get(gate.status, gate.status):>12}  {gate.metric} {gate.threshold}: "
            f"{gate.message}",
            file=stdout,
        )
    for note in check.notes:
        print(f"mlci: note: {note}", file=stdout)


def _refuse(
    config: Config,
    target: Target,
    check: ReleaseCheck,
    output_dir: Path,
    actions: ActionsContext | None,
    stdout: TextIO,
) -> int:
    message = check.refusal or "refused"
    print(f"mlci: {message}", file=stdout)
    _write_result(output_dir, target, check)
    if actions is not None:
        print(format_annotation("error", message, title="mlci release"), file=stdout)
        settings = actions.settings
        if settings.step_summary is not None:
            write_summary(settings.step_summary, refusal_summary(config.name, target.tag, check))
        if settings.output is not None:
            write_outputs(settings.output, {"verdict": "fail", "release-url": ""})
    print("mlci: FAIL (not released)", file=stdout)
    return EXIT_GATE_FAILED


# -- publishing ----------------------------------------------------------------------------------


def _release_spec(
    config: Config,
    target: Target,
    check: ReleaseCheck,
    bundle: Bundle,
    run_url: str | None,
    replaces: str | None = None,
) -> ReleaseSpec:
    assets = [f.name for f in bundle.files]
    section = release_notes(
        config.name,
        target.tag,
        check,
        assets,
        tool_version=__version__,
        run_url=run_url,
        replaces=replaces,
        environment=config.release.environment,
    )
    return ReleaseSpec(
        tag=target.tag.tag,
        title=f"{config.name} {target.tag.version}",
        section=section,
        prerelease=target.tag.prerelease,
        marker=release_marker(config.name),
    )


def _publish_and_deploy(
    config: Config,
    target: Target,
    check: ReleaseCheck,
    bundle: Bundle,
    client: ReleaseClient,
    settings: Settings,
    env: Mapping[str, str],
    output_dir: Path,
    stdout: TextIO,
) -> int:
    replaces = _live_tag(config, client, target, stdout)
    spec = _release_spec(config, target, check, bundle, settings.run_url, replaces)
    files = [BundleFile(bundle.path(f.name), f.name, f.size, f.sha256) for f in bundle.files]
    try:
        published = publish_release(
            client, spec, files, log=lambda line: print(f"mlci: {line}", file=stdout)
        )
        ok, deployment = deploy_release(
            config, target, bundle, client, settings, env, published, stdout
        )
    except ReadOnlyToken as exc:
        raise MlciError(f"{exc} {PERMISSIONS_HINT}") from None
    _write_result(
        output_dir, target, check, bundle=bundle, published=published, deployment=deployment
    )
    _publish_outputs(settings, spec.section, published, ok)
    print(
        f"mlci: {'PASS' if ok else 'FAIL'} (released {target.tag.tag}"
        f"{'' if ok else '; the deployment failed'})",
        file=stdout,
    )
    return EXIT_PASS if ok else EXIT_GATE_FAILED


def _live_tag(config: Config, client: ReleaseClient, target: Target, stdout: TextIO) -> str | None:
    """The release live in the deployment environment (the one this release replaces)."""
    if not isinstance(client, DeploymentsClient) or config.release.deploy is None:
        return None
    try:
        live = client.live(config.release.environment, config.name)
    except GitHubError as exc:
        print(f"mlci: note: the live release is unknown ({exc}).", file=stdout)
        return None
    return live.tag if live is not None and live.tag != target.tag.tag else None


def _publish_outputs(settings: Settings, notes: str, published: PublishedRelease, ok: bool) -> None:
    if settings.step_summary is not None:
        write_summary(settings.step_summary, notes)
    if settings.output is not None:
        outputs = {
            "verdict": "pass",
            "release-url": published.release.url,
            "deployment": "success" if ok else "failure",
        }
        write_outputs(settings.output, outputs)


# -- dry run and the result file ------------------------------------------------------------


def _print_plan(
    config: Config,
    target: Target,
    check: ReleaseCheck,
    bundle: Bundle,
    stdout: TextIO,
) -> None:
    spec = _release_spec(config, target, check, bundle, None)
    kind = "a pre-release" if target.tag.prerelease else "a release"
    lines = [
        "mlci: dry run: nothing is sent to GitHub, no record is stored, nothing is deployed.",
        f"Would create {kind} {target.tag.tag} as a draft (or complete the existing one), "
        f"upload {len(bundle.files)} assets from {bundle.directory}, then publish it:",
        *(f"  {f.name}  {f.size:,} bytes  sha256:{f.sha256}" for f in bundle.files),
    ]
    deploy = config.release.deploy
    if deploy is None:
        lines.append("No release.deploy configured: no deployment.")
    else:
        lines += [
            f"Would create a deployment of {target.tag.tag} to {config.release.environment} "
            "(auto_merge: false, required_contexts: []), set it in_progress, and run in "
            f"{config.root}:",
            f"  {deploy.command}",
            f"  with MLCI_BUNDLE_DIR={bundle.directory.resolve()} MLCI_VERSION="
            f"{target.tag.version} MLCI_TAG={target.tag.tag} MLCI_COMMIT={target.commit}",
            "then set the deployment status from its exit code.",
        ]
    lines += ["The release notes would read:", "", spec.section]
    print("\n".join(lines), file=stdout)


def _openmetrics(config: Config, target: Target, check: ReleaseCheck) -> str:
    """The release check as OpenMetrics text (:mod:`mlci.report.openmetrics`)."""
    exposition = Exposition(
        name=config.name,
        source="release",
        verdict="pass" if check.passed else "fail",
        timestamp=time.time(),
        commit=check.commit,
        tag=target.tag.tag,
        metrics=check.comparisons,
        gates=check.gates,
        checks=check.checks,
    )
    return render_openmetrics(exposition)


def _write_result(
    output_dir: Path,
    target: Target,
    check: ReleaseCheck,
    *,
    bundle: Bundle | None = None,
    published: PublishedRelease | None = None,
    deployment: Mapping[str, Any] | None = None,
    dry_run: bool = False,
) -> None:
    """``release.json`` beside the bundle: what this run decided and did."""
    doc = {
        "tag": target.tag.tag,
        "commit": target.commit,
        "prerelease": target.tag.prerelease,
        "verdict": "pass" if check.passed else "fail",
        "refusal": check.refusal,
        "previous_release": None
        if check.previous is None
        else {"tag": check.previous.tag, "commit": check.previous.commit},
        "dry_run": dry_run,
        "bundle": None if bundle is None else str(bundle.directory.resolve()),
        "assets": [] if bundle is None else _assets(bundle.files),
        "release_url": published.release.url if published is not None else None,
        "deployment": dict(deployment) if deployment is not None else None,
    }
    write_atomic(output_dir / RESULT_FILE, dumps_json(doc))


def _assets(files: Sequence[BundleEntry]) -> list[dict[str, Any]]:
    return [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in files]
