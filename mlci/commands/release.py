"""`mlci release`: re-check a release tag in strict mode, then publish and deploy it.

Argument parsing lives in cli.py; the work in :mod:`mlci.release.flow`.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import TextIO


def release_command(
    *,
    config_path: Path,
    output_dir: Path,
    tag: str | None,
    bootstrap: bool,
    dry_run: bool,
    environ: MutableMapping[str, str],
    stdout: TextIO,
    openmetrics: Path | None = None,
) -> int:
    """Run the release of ``tag`` (default: the pushed tag); see :func:`run_release`."""
    from mlci.release.flow import run_release

    return run_release(
        config_path,
        output_dir=output_dir,
        tag=tag,
        bootstrap=bootstrap or _truthy(environ.get("MLCI_RELEASE_BOOTSTRAP", "")),
        dry_run=dry_run,
        openmetrics=openmetrics,
        environ=environ,
        stdout=stdout,
    )


def _truthy(value: str) -> bool:
    return value.strip().lower() == "true"
