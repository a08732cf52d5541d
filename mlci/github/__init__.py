"""GitHub: settings from the environment, the event plan, the API client and publishing.

This is the only package that imports PyGithub, and only inside functions (``mlci --help``
stays fast); import from the modules themselves (the package imports none of them, so a run
outside Actions does not load the client). Modules:

- :mod:`mlci.github.settings` ``Settings.from_environ(environ)``
- :mod:`mlci.github.event` ``plan_for_event(...)``, ``load_event(settings)``
- :mod:`mlci.github.client` ``GitHubClient``, ``RetryPolicy``, ``GitHubError``, ``ReadOnlyToken``
- :mod:`mlci.github.publish` ``publish(...)``, ``start(...)``, ``upsert_comment(...)``
- :mod:`mlci.github.workflow` outputs, job summary, annotations (pure formatting + writers)
"""
