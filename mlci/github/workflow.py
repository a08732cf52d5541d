"""GitHub Actions workflow commands and files: formatting (pure) and tiny writers.

- outputs use the heredoc form ``name<<ghadelimiter_<hex>`` with a delimiter absent from the
  value, so a multi-line or hostile value cannot set other outputs;
- the job summary is appended and never grows past GitHub's 1 MiB limit;
- annotations are escaped like ``@actions/core`` does, and capped (GitHub shows at most 10
  errors and 10 warnings per step), with one notice saying how many more are in the report.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Literal

from mlci.results import CheckResult, GateResult

Level = Literal["error", "warning", "notice"]
SUMMARY_LIMIT = 1024 * 1024  # bytes: GitHub rejects a larger step summary
TRUNCATION_NOTE = (
    "\n\n> **mlci:** this summary was cut to fit GitHub's 1 MiB limit; "
    "the full report is in the `mlci-report` artifact.\n"
)
MAX_ANNOTATIONS = 50
MAX_PER_LEVEL = 10


def new_delimiter() -> str:
    return f"ghadelimiter_{secrets.token_hex(16)}"


def format_output(
    name: str, value: str, *, delimiter_factory: Callable[[], str] = new_delimiter
) -> str:
    """One ``GITHUB_OUTPUT`` entry in heredoc form, ending with a newline."""
    if not name or any(c in name for c in "\r\n") or "<<" in name:
        raise ValueError(f"Bad output name {name!r}: it must be one line without '<<'.")
    delimiter = delimiter_factory()
    while delimiter in value or delimiter in name:
        delimiter = delimiter_factory()
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def write_outputs(
    path: Path,
    outputs: Mapping[str, str],
    *,
    delimiter_factory: Callable[[], str] = new_delimiter,
) -> None:
    """Append ``outputs`` to the ``GITHUB_OUTPUT`` file."""
    text = "".join(
        format_output(k, v, delimiter_factory=delimiter_factory) for k, v in outputs.items()
    )
    with path.open("a", encoding="utf-8", newline="\n") as f:
        f.write(text)


def write_summary(path: Path, markdown: str) -> bool:
    """Append ``markdown`` to the job summary, cut (with a note) so the file stays within
    1 MiB. Returns True when something was cut."""
    used = path.stat().st_size if path.exists() else 0
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    data, cut = fit_summary(text, SUMMARY_LIMIT - used)
    with path.open("ab") as f:
        f.write(data)
    return cut


def fit_summary(markdown: str, budget: int) -> tuple[bytes, bool]:
    """``markdown`` as UTF-8 within ``budget`` bytes, cut at a character boundary with the
    truncation note when it does not fit."""
    data = markdown.encode("utf-8")
    if len(data) <= budget:
        return data, False
    note = TRUNCATION_NOTE.encode("utf-8")
    room = budget - len(note)
    if room < 0:
        return b"", True
    head = data[:room].decode("utf-8", errors="ignore").encode("utf-8")
    return head + note, True


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_annotation(
    level: Level,
    message: str,
    *,
    title: str | None = None,
    file: str | None = None,
    line: int | None = None,
) -> str:
    """``::error file=F,line=L,title=T::message`` with workflow-command escaping."""
    props = [
        f"{key}={escape_property(str(value))}"
        for key, value in (("file", file), ("line", line), ("title", title))
        if value is not None
    ]
    head = f"{level} {','.join(props)}" if props else level
    return f"::{head}::{escape_data(message)}"


def group(title: str) -> str:
    return f"::group::{escape_data(title)}"


def endgroup() -> str:
    return "::endgroup::"


def annotations_for(
    checks: Iterable[CheckResult],
    gates: Iterable[GateResult],
    *,
    max_total: int = MAX_ANNOTATIONS,
    max_per_level: int = MAX_PER_LEVEL,
) -> list[str]:
    """Annotations for failed and warned gates and checks, errors first, capped per level and
    in total, plus one notice counting what was left out."""
    found = [_gate_annotation(g) for g in gates] + [_check_annotation(c) for c in checks]
    order: tuple[Level, ...] = ("error", "warning", "notice")
    shown: list[str] = []
    for level in order:
        of_level = [text for lvl, text in found if lvl == level]
        shown += of_level[: min(max_per_level, max_total - len(shown))]
    hidden = sum(1 for lvl, _ in found if lvl is not None) - len(shown)
    if hidden > 0:
        plural = "finding is" if hidden == 1 else "findings are"
        shown.append(
            format_annotation("notice", f"{hidden} more mlci {plural} in the report.", title="mlci")
        )
    return shown


def _gate_annotation(gate: GateResult) -> tuple[Level | None, str]:
    level = _level(gate.status)
    title = f"mlci gate: {gate.metric} {gate.rule}"
    return level, format_annotation(level or "notice", gate.message, title=title)


def _check_annotation(check: CheckResult) -> tuple[Level | None, str]:
    level = _level(check.status)
    where = f"{check.dataset}.{check.column}" if check.column else check.dataset
    title = f"mlci data: {check.check} on {where}"
    return level, format_annotation(level or "notice", check.message, title=title)


def _level(status: str) -> Level | None:
    levels: dict[str, Level] = {
        "fail": "error",
        "warn": "warning",
        "inconclusive": "warning",  # a breach by the point estimate only: look, but not a failure
        "insufficient_data": "notice",
    }
    return levels.get(status)
