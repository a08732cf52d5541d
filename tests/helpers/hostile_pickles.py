"""Hostile pickles for the isolation tests: each one is a working model that also runs code
when it is loaded (what `allow_unsafe_pickle` lets in).

A pickle names a callable and its arguments; unpickling calls it. ``getitem([payload, model],
1)`` builds the payload first (``exec`` of some code), then hands back the model, so the file
loads as the real model after the code has run. Nothing here needs a module the child process
could not import: only builtins and ``operator``.
"""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Any


class RunsCode:
    """Unpickles as ``exec(code)``."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self) -> tuple[Any, ...]:
        return (exec, (self.code,))


class WithPayload:
    """Unpickles as ``model``, after running ``code``."""

    def __init__(self, code: str, model: Any) -> None:
        self.code, self.model = code, model

    def __reduce__(self) -> tuple[Any, ...]:
        return (operator.getitem, ([RunsCode(self.code), self.model], 1))


def dump_environment(path: Path) -> str:
    """Code that writes the process's environment, its pid and its parent's to ``path``."""
    return (
        "import json, os\n"
        f"open({str(path)!r}, 'w').write(json.dumps("
        "{'environ': dict(os.environ), 'pid': os.getpid(), 'ppid': os.getppid()}))\n"
        "os.environ['GITHUB_TOKEN'] = 'changed-by-the-model'\n"
    )


def forge_answer(marker: Path) -> str:
    """Code that answers in the child's place with a pickled array (which would write
    ``marker`` if the parent unpickled it), then ends the process before mlci's own answer."""
    boom = f"open({str(marker)!r}, 'w').write('ran in the parent')"
    return (
        "import json, os, sys, numpy\n"
        "folder = sys.argv[1]\n"
        "class Boom:\n"
        "    def __reduce__(self):\n"
        f"        return (exec, ({boom!r},))\n"
        "array = numpy.empty(1, dtype=object)\n"
        "array[0] = Boom()\n"
        "numpy.save(os.path.join(folder, 'y_pred.npy'), array, allow_pickle=True)\n"
        "open(os.path.join(folder, 'answer.json'), 'w').write(json.dumps("
        "{'y_pred': 'npy', 'y_score': None, 'y_proba': None, 'labels': None, 'pos_label': None}))\n"
        "os._exit(0)\n"
    )


def crash(code: int) -> str:
    return f"import os, sys\nsys.stderr.write('the model gave up\\n')\nos._exit({code})\n"
