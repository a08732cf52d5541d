"""`mlci validate`: the data stage alone, against the baseline's profiles when available.

Like `mlci run` it writes report.json (checks only, no model) to the output directory and, with
``--junit``, the checks as JUnit XML, so any CI shows them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from mlci import __version__
from mlci.bounded import MAX_RECORD_BYTES, DocumentError, parse_json, read_text
from mlci.config import Config, load_config, rules_document
from mlci.data.profile import is_piece, load_profiler
from mlci.data.progress import make_progress
from mlci.data.stage import DatasetOutcome, run_data_stage
from mlci.errors import EXIT_GATE_FAILED, EXIT_PASS, MlciError
from mlci.files import write_atomic
from mlci.gates import verdict
from mlci.paths import check_output
from mlci.pipeline import Revision, find_baseline, locate
from mlci.records.store import open_store
from mlci.report.jsonreport import dumps_report
from mlci.report.junit import render_junit
from mlci.results import STATUS_LABELS, BaselineInfo, CheckResult, Report


def validate_command(
    config_path: Path,
    *,
    quiet: bool = False,
    against: Path | None = None,
    save_profiles: Path | None = None,
    output_dir: Path = Path("mlci-out"),
    junit: Path | None = None,
    jobs: int | None = None,
    environ: Mapping[str, str],
    stdout: TextIO,
) -> int:
    """`mlci validate`: 0 when no data check failed, else 1.

    ``against`` is a record.json (or a JSON file of profiles by dataset name, as written by
    ``save_profiles``) to compare with instead of the baseline record; then no git
    repository is needed. report.json goes to ``output_dir``, JUnit XML to ``junit`` if
    given. ``jobs`` threads read and profile the data (None: the CPUs available).
    """
    config = load_config(config_path)
    if not config.datasets:
        raise MlciError(f"{config.path.name}: no `datasets` configured: nothing to validate.")
    rev = locate(config) if against is None else None  # --against: no git needed
    for path, option in ((output_dir, "--output-dir"), (junit, "--junit")):
        if path is not None:
            check_output(path, config.repository or config.root, option)
    progress = make_progress(quiet=quiet, environ=environ, stdout=stdout)
    if against is not None:
        profiles = _profiles_file(against)
        reason = f"compared with the profiles in {against}"
        base = BaselineInfo(None, "none", config.baseline.branch, reason=reason)
        datasets = run_data_stage(config, None, progress=progress, against=profiles, jobs=jobs)
    else:
        assert rev is not None  # required above
        base, record = find_baseline(config, rev, open_store(config.baseline.store, rev.repo))
        datasets = run_data_stage(config, record, progress=progress, jobs=jobs)
    if save_profiles is not None:
        profiles = {d.summary.name: d.profile for d in datasets}
        write_atomic(save_profiles, json.dumps(profiles, allow_nan=False, sort_keys=True))
    report = _report(config, rev, base, datasets)
    write_atomic(output_dir / "report.json", dumps_report(report))
    if junit is not None:
        write_atomic(junit, render_junit(report))
    checks = report.checks
    failed = [c for c in checks if c.status == "fail"]
    if not quiet:
        _print_checks(checks, len(failed), stdout)
        print(f"report: {output_dir / 'report.json'}", file=stdout)
        if junit is not None:
            print(f"junit: {junit}", file=stdout)
    print(f"mlci: {'FAIL' if failed else 'PASS'}", file=stdout)
    return EXIT_GATE_FAILED if failed else EXIT_PASS


def _report(
    config: Config, rev: Revision | None, base: BaselineInfo, datasets: Sequence[DatasetOutcome]
) -> Report:
    """The report of the data stage: the checks, no model (and no commit with ``--against``)."""
    checks = tuple(c for d in datasets for c in d.checks)
    return Report(
        name=config.name,
        verdict=verdict((), checks),
        commit=rev.commit if rev is not None else "",
        ref=rev.ref if rev is not None else "",
        baseline=base,
        checks=checks,
        datasets=tuple(d.summary for d in datasets),
        tool_version=__version__,
        rules=rules_document(config),
    )


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
