"""One module per command of the `mlci` command line, each one function returning an exit code
(``<name>_command``); :mod:`mlci.cli` parses the arguments and calls it with named arguments.

A command's module is imported only when that command runs (they import pandas, scikit-learn
and PyGithub), so this package's face is the list of its command modules.
"""

from __future__ import annotations

__all__ = [
    "demo",
    "evaluate",
    "init",
    "profile",
    "publish",
    "record",
    "release",
    "run",
    "schema",
    "validate",
]
