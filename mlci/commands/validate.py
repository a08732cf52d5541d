"""`mlci validate`: the data stage alone, against the baseline's profiles when available."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from mlci.bounded import MAX_RECORD_BYTES, DocumentError, parse_json, read_text
from mlci.config import Config, load_config
from mlci.data.profile import is_piece, load_profiler
from mlci.data.progress import make_progress
from mlci.data.stage import DatasetOutcome, run_data_stage
from mlci.errors import EXIT_GATE_FAILED, EXIT_PASS, MlciError
from mlci.files import write_atomic
from mlci.pipeline import find_baseline, locate
from mlci.records.store import open_store
from mlci.results import STATUS_LABELS, CheckResult


def validate_command(
    config_path: Path,
    *,
    quiet: bool = False,
    against: Path | None = None,
    save_profiles: Path | None = None,
    jobs: int | None = None,
    environ: Mapping[str, str],
    stdout: TextIO,
) -> int:
    """`mlci validate`: 0 when no data check failed, else 1.

    ``against`` is a record.json (or a JSON file of profiles by dataset name, as written by
    ``save_profiles``) to compare with instead of the baseline record; then no git
    repository is needed. ``jobs`` threads read and profile the data (None: the CPUs
    available).
    """
    config = load_config(config_path)
    if not config.datasets:
        raise MlciError(f"{config.path.name}: no `datasets` configured: nothing to validate.")
    datasets = _data_stage(config, against, quiet=quiet, jobs=jobs, environ=environ, stdout=stdout)
    if save_profiles is not None:
        profiles = {d.summary.name: d.profile for d in datasets}
        write_atomic(save_profiles, json.dumps(profiles, allow_nan=False, sort_keys=True))
    checks = [c for d in datasets for c in d.checks]
    failed = [c for c in checks if c.status == "fail"]
    if not quiet:
        _print_checks(checks, len(failed), stdout)
    print(f"mlci: {'FAIL' if failed else 'PASS'}", file=stdout)
    return EXIT_GATE_FAILED if failed else EXIT_PASS


def _data_stage(
    config: Config,
    against: Path | None,
    *,
    quiet: bool,
    jobs: int | None,
    environ: Mapping[str, str],
    stdout: TextIO,
) -> tuple[DatasetOutcome, ...]:
    """The data stage against the profiles of ``against``, else of the baseline record."""
    progress = make_progress(quiet=quiet, environ=environ, stdout=stdout)
    if against is not None:
        profiles = _profiles_file(against)
        return run_data_stage(config, None, progress=progress, against=profiles, jobs=jobs)
    rev = locate(config)
    _, base_record = find_baseline(config, rev, open_store(config.baseline.store, rev.repo))
    return run_data_stage(config, base_record, progress=progress, jobs=jobs)


def _print_checks(checks: Sequence[CheckResult], failed: int, stdout: TextIO) -> None:
    for c in checks:
        if c.status != "pass":
            print(
                f"{STATUS_LABELS.get(c.status, c.status):>12}  {c.dataset}: {c.message}",
                file=stdout,
            )
    print(
        f"{len(checks)} checks: {len(checks) - failed} passed or warned, {failed} failed.",
        file=stdout,
    )


def _profiles_file(path: Path) -> dict[str, Mapping[str, Any]]:
    """Baseline profiles by dataset name from a record.json or a saved profiles file."""
    try:
        doc = parse_json(read_text(path, limit=MAX_RECORD_BYTES), limit=MAX_RECORD_BYTES)
    except FileNotFoundError:
        raise MlciError(
            f"--against {path}: file not found. Give a record.json or a file "
            "written by `mlci validate --save-profiles`."
        ) from None
    except DocumentError as exc:
        raise MlciError(f"--against {path}: {exc}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MlciError(f"--against {path}: not a JSON file ({exc}).") from None
    entries = doc.get("datasets", doc) if isinstance(doc, dict) else None
    if not isinstance(entries, dict):
        raise MlciError(
            f"--against {path}: expected a record.json or a JSON object of "
            "profiles by dataset name."
        )
    profiles: dict[str, Mapping[str, Any]] = {}
    for name, entry in entries.items():
        profile = entry.get("profile", entry) if isinstance(entry, dict) else None
        if isinstance(profile, dict) and "columns" in profile and "rows" in profile:
            profiles[name] = _finished(path, profile)
    return profiles


def _finished(path: Path, profile: dict[str, Any]) -> dict[str, Any]:
    """A profile, or the profile of a piece (written by `mlci profile --piece`)."""
    if not is_piece(profile):
        return profile
    return load_profiler(profile, source=f"--against {path}").finish()
