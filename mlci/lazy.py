"""Packages whose names are imported on first use.

A package's ``__init__`` re-exports its public names (``from mlci.report import render_html``)
without importing every module up front: a run that writes no JUnit or judges no model does not
pay for importing them (each module costs start-up time, a dataclass about half a millisecond).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def exports(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``where`` maps each name to its module.

    The package keeps the same imports under ``if TYPE_CHECKING:``, so type checkers and
    editors see the real names; tests/test_lazy.py checks that both lists agree.
    """

    def attribute(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return attribute
