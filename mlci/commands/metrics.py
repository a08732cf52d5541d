"""`mlci metrics REPORT`: the OpenMetrics text of a report.json (or a monitor.json), for Prometheus.

``mlci run``, ``mlci release`` and ``mlci monitor`` write the same text with ``--openmetrics
PATH``; this command converts a report written earlier (an artifact, a stored history). A
monitor.json is read with the report.json beside it (the same run wrote both): the report gives
the metrics, gates and checks, the monitor.json the metrics' own intervals and labeled rows.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from mlci.bounded import MAX_REPORT_BYTES, DocumentError, parse_json, read_text
from mlci.errors import EXIT_PASS, MlciError
from mlci.files import write_atomic
from mlci.monitor.result import KIND, load_document
from mlci.paths import check_output, repository_of
from mlci.report.jsonreport import load_report
from mlci.report.openmetrics import epoch_of, exposition_of_report, render_openmetrics


def metrics_command(
    report: Path, *, output: Path | None, source: str | None, stdout: TextIO
) -> int:
    """Write the OpenMetrics text of ``report`` to ``output`` (default: standard output)."""
    text = openmetrics_of_file(report, source=source)
    if output is None:
        stdout.write(text)
        return EXIT_PASS
    write_openmetrics(output, text)
    print(f"mlci: wrote {output}", file=stdout)
    return EXIT_PASS


def openmetrics_of_file(path: Path, *, source: str | None = None) -> str:
    """The OpenMetrics text of a report.json or a monitor.json (see the module docstring)."""
    text = _read(path)
    monitor = None
    if _kind(text) == KIND:
        monitor = load_document(text, source=str(path))
        path = path.with_name("report.json")
        text = _read(path)
    report = load_report(text, source=str(path))
    kind = source or ("monitor" if report.baseline.how == "release" else "run")
    stamp = epoch_of(monitor["created_at"]) if monitor else time.time()
    exposition = exposition_of_report(report, source=kind, timestamp=stamp)
    if monitor is not None and monitor.get("performance"):
        perf = monitor["performance"]
        intervals = {
            m["name"]: (m["value_ci_low"], m["value_ci_high"])
            for m in perf["metrics"]
            if m["value_ci_low"] is not None and m["value_ci_high"] is not None
        }
        exposition = replace(
            exposition, value_intervals=intervals, labeled_rows=perf["labeled_rows"]
        )
    return render_openmetrics(exposition)


def write_openmetrics(path: Path, text: str) -> None:
    """Write the text atomically; inside a repository the path must not lead outside it."""
    check_output(path, repository_of(Path.cwd()), "--openmetrics")
    write_atomic(path, text)


def _read(path: Path) -> str:
    try:
        return read_text(path, limit=MAX_REPORT_BYTES)
    except FileNotFoundError:
        raise MlciError(
            f"{path}: file not found. Give a report.json written by mlci run or mlci monitor "
            "(or a monitor.json with its report.json beside it)."
        ) from None
    except (OSError, UnicodeDecodeError, DocumentError) as exc:
        raise MlciError(f"{path}: cannot read it ({exc}).") from None


def _kind(text: str) -> object:
    """The document's ``kind`` (a monitor.json has one; a report.json has none)."""
    try:
        doc = parse_json(text, limit=MAX_REPORT_BYTES)
    except DocumentError:
        return None  # load_report says what is wrong
    return doc.get("kind") if isinstance(doc, dict) else None
