"""The library of `mlci release` (the command is :mod:`mlci.commands.release`).

- :mod:`~mlci.release.version` reads the tag (version, semantic-version pre-release) and names
  the target (tag, commit, repository);
- :mod:`~mlci.release.check` re-runs the gates in strict mode against the last release (pure);
- :mod:`~mlci.release.previous` finds that last release (git, records, GitHub Releases);
- :mod:`~mlci.release.model_card` and :mod:`~mlci.release.notes` render the card and the notes;
- :mod:`~mlci.release.bundle` writes the bundle directory and its ``SHA256SUMS``;
- :mod:`~mlci.release.deploy` records the deployment and runs the configured deploy command.
"""

from __future__ import annotations

from mlci.release.check import PreviousRelease, ReleaseCheck, check_release
from mlci.release.version import TagInfo, Target, parse_tag

__all__ = ["PreviousRelease", "ReleaseCheck", "TagInfo", "Target", "check_release", "parse_tag"]
