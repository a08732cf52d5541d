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
) -> str:
    """The notes: verdict, what it was compared with, the metric change, the assets, a footer."""
    title = f"{md_text(clip(name, 100))} {md_text(clip(tag.version, 60))}"
    head = f"### ✅ {title}: gates {verdict_phrase(check)}"
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
    return "\n\n".join(b for b in (head, context, change, verify, footer) if b) + "\n"


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
