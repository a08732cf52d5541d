"""Constants and helpers shared by the tests of mlci.github (imported by conftest.py)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from tests.helpers.fake_github import FakeGitHub

REPO = "octo/widgets"
PR = 7
HEAD = "a" * 40
MERGE = "m" * 40  # GITHUB_SHA of a pull_request run: the synthetic merge commit
NAME = "churn-model"
RUN = "1001"

# Deliberately not shaped like a GitHub token, so only the settings-based redaction hides it.
WRITE_TOKEN = "tok-write-7f3e9a21c4"
BOT_TOKEN = "tok-bot-5b8d02ee19"
READ_TOKEN = "tok-read-c01d4a77e2"
OTHER_TOKEN = "tok-other-99aa31f0b6"
TOKENS = {
    WRITE_TOKEN: {"login": "mlci-user", "type": "user", "permission": "write"},
    BOT_TOKEN: {"login": "github-actions[bot]", "type": "installation", "permission": "write"},
    READ_TOKEN: {"login": "github-actions[bot]", "type": "installation", "permission": "read"},
    OTHER_TOKEN: {"login": "someone-else", "type": "user", "permission": "write"},
}


class Sleeps:
    """A fake ``sleep`` that records waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def control(fake: FakeGitHub, path: str, payload: Any = None) -> Any:
    """Call a /_fake/ control endpoint over HTTP (as an out-of-process test would)."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        f"{fake.url}/_fake/{path}", data=data, method="GET" if payload is None else "POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())
