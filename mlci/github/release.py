"""GitHub Releases and Deployments for `mlci release`: resumable, idempotent, plain values out.

A release is never left looking complete while it is not: a new release is created as a
**draft**, every asset is uploaded, and only then is it published (``draft: false``). A run that
dies on the way leaves a draft; the next run for the same tag finds it (drafts are found by
listing, GitHub's by-tag lookup does not see them) and completes it. Assets are matched by
name: one whose ``digest`` (or, where the server reports none, size) already matches is kept,
any other is deleted and uploaded again, so reruns never duplicate an asset.

The release notes hold mlci's section between hidden markers; notes written by people (or by a
drafting tool) around it are kept, and the section is replaced in place on every run.

A deployment is a POST: it is created with ``auto_merge: false`` (the ref is a tag: there is
nothing to merge) and ``required_contexts: []`` — mlci has just re-checked the tagged commit in
strict mode, and GitHub's default (every status context of the commit must be green) would
count this very workflow's own pending check and refuse.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlci.github.client import GitHubClient, GitHubError
from mlci.github.publish import one_line

DeploymentState = str  # error | failure | inactive | in_progress | queued | pending | success
END_MARKER = "<!-- mlci:release-end -->"


def release_marker(name: str) -> str:
    """The hidden line that starts mlci's section of the notes of config ``name``."""
    return f"<!-- mlci:release name={name} -->"


@dataclass(frozen=True)
class ReleaseInfo:
    """A GitHub Release, as plain values. ``url`` is its web page."""

    id: int
    tag: str
    name: str
    body: str
    draft: bool
    prerelease: bool
    url: str
    created_at: str
    published_at: str | None


@dataclass(frozen=True)
class AssetInfo:
    """A release asset. ``digest`` is ``"sha256:<hex>"`` where the server reports it."""

    id: int
    name: str
    size: int
    state: str
    digest: str | None
    url: str  # browser_download_url


@dataclass(frozen=True)
class BundleFile:
    """A file to attach to the release, with what identifies its content."""

    path: Path
    name: str
    size: int
    sha256: str

    @classmethod
    def of(cls, path: Path, name: str | None = None) -> BundleFile:
        h, size = hashlib.sha256(), 0
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
                size += len(block)
        return cls(path, name or path.name, size, h.hexdigest())


@dataclass(frozen=True)
class ReleaseSpec:
    """What the release of ``tag`` should say. ``section`` is mlci's part of the notes."""

    tag: str
    title: str
    section: str
    prerelease: bool
    marker: str


@dataclass(frozen=True)
class PublishedRelease:
    """The outcome of :func:`publish_release`."""

    release: ReleaseInfo
    created: bool  # False: an existing release (or draft) was completed or updated
    uploaded: tuple[str, ...]  # assets uploaded by this run
    kept: tuple[str, ...]  # assets already there with the same content


@dataclass(frozen=True)
class DeploymentInfo:
    id: int
    ref: str
    environment: str
    payload: Mapping[str, Any]


