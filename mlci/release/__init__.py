"""`mlci release`: re-check a tagged commit, bundle the model, publish the release, deploy.

- :mod:`~mlci.release.version` reads the tag (version, semantic-version pre-release);
- :mod:`~mlci.release.check` re-runs the gates in strict mode against the last release (pure);
- :mod:`~mlci.release.model_card` and :mod:`~mlci.release.notes` render the card and the notes;
- :mod:`~mlci.release.bundle` writes the bundle directory and its ``SHA256SUMS``;
- :mod:`~mlci.release.deploy` runs the configured deploy command;
- :mod:`~mlci.release.flow` wires them to git, the records store and GitHub.
"""
