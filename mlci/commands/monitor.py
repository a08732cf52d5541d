"""`mlci monitor`: compare production data (and, with labels, performance) with the live release.

Argument parsing lives in cli.py; the work in :mod:`mlci.monitor.flow`.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from pathlib import Path
from typing import TextIO

from mlci.errors import MlciError


def monitor_command(
    *,
    config_path: Path,
    output_dir: Path,
    release: str | None,
    data: Sequence[str],
    profiles: Sequence[str],
    store: bool,
    push: bool,
    issue: bool,
    openmetrics: Path | None,
    fail_on_gate: bool,
    quiet: bool,
    environ: MutableMapping[str, str],
    stdout: TextIO,
) -> int:
    """Run one monitoring pass; see :func:`mlci.monitor.flow.run_monitor`."""
    from mlci.monitor.flow import Inputs, run_monitor

    given: dict[str, list[Path]] = {}
    for value in profiles:
        name, path = _pair(value, "--profile")
        given.setdefault(name, []).append(path)
    inputs = Inputs(
        data=dict(_pair(value, "--data") for value in data),
        profiles={name: tuple(paths) for name, paths in given.items()},
    )
    return run_monitor(
        config_path,
        output_dir=output_dir,
        release=release,
        inputs=inputs,
        store=store,
        push=push,
        issue=issue,
        openmetrics=openmetrics,
        fail_on_alert=fail_on_gate,
        quiet=quiet,
        environ=environ,
        stdout=stdout,
    )


def _pair(value: str, option: str) -> tuple[str, Path]:
    """``NAME=PATH`` of ``--data``/``--profile``."""
    name, sep, path = value.partition("=")
    if not sep or not name or not path:
        raise MlciError(
            f"{option} {value!r}: expected NAME=PATH, the dataset's name in mlci.yml and a path, "
            f"e.g. {option} eval=logs/2024-05-01/."
        )
    return name, Path(path)
