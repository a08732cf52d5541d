"""Shared values of the GitLab tests: tokens, users and the merge request the fake serves."""

from __future__ import annotations

TOKEN = "glpat-Zq3xW8vKp2LmN7rT5yHb"  # the bot user of a project access token
OTHER_TOKEN = "glpat-Other9sJd4kFh6gLq2wEe"  # a human reviewer
READ_TOKEN = "glpat-ReadOnly7aS3dF5gH8jK1"  # read_api scope
BOT, HUMAN, READER = 41, 42, 43
PROJECT, IID, HEAD = "278964", 5, "c0ffee" + "0" * 34
TOKENS = {
    TOKEN: {"id": BOT, "username": "project_278964_bot", "scope": "api"},
    OTHER_TOKEN: {"id": HUMAN, "username": "reviewer", "scope": "api"},
    READ_TOKEN: {"id": READER, "username": "project_278964_bot2", "scope": "read_api"},
}


class Sleeps(list[float]):
    """A ``sleep`` that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
