"""The one user-facing error type.

Anything raised as :class:`MlciError` reaches the user as a single readable line and exit
code 2 (bad input, usage or config). Any other exception is an internal error: exit code 3.
A failing gate is not an error; it is a normal result with exit code 1.
"""

from __future__ import annotations


class MlciError(Exception):
    """Bad input, usage or configuration: the message says what was wrong and what to do."""


class ConfigError(MlciError):
    """The config file (or a schema file) is malformed or inconsistent."""


class DataError(MlciError):
    """A dataset is missing, unreadable, empty or of the wrong shape."""


class ModelError(MlciError):
    """A model, predictions or metrics file is missing, unreadable or inconsistent."""


class RecordError(MlciError):
    """A stored record is corrupt, of an unknown version, or cannot be stored."""


class NewerRecordError(RecordError):
    """A stored record was written by a newer mlci: this one cannot judge against it."""


class GitError(MlciError):
    """A git command failed (not a repository, unknown commit, push refused...)."""


EXIT_PASS = 0
EXIT_GATE_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
