"""Which release is live, and its record: what a monitoring run compares production with.

- ``--release TAG`` names it;
- otherwise, with the GitHub API, the release of the config's **live deployment** (the newest
  mlci deployment to ``release.environment`` whose last status is success: after a rollback,
  the rolled-back-to release), else the **latest published release** of the config (not a
  draft nor a pre-release, its notes carrying the config's marker; when no release carries it,
  a release published by hand, the repository's latest).

The record is the one the records branch holds for the tagged commit, when the tag is in this
clone; else the release's own ``record.json`` asset, downloaded with ``SHA256SUMS`` and refused
unless its digest is the listed one.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mlci.config import Config
from mlci.errors import MlciError, RecordError
from mlci.github.client import GitHubError
from mlci.github.deployments import DeploymentsClient
from mlci.github.release import release_marker
from mlci.records.format import Record
from mlci.records.store import RecordStore
from mlci.release.bundle import CHECKSUMS, RECORD, parse_sha256sums

How = Literal["given", "deployment", "latest_release"]


@dataclass(frozen=True)
class LiveRelease:
    """The release a monitoring run compares with."""

    tag: str
    commit: str
    record: Record
    how: How
    record_source: Literal["store", "asset"]
    url: str | None = None

    def describe(self) -> str:
        why = {
            "given": "given with --release",
            "deployment": "live in the deployment environment",
            "latest_release": "the latest published release",
        }[self.how]
        return f"{self.tag} ({self.commit[:7]}, {why})"


def find_live_release(
    config: Config,
    repo: Path,
    store: RecordStore,
    *,
    tag: str | None,
    client: DeploymentsClient | None,
    resolve_tag: Callable[[Path, str], str | None],
    log: Callable[[str], None] = lambda _: None,
) -> LiveRelease:
    """The release to compare with and its record (see the module docstring).

    Raises:
        MlciError: no release can be found, or its record is missing or unreadable.
    """
    how: How = "given"
    url = None
    if tag is None:
        if client is None:
            raise MlciError(
                "No release to compare with: pass --release TAG (e.g. --release v1.4.0), or run "
                "with a GitHub token (GITHUB_TOKEN and GITHUB_REPOSITORY) so mlci finds the live "
                "release."
            )
        tag, how, url = _live_tag(config, client, log)
    commit = resolve_tag(repo, tag)
    record = store.get(config.name, commit) if commit is not None else None
    if record is not None and commit is not None:
        return LiveRelease(tag, commit, record, how, "store", url)
    if client is None:
        where = f"for {tag} ({commit[:7]})" if commit else f"(tag {tag} is not in this clone)"
        raise MlciError(
            f"No record of {config.name} {where} in {store}, and no GitHub token to download "
            "the release's record.json: fetch the tags and the records branch (actions/checkout "
            "with fetch-depth: 0), or set GITHUB_TOKEN and GITHUB_REPOSITORY."
        )
    record = download_release_record(config, client, tag)
    log(f"using the record.json of release {tag} (checked against its SHA256SUMS)")
    return LiveRelease(tag, record.commit, record, how, "asset", url)


def _live_tag(
    config: Config, client: DeploymentsClient, log: Callable[[str], None]
) -> tuple[str, How, str | None]:
    environment = config.release.environment
    try:
        live = client.live(environment, config.name)
    except GitHubError as exc:
        live = None
        log(f"could not read the deployments ({exc}); using the latest published release")
    if live is not None:
        return live.tag, "deployment", None
    marker = release_marker(config.name)
    published = [r for r in client.list_releases() if not r.draft and not r.prerelease]
    ours = [r for r in published if marker in r.body]
    if not ours and published:
        log(f"no release's notes name {config.name}: using the repository's latest release")
    candidates = ours or published
    if not candidates:
        raise MlciError(
            f"No published release of {config.name} to compare with (no deployment to "
            f"{environment} either): release one with `mlci release`, or pass --release TAG."
        )
    newest = max(candidates, key=lambda r: (r.published_at or r.created_at, r.id))
    return newest.tag, "latest_release", newest.url


def download_release_record(config: Config, client: DeploymentsClient, tag: str) -> Record:
    """The record.json of release ``tag``, checked against its SHA256SUMS and config name."""
    release = client.release_by_tag(tag)
    if release is None:
        raise MlciError(f"No published release {tag}: nothing to compare with. Check --release.")
    assets = {a.name: a for a in client.list_assets(release.id)}
    missing = [n for n in (RECORD, CHECKSUMS) if n not in assets]
    if missing:
        raise MlciError(
            f"Release {tag} has no {missing[0]} asset: it was not published by mlci release."
        )
    with tempfile.TemporaryDirectory(prefix="mlci-release-record-") as folder:
        for name in (RECORD, CHECKSUMS):
            client.download_asset(assets[name], Path(folder) / name)
        data = (Path(folder) / RECORD).read_bytes()
        sums = _sums(Path(folder) / CHECKSUMS, tag)
    if sums.get(RECORD) != hashlib.sha256(data).hexdigest():
        raise MlciError(
            f"The record.json of release {tag} does not match its SHA256SUMS: refused (the "
            "asset was changed after the release)."
        )
    try:
        record = Record.from_json(data.decode("utf-8"), source=f"of release {tag}")
    except (RecordError, UnicodeDecodeError) as exc:
        raise MlciError(f"The record.json of release {tag} cannot be read: {exc}") from None
    if record.name != config.name:
        raise MlciError(
            f"Release {tag} is of {record.name}, not {config.name}: pass the tag of a release "
            "of this config."
        )
    return record


def _sums(path: Path, tag: str) -> dict[str, str]:
    try:
        return parse_sha256sums(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise MlciError(f"The SHA256SUMS of release {tag} cannot be read ({exc}).") from None
