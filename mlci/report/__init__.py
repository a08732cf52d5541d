"""Renderers of a :class:`mlci.results.Report`, each a pure function of the report.

- :func:`render_comment`: the PR comment and job summary (GitHub markdown, within a size limit);
- :func:`render_html`: ``report.html``, one self-contained page with its figures;
- :func:`render_terminal`: plain text for a terminal or a CI log;
- :func:`dumps_report`: ``report.json``, the stable machine-readable form;
- :func:`render_junit`: JUnit XML for other CIs.

They share their phrases (:mod:`~mlci.report.phrases`), their cells (:mod:`~mlci.report.cells`)
and their escaping (:mod:`~mlci.report.escape`); the figures are :mod:`mlci.report.plots`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlci.lazy import exports

if TYPE_CHECKING:
    from mlci.report.html import render_html
    from mlci.report.jsonreport import dumps_report
    from mlci.report.junit import render_junit
    from mlci.report.markdown import render_comment
    from mlci.report.terminal import render_terminal

__getattr__ = exports(
    __name__,
    {
        "render_html": "mlci.report.html",
        "dumps_report": "mlci.report.jsonreport",
        "render_junit": "mlci.report.junit",
        "render_comment": "mlci.report.markdown",
        "render_terminal": "mlci.report.terminal",
    },
)

__all__ = ["dumps_report", "render_comment", "render_html", "render_junit", "render_terminal"]
