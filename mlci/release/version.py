"""What a release tag says (its version, whether it is a pre-release), and what it releases."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# https://semver.org, with an optional leading "v"
_IDENT = r"(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER = re.compile(
    rf"v?(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)"
    rf"(?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)


@dataclass(frozen=True)
class TagInfo:
    """A release tag. ``version`` drops a leading ``v`` before a digit (``v1.4.0`` → ``1.4.0``);
    ``prerelease`` is true for a semantic version with a pre-release part (``v2.0.0-rc.1``)."""

    tag: str
    version: str
    semver: bool
    prerelease: bool


def parse_tag(tag: str) -> TagInfo:
    """Read a tag name.

    >>> parse_tag("v2.0.0-rc.1")
    TagInfo(tag='v2.0.0-rc.1', version='2.0.0-rc.1', semver=True, prerelease=True)
    >>> parse_tag("v1.4.0+build.7").prerelease
    False
    """
    version = tag[1:] if re.match(r"v\d", tag) else tag
    match = _SEMVER.fullmatch(tag)
    return TagInfo(tag, version, match is not None, bool(match and match.group("pre")))


@dataclass(frozen=True)
class Target:
    """What is being released: the tag, its commit and the repository."""

    repo: Path
    tag: TagInfo
    commit: str

    @property
    def short(self) -> str:
        return f"{self.tag.tag} ({self.commit[:7]})"
