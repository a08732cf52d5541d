"""What is live, and the release assets behind it: the calls of `mlci monitor` and `mlci rollback`.

- the **live release** of a config is the newest deployment to its environment that mlci created
  for that config (``payload.mlci.name``) whose newest status is ``success``; a rollback moves
  it back, so it is not always the newest release;
- a release's **assets are downloaded through the API** (``GET .../releases/assets/{id}`` with
  ``Accept: application/octet-stream``, which GitHub answers with a redirect to its storage),
  streamed to disk in chunks and cut off past the size the API reported, so a private
  repository's release works with the job's token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlci.github.client import GitHubError
from mlci.github.release import AssetInfo, DeploymentInfo, ReleaseClient, ReleaseInfo

CHUNK = 1 << 20


@dataclass(frozen=True)
class Deployed:
    """A deployment and the newest of its statuses (None: it has none)."""

    deployment: DeploymentInfo
    state: str | None
    created_at: str

    @property
    def tag(self) -> str:
        """The released tag: mlci's payload says it; else the deployment's ref."""
        mlci = self.deployment.payload.get("mlci")
        tag = mlci.get("tag") if isinstance(mlci, Mapping) else None
        return tag if isinstance(tag, str) and tag else self.deployment.ref


class DeploymentsClient(ReleaseClient):
    """Releases and Deployments, plus the reads and downloads of monitor and rollback."""

    def release_by_tag(self, tag: str) -> ReleaseInfo | None:
        """The published release of ``tag`` (drafts are not releases yet), or None."""
        found = [r for r in self.list_releases() if r.tag == tag and not r.draft]
        return found[0] if found else None

    def live(self, environment: str, name: str) -> Deployed | None:
        """The newest of config ``name``'s deployments to ``environment`` that succeeded last
        (deployments are read newest first, and only until that one)."""

        def get() -> Deployed | None:
            for d in self._repo.get_deployments(environment=environment):
                mlci = (d.payload or {}).get("mlci") if isinstance(d.payload, dict) else None
                if not isinstance(mlci, Mapping) or mlci.get("name") != name:
                    continue
                newest = next(iter(d.get_statuses()), None)
                if newest is not None and newest.state == "success":
                    info = DeploymentInfo(d.id, d.ref, d.environment, d.payload or {})
                    return Deployed(info, newest.state, _stamp(d.created_at))
            return None

        return self.retry.call(get, what=f"reading the deployments to {environment}")

    def mark_inactive(self, deployed: Deployed, *, description: str, log_url: str | None) -> None:
        """Mark a replaced deployment inactive (GitHub does it itself after a success of the
        same environment; then there is nothing to do)."""
        newest = self.deployments_status(deployed.deployment)
        if newest == "inactive":
            return
        self.set_deployment_status(
            deployed.deployment,
            "inactive",
            description=description,
            log_url=log_url,
            environment_url=None,
        )

    def deployments_status(self, deployment: DeploymentInfo) -> str | None:
        obj = self._repo.get_deployment(deployment.id)  # lazy: no request

        def get() -> str | None:
            newest = next(iter(obj.get_statuses()), None)
            return newest.state if newest is not None else None

        return self.retry.call(get, what=f"reading the status of deployment {deployment.id}")

    def download_asset(self, asset: AssetInfo, path: Path) -> None:
        """Stream ``asset`` to ``path`` through the API; refuse more bytes than it declares."""

        def get() -> None:
            _, _, chunks = self._repo.get_release_asset(asset.id).download_asset(chunk_size=CHUNK)
            written = 0
            with path.open("wb") as out:
                for chunk in chunks:
                    written += len(chunk)
                    if written > asset.size:
                        raise GitHubError(
                            f"The download of {asset.name} is larger than the {asset.size:,} "
                            "bytes GitHub reported for it: refused."
                        )
                    out.write(chunk)

        self.retry.call(_http_errors_as_github(get, asset), what=f"downloading {asset.name}")


def _stamp(when: Any) -> str:
    return when.isoformat() if when else ""


def _http_errors_as_github(fn: Any, asset: AssetInfo) -> Any:
    """requests' HTTPError (raised by PyGithub's streaming download) as a GitHubError."""
    import requests  # with PyGithub, imported only when the API is called

    def call() -> Any:
        try:
            return fn()
        except requests.exceptions.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "?"
            raise GitHubError(
                f"GitHub answered {status} to the download of {asset.name}."
            ) from None

    return call
