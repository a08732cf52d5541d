"""`mlci rollback TAG`: re-deploy an earlier published release, its bundle verified first.

Argument parsing lives in cli.py; the work in :mod:`mlci.release.rollback`.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import TextIO


def rollback_command(
    *,
    config_path: Path,
    tag: str,
    output_dir: Path,
    environ: MutableMapping[str, str],
    stdout: TextIO,
) -> int:
    """Roll back to ``tag``; see :func:`mlci.release.rollback.run_rollback`."""
    from mlci.release.rollback import run_rollback

    return run_rollback(config_path, tag=tag, output_dir=output_dir, environ=environ, stdout=stdout)