class ReleaseClient(GitHubClient):
    """The Releases and Deployments calls, each under the client's retry policy."""

    # -- releases --------------------------------------------------------------------------

    def list_releases(self) -> list[ReleaseInfo]:
        """Every release the token can see (drafts need push access), newest first."""
        return self.retry.call(
            lambda: [_release(r) for r in self._repo.get_releases()],
            what="listing the repository's releases",
        )

    def create_draft(self, spec: ReleaseSpec) -> ReleaseInfo:
        """A new draft release for ``spec.tag`` (a POST that landed unseen is found, not redone)."""
        body = compose_notes("", spec.section, spec.marker)

        def post() -> ReleaseInfo:
            created = self._repo.create_git_release(
                spec.tag, name=spec.title, message=body, draft=True, prerelease=spec.prerelease
            )
            return _release(created)

        def landed() -> ReleaseInfo | None:
            drafts = [r for r in self.list_releases() if r.tag == spec.tag and r.draft]
            return next((r for r in drafts if spec.marker in r.body), None)

        what = f"creating the draft release {spec.tag}"
        return self.retry.call(post, kind="post", landed=landed, what=what)

    def update_release(
        self, release: ReleaseInfo, *, title: str, body: str, prerelease: bool, draft: bool
    ) -> ReleaseInfo:
        """PATCH the release (publishing it when ``draft`` is False)."""
        latest = "false" if prerelease else "legacy"  # legacy: by date and semantic version

        def patch() -> ReleaseInfo:
            # tag_name is explicit: PyGithub would take it from a lazy object's URL (the id)
            updated = self._release_object(release.id).update_release(
                title,
                body,
                draft=draft,
                prerelease=prerelease,
                tag_name=release.tag,
                make_latest=latest,
            )
            return _release(updated)

        what = f"{'updating' if draft or not release.draft else 'publishing'} release {release.tag}"
        return self.retry.call(patch, kind="idempotent_write", what=what)

    def delete_release(self, release: ReleaseInfo) -> None:
        from github.GithubException import UnknownObjectException  # PyGithub: heavy

        def delete() -> None:
            with contextlib.suppress(UnknownObjectException):
                self._release_object(release.id).delete_release()

        what = f"deleting a duplicate draft of release {release.tag}"
        self.retry.call(delete, kind="idempotent_write", what=what)

    # -- assets ----------------------------------------------------------------------------

    def list_assets(self, release_id: int) -> list[AssetInfo]:
        release = self._release_object(release_id)
        return self.retry.call(
            lambda: [_asset(a) for a in release.get_assets()],
            what=f"listing the assets of release {release_id}",
        )

    def delete_asset(self, asset: AssetInfo) -> None:
        from github.GithubException import UnknownObjectException  # PyGithub: heavy

        def delete() -> None:
            with contextlib.suppress(UnknownObjectException):  # an earlier attempt landed
                self._repo.get_release_asset(asset.id).delete_asset()

        self.retry.call(delete, kind="idempotent_write", what=f"deleting asset {asset.name}")

    def upload_asset(self, release_id: int, file: BundleFile) -> AssetInfo:
        """Upload ``file``; when the answer is lost, the asset list says whether it landed."""
        release = self._release_object(release_id)

        def post() -> AssetInfo:
            return _asset(release.upload_asset(str(file.path), name=file.name))

        def landed() -> AssetInfo | None:
            found = [a for a in self.list_assets(release_id) if a.name == file.name]
            return next((a for a in found if same_content(a, file)), None)

        what = f"uploading {file.name}"
        return self.retry.call(post, kind="post", landed=landed, what=what)

    # -- deployments -----------------------------------------------------------------------

    def create_deployment(
        self, *, ref: str, environment: str, description: str, payload: Mapping[str, Any]
    ) -> DeploymentInfo:
        """A deployment of ``ref`` (``auto_merge: false``, ``required_contexts: []``)."""

        def post() -> DeploymentInfo:
            created = self._repo.create_deployment(
                ref,
                task="deploy",
                auto_merge=False,
                required_contexts=[],
                payload=dict(payload),
                environment=environment,
                description=one_line(description),
                transient_environment=False,
            )
            return _deployment(created)

        def landed() -> DeploymentInfo | None:
            found = self._repo.get_deployments(ref=ref, environment=environment)
            return next((_deployment(d) for d in found if d.payload == dict(payload)), None)

        what = f"creating the deployment of {ref} to {environment}"
        return self.retry.call(post, kind="post", landed=landed, what=what)

    def set_deployment_status(
        self,
        deployment: DeploymentInfo,
        state: DeploymentState,
        *,
        description: str,
        log_url: str | None,
        environment_url: str | None,
    ) -> None:
        """Add a status to the deployment; ``log_url`` is sent as ``target_url`` (its alias)."""
        from github.GithubObject import NotSet  # PyGithub: heavy, only in CI

        obj = self._repo.get_deployment(deployment.id)  # lazy: no request
        text = one_line(description)

        def post() -> bool:
            obj.create_status(
                state,
                target_url=log_url or NotSet,
                description=text,
                environment_url=environment_url or NotSet,
            )
            return True

        def landed() -> bool | None:
            newest = next(iter(obj.get_statuses()), None)
            same = newest is not None and (newest.state, newest.description) == (state, text)
            return True if same else None

        what = f"setting the deployment status {state!r} on {deployment.environment}"
        self.retry.call(post, kind="post", landed=landed, what=what)

    # -- helpers ---------------------------------------------------------------------------

    def _release_object(self, release_id: int) -> Any:
        return self._repo.get_release(release_id)  # lazy: completed on first use


# -- the resumable publishing sequence --------------------------------------------------------


