"""GitHub: settings from the environment, the event plan, the API client and publishing.

This is the only package that imports PyGithub, and only inside functions (``mlci --help``
stays fast). Modules:

- :mod:`mlci.github.settings` ``Settings.from_environ(environ)``
- :mod:`mlci.github.event` ``plan_for_event(...)``, ``load_event(settings)``
- :mod:`mlci.github.client` ``GitHubClient``, ``RetryPolicy``, ``GitHubError``, ``ReadOnlyToken``
- :mod:`mlci.github.publish` ``publish(...)``, ``start(...)``, ``upsert_comment(...)``
- :mod:`mlci.github.workflow` outputs, job summary, annotations (pure formatting + writers)
"""

from __future__ import annotations

from mlci.github.client import GitHubClient, GitHubError, ReadOnlyToken, RetryPolicy
from mlci.github.event import EventPlan, load_event, plan_for_event
from mlci.github.publish import CommentOutcome, PublishResult, publish, start, upsert_comment
from mlci.github.settings import Settings

__all__ = [
    "CommentOutcome",
    "EventPlan",
    "GitHubClient",
    "GitHubError",
    "PublishResult",
    "ReadOnlyToken",
    "RetryPolicy",
    "Settings",
    "load_event",
    "plan_for_event",
    "publish",
    "start",
    "upsert_comment",
]
