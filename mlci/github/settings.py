"""Everything mlci reads from a GitHub Actions environment, as one typed, frozen value.

Only :meth:`Settings.from_environ` looks at the environment; the rest of ``mlci.github`` takes
a ``Settings``. The token never appears in ``repr`` or in any message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mlci.errors import MlciError

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"
DEFAULT_TIMEOUT = 15
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Settings:
    """The GitHub side of a run.

    ``api_url`` is used as given (``https://api.github.com`` or a GHES
    ``https://ghe.example.com/api/v3``), without a trailing slash. ``identity`` overrides the
    login mlci expects on its own comments (default: the token's user, or
    ``github-actions[bot]`` for an installation token).
    """

    token: str = field(repr=False)
    repository: str
    api_url: str = DEFAULT_API_URL
    server_url: str = DEFAULT_SERVER_URL
    event_name: str = ""
    event_path: Path | None = None
    ref: str = ""
    sha: str = ""
    run_id: str = ""
    run_attempt: str = ""
    workflow: str = ""
    job: str = ""
    step_summary: Path | None = None
    output: Path | None = None
    actions: bool = False
    identity: str | None = None
    timeout: int = DEFAULT_TIMEOUT

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]

    @property
    def run_url(self) -> str | None:
        """The web page of this workflow run, when the run id is known."""
        if not self.run_id:
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Build the settings from ``GITHUB_*`` variables (``MLCI_GITHUB_TOKEN`` wins over
        ``GITHUB_TOKEN``). Raises :class:`MlciError` naming the missing or malformed variable.
        """
        return cls(
            token=_token(environ),
            repository=_repository(environ),
            api_url=_url(environ, "GITHUB_API_URL", DEFAULT_API_URL),
            server_url=_url(environ, "GITHUB_SERVER_URL", DEFAULT_SERVER_URL),
            event_name=environ.get("GITHUB_EVENT_NAME", ""),
            event_path=_path(environ, "GITHUB_EVENT_PATH"),
            ref=environ.get("GITHUB_REF", ""),
            sha=environ.get("GITHUB_SHA", ""),
            run_id=environ.get("GITHUB_RUN_ID", ""),
            run_attempt=environ.get("GITHUB_RUN_ATTEMPT", ""),
            workflow=environ.get("GITHUB_WORKFLOW", ""),
            job=environ.get("GITHUB_JOB", ""),
            step_summary=_path(environ, "GITHUB_STEP_SUMMARY"),
            output=_path(environ, "GITHUB_OUTPUT"),
            actions=environ.get("GITHUB_ACTIONS", "") == "true",
            identity=environ.get("MLCI_GITHUB_IDENTITY") or None,
            timeout=_timeout(environ),
        )


def _token(environ: Mapping[str, str]) -> str:
    token = (environ.get("MLCI_GITHUB_TOKEN") or environ.get("GITHUB_TOKEN") or "").strip()
    if not token:
        raise MlciError(
            "No GitHub token: neither MLCI_GITHUB_TOKEN nor GITHUB_TOKEN is set. "
            "Pass `github-token: ${{ github.token }}` to the mlci action (it is the default)."
        )
    return token


def _repository(environ: Mapping[str, str]) -> str:
    value = environ.get("GITHUB_REPOSITORY", "").strip()
    if not value:
        raise MlciError(
            "GITHUB_REPOSITORY is not set: mlci needs it to talk to GitHub. "
            "Run inside GitHub Actions or set it to 'owner/name'."
        )
    if not _REPOSITORY.fullmatch(value):
        raise MlciError(f"GITHUB_REPOSITORY must look like 'owner/name'. Got {value!r}.")
    return value


def _url(environ: Mapping[str, str], name: str, default: str) -> str:
    value = environ.get(name, "").strip() or default
    if not value.startswith(("https://", "http://")):
        raise MlciError(f"{name} must be an http(s) URL. Got {value!r}.")
    return value.rstrip("/")


def _path(environ: Mapping[str, str], name: str) -> Path | None:
    value = environ.get(name, "").strip()
    return Path(value) if value else None


def _timeout(environ: Mapping[str, str]) -> int:
    raw = environ.get("MLCI_GITHUB_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    if not raw.isdigit() or int(raw) < 1:
        raise MlciError(f"MLCI_GITHUB_TIMEOUT must be a whole number of seconds >= 1. Got {raw!r}.")
    return int(raw)
