"""`mlci release`: the one place that wires the release to git, the records store and GitHub.

    tag ─► tagged commit ─► its record (stored, else evaluated now and stored)
        ─► last release before it (GitHub Releases whose tag is an ancestor, with a record)
        ─► strict re-check ──refused──► exit 1, one message, nothing created
                            └─passed──► bundle ─► draft release, assets, publish
                                        ─► deployment: in_progress ─► deploy command ─► status

``--dry-run`` does everything up to the bundle, then prints what it would send and run; it
makes no API call (the previous release is then looked up among the git tags), stores no
record and runs no deploy command.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from mlci import __version__
from mlci.config import Config, load_config
from mlci.errors import EXIT_GATE_FAILED, EXIT_PASS, MlciError, NewerRecordError, RecordError
from mlci.paths import check_output
from mlci.release.bundle import (
    CARD,
    METRICS,
    RECORD,
    Bundle,
    BundleEntry,
    dumps_json,
    source_files,
    write_bundle,
)
from mlci.release.check import PreviousRelease, ReleaseCheck, check_release
from mlci.release.version import TagInfo, parse_tag
from mlci.userenv import conceal_from_proc, tokens_in

if TYPE_CHECKING:
    from mlci.git import GitAuth
    from mlci.github.actions import ActionsContext
    from mlci.github.release import PublishedRelease, ReleaseClient, ReleaseSpec
    from mlci.github.settings import Settings
    from mlci.records.format import Record
    from mlci.records.store import RecordStore

ClientFactory = Callable[["Settings"], "ReleaseClient"]
BUNDLE_DIR = "bundle"
PERMISSIONS_HINT = (
    "Give the release job `permissions: contents: write` (the release and its assets) and "
    "`deployments: write` (the deployment), and pass its token as `github-token`."
)
RESULT_FILE = "release.json"


@dataclass(frozen=True)
class Target:
    """What is being released: the tag, its commit and the repository."""

    repo: Path
    tag: TagInfo
    commit: str

    @property
    def short(self) -> str:
        return f"{self.tag.tag} ({self.commit[:7]})"


def run_release(
    config_path: Path,
    *,
    output_dir: Path,
    tag: str | None = None,
    bootstrap: bool = False,
    dry_run: bool = False,
    openmetrics: Path | None = None,
    environ: MutableMapping[str, str] | None = None,
    stdout: TextIO,
    client_factory: ClientFactory | None = None,
) -> int:
    """Release the tagged commit: 0 released (and deployed), 1 refused or the deploy failed.

    Parameters:
        config_path: mlci.yml.
        output_dir: the bundle goes to ``<output_dir>/bundle``, the outcome to
            ``<output_dir>/release.json``.
        tag: the tag to release (default: the pushed tag of a GitHub Actions run).
        bootstrap: allow the first release, without a previous one to compare with.
        dry_run: build the bundle and print the plan; no API call, no record stored, no deploy.
        openmetrics: also write the release check as OpenMetrics text there.
        environ: the environment (``GITHUB_*``, the token); default ``os.environ``.
        client_factory: makes the GitHub client from the settings (tests inject retries).
    """
    env = os.environ if environ is None else environ
    config = load_config(config_path)
    actions = _actions(env)
    target = _target(config, tag, actions, env)
    auth = None
    if actions is not None:
        from mlci.github.actions import git_auth, warn_persisted_credentials

        auth = git_auth(actions, stdout)
        warn_persisted_credentials(target.repo, stdout)
    settings = None if dry_run else _settings(actions, env)
    for path in (output_dir, output_dir / BUNDLE_DIR):
        check_output(path, target.repo, "--output-dir")
    if openmetrics is not None:
        check_output(openmetrics, target.repo, "--openmetrics")
    # the deploy command must not read a token in /proc/<mlci>/environ
    conceal_from_proc([*tokens_in(env), *([settings.token] if settings else [])])
    store = _open_store(config, target.repo, auth)
    record = _tagged_record(config, target, store, store_it=not dry_run, stdout=stdout)
    client = None if settings is None else (client_factory or _default_client)(settings)
    try:
        previous, why = _previous_release(config, target, store, client, stdout)
        check = check_release(
            config, record, previous, tag=target.tag.tag, bootstrap=bootstrap, no_previous=why
        )
        _print_check(check, stdout)
        if openmetrics is not None:
            _write_openmetrics(config, target, check, openmetrics)
        if not check.passed:
            return _refuse(config, target, check, output_dir, actions, stdout)
        bundle = _bundle(config, target, record, check, output_dir / BUNDLE_DIR)
        if client is None or settings is None:
            _print_plan(config, target, check, bundle, stdout)
            _write_result(output_dir, target, check, bundle=bundle, dry_run=True)
            return EXIT_PASS
        return _publish_and_deploy(
            config, target, check, bundle, client, settings, env, output_dir, stdout
        )
    finally:
        if client is not None:
            client.close()


# -- what is released ---------------------------------------------------------------------


def _actions(env: Mapping[str, str]) -> ActionsContext | None:
    from mlci.github.actions import detect

    return detect(env)


def _target(
    config: Config, tag: str | None, actions: ActionsContext | None, env: Mapping[str, str]
) -> Target:
    from mlci import git

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


def _settings(actions: ActionsContext | None, env: Mapping[str, str]) -> Settings:
    from mlci.github.settings import Settings

    return actions.settings if actions is not None else Settings.from_environ(env)


def _default_client(settings: Settings) -> ReleaseClient:
    from mlci.github.deployments import DeploymentsClient

    return DeploymentsClient(settings)


def _open_store(config: Config, repo: Path, auth: GitAuth | None) -> RecordStore:
    from mlci.records.store import open_store

    return open_store(config.baseline.store, repo, auth=auth)


def _tagged_record(
    config: Config, target: Target, store: RecordStore, *, store_it: bool, stdout: TextIO
) -> Record:
    """The stored record of the tagged commit, or a new evaluation of it (then stored)."""
    from mlci import git
    from mlci.pipeline import Revision, evaluate_revision

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
    outcome = evaluate_revision(config, Revision(target.repo, target.commit, None, False), store)
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


# -- the previous release -----------------------------------------------------------------


def _previous_release(
    config: Config,
    target: Target,
    store: RecordStore,
    client: ReleaseClient | None,
    stdout: TextIO,
) -> tuple[PreviousRelease | None, str]:
    """The newest release whose tag is an ancestor of this one and whose commit has a record.

    Without a client (dry run) the candidates are the git tags merged into the commit.
    """
    if client is None:
        candidates = _tags_merged_into(target)
        source = "tag"
        print(
            "mlci: dry run: the previous release is looked up among the git tags (GitHub "
            "Releases are not read).",
            file=stdout,
        )
    else:
        candidates = _published_tags(client, target.tag.tag)
        source = "release"
    skipped: list[str] = []
    for name in candidates:
        found = _release_record(config, target, store, name, skipped)
        if found is not None:
            print(
                f"mlci: comparing with the previous {source} {found.tag} ({found.commit[:7]}).",
                file=stdout,
            )
            return found, ""
    why = "no earlier release (among this tag's ancestors) with a stored record"
    return None, why + (f" ({'; '.join(skipped)})" if skipped else "")


def _published_tags(client: ReleaseClient, own: str) -> list[str]:
    """Tags of the published releases, newest first (this tag left out)."""
    releases = [r for r in client.list_releases() if not r.draft and r.tag != own]
    releases.sort(key=lambda r: (r.published_at or r.created_at, r.id), reverse=True)
    return [r.tag for r in releases]


def _tags_merged_into(target: Target) -> list[str]:
    from mlci.git import run_git

    out = run_git(
        [
            "for-each-ref",
            f"--merged={target.commit}",
            "--sort=-creatordate",
            "--format=%(refname:strip=2)",
            "refs/tags",
        ],
        cwd=target.repo,
    )
    return [t for t in out.split() if t != target.tag.tag]


def _release_record(
    config: Config, target: Target, store: RecordStore, tag: str, skipped: list[str]
) -> PreviousRelease | None:
    from mlci.git import resolve_commit

    commit = resolve_commit(target.repo, f"refs/tags/{tag}")
    if commit is None:
        skipped.append(f"{tag}: tag not in this clone")
        return None
    if not _is_ancestor(target.repo, commit, target.commit):
        return None  # another line of history (e.g. a patch release of an older version)
    try:
        record = store.get(config.name, commit)
    except NewerRecordError:
        raise  # not corrupt: this mlci is too old to compare with that release
    except RecordError as exc:
        skipped.append(f"{tag}: {exc}")
        return None
    if record is None:
        skipped.append(f"{tag} ({commit[:7]}) has no record")
        return None
    return PreviousRelease(tag, commit, record)


def _is_ancestor(repo: Path, ancestor: str, commit: str) -> bool:
    from mlci.git import run_git_process

    proc = run_git_process(["merge-base", "--is-ancestor", ancestor, commit], cwd=repo)
    return proc.returncode == 0


def _write_openmetrics(config: Config, target: Target, check: ReleaseCheck, path: Path) -> None:
    import time

    from mlci.commands.metrics import write_openmetrics
    from mlci.report.openmetrics import Exposition, render_openmetrics

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
    write_openmetrics(path, render_openmetrics(exposition))


# -- refusing -------------------------------------------------------------------------------


def _print_check(check: ReleaseCheck, stdout: TextIO) -> None:
    for gate in check.gates:
        print(
            f"{gate.status.upper():>13}  {gate.metric} {gate.threshold}: {gate.message}",
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
    from mlci.github.workflow import format_annotation, write_outputs, write_summary
    from mlci.release.notes import refusal_summary

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


# -- the bundle -----------------------------------------------------------------------------


def _bundle(
    config: Config, target: Target, record: Record, check: ReleaseCheck, directory: Path
) -> Bundle:
    from mlci.release.bundle import bundle_name, entry
    from mlci.release.model_card import CardInputs, render_model_card

    sources = source_files(config)
    digests = [(bundle_name(s.path), entry(s.path)) for s in sources if s.path.is_file()]
    model_entries = tuple(BundleEntry(name, e.size, e.sha256) for name, e in digests)
    card = render_model_card(
        CardInputs(
            config.name, target.tag, record, check, config.release, model_entries, __version__
        )
    )
    generated = {
        CARD: card,
        METRICS: dumps_json(metrics_document(config, target, check)),
        RECORD: record.to_json(),
    }
    return write_bundle(directory, sources, generated, config=config)


def metrics_document(config: Config, target: Target, check: ReleaseCheck) -> dict[str, Any]:
    """``metrics.json``: the release's metrics, their change since the previous release (with
    its interval where known) and the strict gate results."""
    metrics = {c.name: c.value for c in check.comparisons}
    change = {
        c.name: {
            "change": c.change,
            "change_pct": c.change_pct,
            "delta": c.delta,
            "ci_low": c.ci_low,
            "ci_high": c.ci_high,
            "ci_level": c.ci_level,
            "method": c.method,
            "higher_is_better": c.higher_is_better,
        }
        for c in check.comparisons
        if c.baseline is not None
    }
    previous = check.previous
    return {
        "name": config.name,
        "tag": target.tag.tag,
        "version": target.tag.version,
        "commit": target.commit,
        "metrics": metrics,
        "previous_release": None
        if previous is None
        else {
            "tag": previous.tag,
            "commit": previous.commit,
            "metrics": {c.name: c.baseline for c in check.comparisons if c.baseline is not None},
        },
        "change": change,
        "gates": [g.to_dict() for g in check.gates],
        "verdict": "pass" if check.passed else "fail",
    }


# -- publishing and deploying ---------------------------------------------------------------


def _release_spec(
    config: Config,
    target: Target,
    check: ReleaseCheck,
    bundle: Bundle,
    run_url: str | None,
    replaces: str | None = None,
) -> ReleaseSpec:
    from mlci.github.release import ReleaseSpec, release_marker
    from mlci.release.notes import release_notes

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
    from mlci.github.client import ReadOnlyToken
    from mlci.github.release import BundleFile, publish_release

    replaces = _live_tag(config, client, target, stdout)
    spec = _release_spec(config, target, check, bundle, settings.run_url, replaces)
    files = [BundleFile(bundle.path(f.name), f.name, f.size, f.sha256) for f in bundle.files]
    try:
        published = publish_release(
            client, spec, files, log=lambda line: print(f"mlci: {line}", file=stdout)
        )
        ok, deployment = _deploy(config, target, bundle, client, settings, env, published, stdout)
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
    from mlci.github.client import GitHubError
    from mlci.github.deployments import DeploymentsClient

    if not isinstance(client, DeploymentsClient) or config.release.deploy is None:
        return None
    try:
        live = client.live(config.release.environment, config.name)
    except GitHubError as exc:
        print(f"mlci: note: the live release is unknown ({exc}).", file=stdout)
        return None
    return live.tag if live is not None and live.tag != target.tag.tag else None


def _deploy(
    config: Config,
    target: Target,
    bundle: Bundle,
    client: ReleaseClient,
    settings: Settings,
    env: Mapping[str, str],
    published: PublishedRelease,
    stdout: TextIO,
) -> tuple[bool, dict[str, Any] | None]:
    """Record a deployment and run the deploy command; (succeeded, what happened)."""
    from mlci.github.workflow import endgroup, format_annotation, group
    from mlci.release.deploy import deploy_environment, run_deploy

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


def _publish_outputs(settings: Settings, notes: str, published: PublishedRelease, ok: bool) -> None:
    from mlci.github.workflow import write_outputs, write_summary

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
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / RESULT_FILE).write_text(dumps_json(doc), encoding="utf-8")


def _assets(files: Sequence[BundleEntry]) -> list[dict[str, Any]]:
    return [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in files]
