"""The shape of ``mlci/``, measured from its source: small modules and functions, one module per
command, a typed package.

A function's length counts its lines from ``def`` to its last line, docstring included (nested
functions count on their own too); a module's length is its number of lines.
"""

from __future__ import annotations

import ast
import statistics
from pathlib import Path

from mlci.cli import COMMANDS, _build_parser

MLCI = Path(__file__).resolve().parent.parent / "mlci"
MAX_MODULE_LINES = 1_000
MAX_FUNCTION_LINES = 80
MAX_MEDIAN_FUNCTION_LINES = 10


def modules() -> list[Path]:
    return sorted(MLCI.rglob("*.py"))


def function_lengths() -> dict[str, int]:
    """``{"mlci/x.py:12 name": lines}`` for every function and method of mlci."""
    found = {}
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno is not None
                where = f"{path.relative_to(MLCI.parent)}:{node.lineno} {node.name}"
                found[where] = node.end_lineno - node.lineno + 1
    return found


def test_no_module_is_over_1000_lines() -> None:
    sizes = {
        p.relative_to(MLCI.parent): len(p.read_text(encoding="utf-8").splitlines())
        for p in modules()
    }
    assert {str(p): n for p, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_functions_are_small() -> None:
    lengths = function_lengths()
    assert len(lengths) > 1_000  # the measure sees the whole package
    long = {where: n for where, n in lengths.items() if n > MAX_FUNCTION_LINES}
    assert long == {}, f"functions over {MAX_FUNCTION_LINES} lines: {long}"
    assert statistics.median(lengths.values()) <= MAX_MEDIAN_FUNCTION_LINES


def test_every_command_is_one_function_in_its_own_module() -> None:
    parser = _build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    names = set(sub.choices)  # type: ignore[arg-type]
    assert names == set(COMMANDS)
    for name in names:
        source = (MLCI / "commands" / f"{name}.py").read_text(encoding="utf-8")
        tree = ast.parse(source)
        functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert f"{name}_command" in functions, f"mlci/commands/{name}.py has no {name}_command"


def test_the_package_is_typed() -> None:
    assert (MLCI / "py.typed").is_file()