def publish_release(
    client: ReleaseClient,
    spec: ReleaseSpec,
    files: Sequence[BundleFile],
    *,
    log: Callable[[str], None] = lambda _: None,
) -> PublishedRelease:
    """Create or complete the release of ``spec.tag`` with exactly these assets, then publish it.

    Parameters:
        client: the GitHub client.
        spec: the tag, title, mlci's notes section and whether it is a prerelease.
        files: the bundle; each becomes an asset of the same name.
        log: receives one line per step, for the job log.

    Returns:
        The published release and what was uploaded or kept.

    Raises:
        GitHubError: a call kept failing; the message says whether the release stayed a draft,
        and a rerun completes it.
    """
    release, created = _find_or_create(client, spec, log)
    try:
        uploaded, kept = sync_assets(client, release, files, log)
    except GitHubError as exc:
        state = "stays a draft" if release.draft else "may be missing assets"
        raise GitHubError(
            f"{exc} The release {spec.tag} {state}: re-run the job to complete it."
        ) from None
    body = compose_notes(release.body, spec.section, spec.marker)
    title = release.name or spec.title
    final = client.update_release(
        release, title=title, body=body, prerelease=spec.prerelease, draft=False
    )
    log(f"{'Published' if release.draft else 'Updated'} release {spec.tag}: {final.url}")
    return PublishedRelease(final, created, uploaded, kept)


def _find_or_create(
    client: ReleaseClient, spec: ReleaseSpec, log: Callable[[str], None]
) -> tuple[ReleaseInfo, bool]:
    """The published release of the tag, else its draft (extra mlci drafts deleted), else new."""
    same_tag = [r for r in client.list_releases() if r.tag == spec.tag]
    published = [r for r in same_tag if not r.draft]
    if published:
        log(f"Release {spec.tag} exists: updating it.")
        return published[0], False
    drafts = sorted(
        (r for r in same_tag if r.draft), key=lambda r: (spec.marker not in r.body, r.id)
    )
    if not drafts:
        log(f"Creating release {spec.tag} as a draft.")
        return client.create_draft(spec), True
    keep, extras = drafts[0], [d for d in drafts[1:] if spec.marker in d.body]
    for extra in extras:
        client.delete_release(extra)
    log(f"Found the draft of release {spec.tag}: completing it.")
    return keep, False


def sync_assets(
    client: ReleaseClient,
    release: ReleaseInfo,
    files: Sequence[BundleFile],
    log: Callable[[str], None],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Make the release's assets of these names hold exactly these files; (uploaded, kept)."""
    existing = {a.name: a for a in client.list_assets(release.id)}
    uploaded: list[str] = []
    kept: list[str] = []
    for file in files:
        asset = existing.get(file.name)
        if asset is not None and same_content(asset, file):
            kept.append(file.name)
            continue
        if asset is not None:
            client.delete_asset(asset)
        client.upload_asset(release.id, file)
        log(f"Uploaded {file.name} ({file.size:,} bytes).")
        uploaded.append(file.name)
    return tuple(uploaded), tuple(kept)


def same_content(asset: AssetInfo, file: BundleFile) -> bool:
    """An uploaded asset with this file's digest; without a digest, its size is all we know,
    so it is not trusted to be the same (it is replaced)."""
    return asset.state == "uploaded" and asset.digest == f"sha256:{file.sha256}"


def compose_notes(existing: str, section: str, marker: str) -> str:
    """``existing`` notes with mlci's section (between ``marker`` and the end marker) replaced,
    or appended after what people wrote."""
    ours = f"{marker}\n{section.strip()}\n{END_MARKER}"
    pattern = re.compile(re.escape(marker) + r".*?" + re.escape(END_MARKER), re.DOTALL)
    text = existing or ""
    if pattern.search(text):
        return pattern.sub(lambda _: ours, text, count=1)
    return f"{text.rstrip()}\n\n{ours}" if text.strip() else ours


# -- plain values from PyGithub objects ---------------------------------------------------


def _release(r: Any) -> ReleaseInfo:
    return ReleaseInfo(
        id=r.id,
        tag=r.tag_name,
        name=r.name or "",
        body=r.body or "",
        draft=bool(r.draft),
        prerelease=bool(r.prerelease),
        url=r.html_url or "",
        created_at=r.created_at.isoformat() if r.created_at else "",
        published_at=r.published_at.isoformat() if r.published_at else None,
    )


def _asset(a: Any) -> AssetInfo:
    return AssetInfo(
        id=a.id,
        name=a.name,
        size=a.size or 0,
        state=a.state or "",
        digest=a.digest,
        url=a.browser_download_url or "",
    )


def _deployment(d: Any) -> DeploymentInfo:
    return DeploymentInfo(id=d.id, ref=d.ref, environment=d.environment, payload=d.payload or {})
