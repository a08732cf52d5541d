"""Release tags: the version, and semantic-version pre-releases (https://semver.org)."""

from __future__ import annotations

import pytest

from mlci.release.version import TagInfo, parse_tag


@pytest.mark.parametrize(
    ("tag", "version", "semver", "prerelease"),
    [
        ("v1.4.0", "1.4.0", True, False),
        ("1.4.0", "1.4.0", True, False),
        ("v2.0.0-rc.1", "2.0.0-rc.1", True, True),
        ("v1.0.0-alpha", "1.0.0-alpha", True, True),
        ("v1.0.0-0.3.7", "1.0.0-0.3.7", True, True),
        ("v1.0.0-x.7.z.92", "1.0.0-x.7.z.92", True, True),
        ("v1.0.0+20130313144700", "1.0.0+20130313144700", True, False),  # build metadata only
        ("v1.0.0-beta+exp.sha.5114f85", "1.0.0-beta+exp.sha.5114f85", True, True),
        ("v1.4", "1.4", False, False),
        ("v01.0.0-rc.1", "01.0.0-rc.1", False, False),  # leading zero: not semver
        ("v1.0.0-01", "1.0.0-01", False, False),  # numeric identifier with a leading zero
        ("release-2025-06", "release-2025-06", False, False),
        ("version-1", "version-1", False, False),  # "v" not followed by a digit is kept
    ],
)
def test_parse_tag(tag: str, version: str, semver: bool, prerelease: bool) -> None:
    assert parse_tag(tag) == TagInfo(tag, version, semver, prerelease)
