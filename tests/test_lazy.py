"""Packages that import their names on first use (:mod:`mlci.lazy`); what start-up leaves out."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

MLCI = Path(__file__).resolve().parent.parent / "mlci"
LAZY = sorted(
    p.parent.relative_to(MLCI.parent).as_posix().replace("/", ".")
    for p in MLCI.rglob("__init__.py")
    if "exports(" in p.read_text(encoding="utf-8")
)


def test_some_packages_are_lazy() -> None:
    assert {"mlci.report", "mlci.model"} <= set(LAZY)


def typing_imports(package: str) -> dict[str, str]:
    """``name -> module`` of the imports under ``if TYPE_CHECKING:`` in the package's init."""
    tree = ast.parse((MLCI.parent / package.replace(".", "/") / "__init__.py").read_text())
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.module
                found.update({a.asname or a.name: stmt.module for a in stmt.names})
    return found


@pytest.mark.parametrize("package", LAZY)
def test_lazy_names_are_the_typed_ones_and_resolve(package: str) -> None:
    module = importlib.import_module(package)
    typed = typing_imports(package)
    assert sorted(typed) == sorted(module.__all__)
    for name, where in typed.items():
        assert getattr(module, name) is getattr(importlib.import_module(where), name), name
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        module.nothing_here  # noqa: B018


@pytest.mark.parametrize("package", LAZY)
def test_no_lazy_name_is_also_a_submodule(package: str) -> None:
    """Once imported, a submodule is an attribute of its package and would hide a lazy name of
    the same spelling (``from mlci.gates import verdict`` giving the module): not allowed."""
    path = MLCI.parent / package.replace(".", "/")
    submodules = {m.name for m in pkgutil.iter_modules([str(path)])}
    assert not submodules & set(typing_imports(package))


def test_a_run_outside_actions_imports_no_client_junit_or_mlflow() -> None:
    code = (
        "import sys, mlci.commands.run\n"
        "heavy = ('mlci.github.client', 'mlci.github.publish', 'mlci.github.settings',\n"
        "         'mlci.report.junit', 'mlci.report.openmetrics', 'mlci.model.mlflow_run',\n"
        "         'pyarrow.parquet', 'pyarrow.fs', 'ssl', 'numpy.random', 'numpy.ma',\n"
        "         'importlib.metadata', 'jsonschema')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
