"""The rules of the Jenkins xunit plugin's JUnit schema (``junit-10.xsd`` of jenkinsci/xunit-plugin,
MIT licence), restated as a checker: which children and attributes each element may have, which
attributes are required, and the form of ``time``. The schema file itself is not vendored here."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

_TIME = re.compile(r"^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?$")  # SUREFIRE_TIME
_TEXT = frozenset()  # text-only elements: no children, no attributes

# element: (allowed children, allowed attributes, required attributes)
_RULES: dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {
    "testsuites": (
        frozenset({"testsuite"}),
        frozenset({"name", "time", "tests", "failures", "errors"}),
        frozenset(),
    ),
    "testsuite": (
        frozenset({"testsuite", "properties", "testcase", "system-out", "system-err"}),
        frozenset(
            {"name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp"}
            | {"hostname", "id", "package", "file", "log", "url"}
        ),
        frozenset({"name", "tests", "failures", "errors"}),
    ),
    "properties": (frozenset({"property"}), frozenset(), frozenset()),
    "property": (frozenset(), frozenset({"name", "value"}), frozenset({"name", "value"})),
    "testcase": (
        frozenset({"skipped", "error", "failure", "system-out", "system-err"})
        | {"rerunFailure", "rerunError", "flakyFailure", "flakyError"},
        frozenset({"name", "time", "classname", "group"}),
        frozenset({"name"}),
    ),
    "failure": (frozenset(), frozenset({"type", "message"}), frozenset()),
    "error": (frozenset(), frozenset({"type", "message"}), frozenset()),
    "skipped": (frozenset(), frozenset({"type", "message"}), frozenset()),
    "system-out": (_TEXT, frozenset(), frozenset()),
    "system-err": (_TEXT, frozenset(), frozenset()),
}


def xunit_violations(root: ET.Element) -> list[str]:
    """What in the document the xunit schema refuses (empty: valid)."""
    found: list[str] = []
    if root.tag not in ("testsuites", "testsuite"):
        found.append(f"root element <{root.tag}>")
    _check(root, found)
    return found


def _check(element: ET.Element, found: list[str]) -> None:
    rule = _RULES.get(element.tag)
    if rule is None:
        found.append(f"unknown element <{element.tag}>")
        return
    children, allowed, required = rule
    found += [f"<{element.tag}> has attribute {a}" for a in element.attrib if a not in allowed]
    found += [f"<{element.tag}> lacks attribute {a}" for a in required if a not in element.attrib]
    time = element.get("time")
    if element.tag in ("testsuites", "testsuite") and time is not None and not _TIME.match(time):
        found.append(f"<{element.tag}> time {time!r}")
    if element.tag == "properties" and (element.text or "").strip():
        found.append("<properties> has text")
    for child in element:
        if child.tag not in children:
            found.append(f"<{element.tag}> has child <{child.tag}>")
        else:
            _check(child, found)
