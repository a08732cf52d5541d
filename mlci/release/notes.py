"""mlci's section of the GitHub Release notes, and the refusal summary (pure markdown).

The notes are rendered by GitHub with the workflow's token, so every value from the repository
or the data is escaped (:mod:`mlci.report.escape`), like the PR comment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mlci.release.check import ReleaseCheck
from mlci.release.model_card import metric_table, verdict_phrase
from mlci.release.version import TagInfo
from mlci.report.escape import md_code, md_text
from mlci.vocab import clip

_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~%/-]*)?")


def release_notes(
    name: str,
    tag: TagInfo,
    check: ReleaseCheck,
    assets: Sequence[str],
    *,
    tool_version: str = "",
    run_url: str | None = None,
    replaces: str | None = None,
    environment: str = "",
) -> str:
    """The notes: verdict, the release it replaces and what it was compared with, the metric
    change, the assets, a footer.

    ``replaces`` is the release live in ``environment`` when this one was published (after a
    rollback it is not the previous release the gates compared with); None: the previous one.
    """
    title = f"{md_text(clip(name, 100))} {md_text(clip(tag.version, 60))}"
    head = f"### ✅ {title}: gates {verdict_phrase(check)}"
    replaced = replaces_line(check, replaces, environment)
    compared = (
        f"Compared with the previous release {md_code(clip(check.previous.tag, 60))} "
        f"({md_code(check.previous.commit[:7])})"
        if check.previous is not None
        else "First release of this model: no previous release to compare with"
    )
    context = f"{compared} · commit {md_code(check.commit[:12])}"
    change = metric_table(check, tag, limit=50)
    files = ", ".join(md_code(clip(a, 80)) for a in assets)
    verify = f"Assets: {files}. Verify a download with `sha256sum -c SHA256SUMS`."
    footer = _footer(tool_version, run_url)
    blocks = (head, replaced, context, change, verify, footer)
    return "\n\n".join(b for b in blocks if b) + "\n"


def replaces_line(check: ReleaseCheck, replaces: str | None, environment: str) -> str:
    """Which release this one replaces, and which one the gates compared it with."""
    previous = check.previous.tag if check.previous is not None else None
    live = replaces or previous
    if live is None:
        return "Replaces no earlier release."
    where = f", live in {md_code(clip(environment, 60))}" if replaces and environment else ""
    line = f"Replaces {md_code(clip(live, 60))}{where}"
    if previous is None:
        return (
            f"{line}; its gates had no earlier release among this one's ancestors to compare with."
        )
    if previous == live:
        return f"{line}; the gates compared this release with it (table below)."
    return (
        f"{line}; the gates compared this release with {md_code(clip(previous, 60))}, the "
        "latest release among its ancestors (table below)."
    )


def refusal_summary(name: str, tag: TagInfo, check: ReleaseCheck) -> str:
    """The job summary of a refused release."""
    head = f"### ❌ mlci · {md_text(clip(name, 100))} {md_text(clip(tag.version, 60))} not released"
    reason = md_text(clip(check.refusal or "", 3000))
    table = metric_table(check, tag, limit=50)
    return "\n\n".join(b for b in (head, reason, table) if b) + "\n"


def _footer(tool_version: str, run_url: str | None) -> str:
    tool = f"mlci {md_text(clip(tool_version, 40))}" if tool_version else "mlci"
    run = f" · [workflow run]({run_url})" if run_url and _URL.fullmatch(run_url) else ""
    return f"<sub>Released by {tool}{run}</sub>"


def rollback_marker(name: str) -> str:
    """The hidden line that starts the rollback section of a release's notes."""
    return f"<!-- mlci:rollback name={name} -->"


def rollback_section(
    name: str, info: TagInfo, replaced: str | None, check: ReleaseCheck | None
) -> str:
    """The rollback part of the notes: what it replaced and how the gates compared (escaped)."""
    this = md_code(clip(info.tag, 60))
    if replaced is None:
        head = f"### ↩️ {md_text(clip(name, 100))}: {this} was deployed again (rollback)"
        return head + "\n\nNo other release of this model was live when it was deployed again.\n"
    other = md_code(clip(replaced, 60))
    head = f"### ↩️ {md_text(clip(name, 100))}: {this} replaced {other} (rollback)"
    if check is None:
        return head + f"\n\n{this} was deployed again in place of {other}.\n"
    compared = (
        f"How the gates compared: {this} against {other} {verdict_phrase(check)}"
        + ("" if check.passed else " (rolled back anyway, as asked)")
        + "."
    )
    table = metric_table(check, info, limit=50)
    return "\n\n".join(b for b in (head, compared, table) if b) + "\n"
