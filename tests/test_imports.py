"""The import contract of ``mlci/``, read from the source with :mod:`ast`.

1. Its subpackages and top-level modules form a DAG: no two of them import each other, however
   indirectly. Every import statement counts, also those inside functions and under
   ``if TYPE_CHECKING:``, since each is a dependency a reader has to follow. A shared piece
   belongs below both (``mlci/results.py``, ``mlci/vocab.py``, ``mlci/config.py``).
2. The pure core does no I/O: none of the modules in :data:`PURE_CORE`, nor any mlci module they
   import at run time (directly or through others, their packages' ``__init__`` included),
   imports a module of :data:`IO_MODULES`. Imports under ``if TYPE_CHECKING:`` do not run, so
   they do not count here.
3. Reading the documents mlci validates imports no jsonschema (about 50 ms at every start):
   :mod:`mlci.schemacheck` accepts a valid one, jsonschema only words what is wrong.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

MLCI = Path(__file__).resolve().parent.parent / "mlci"

# Values in, values out: profiles, checks, drift, sketches, metrics, statistics, judging,
# rendering (the report renderers and figures, the release's card and notes), the shared
# values below them. A name covers a module or a whole package.
PURE_CORE = (
    "mlci.errors",
    "mlci.results",
    "mlci.vocab",
    "mlci.data.profile",
    "mlci.data.checks",
    "mlci.data.drift",
    "mlci.data.sketch",
    "mlci.model.metrics",
    "mlci.model.stats",
    "mlci.gates",
    "mlci.rejudge",
    "mlci.rulediff",
    "mlci.report",
    "mlci.release.check",
    "mlci.release.model_card",
    "mlci.release.notes",
    "mlci.release.version",
    "mlci.monitor.intervals",
)
# What reaches processes, the network, git, GitHub, credentials or temporary files.
IO_MODULES = (
    "subprocess",
    "socket",
    "ssl",
    "urllib",
    "http",
    "requests",
    "github",  # PyGithub
    "tempfile",
    "shutil",
    "mlci.git",
    "mlci.github",
    "mlci.gitlab",
    "mlci.records.store",
    "mlci.userenv",
    "mlci.model.isolate",
)


def _name(path: Path) -> str:
    parts = list(path.relative_to(MLCI.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(MLCI.rglob("*.py"))}


def _type_checking_blocks(tree: ast.AST) -> set[ast.AST]:
    """The statements under ``if TYPE_CHECKING:`` (they never run)."""
    found: set[ast.AST] = set()
    for node in ast.walk(tree):
        test = node.test if isinstance(node, ast.If) else None
        if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
            found |= {n for stmt in node.body for n in ast.walk(stmt)}
    return found


@cache
def imports(module: str, *, at_run_time: bool) -> frozenset[str]:
    """Every module name ``module`` imports (relative imports resolved); ``at_run_time`` leaves
    out those under ``if TYPE_CHECKING:``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    skipped = _type_checking_blocks(tree) if at_run_time else set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES}
    return frozenset(found)


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join([*parts, *([node.module] if node.module else [])])


def _mlci_modules(name: str) -> Iterator[str]:
    """The mlci modules importing ``name`` runs: it and the packages above it."""
    parts = name.split(".")
    for end in range(2, len(parts) + 1):
        if ".".join(parts[:end]) in MODULES:
            yield ".".join(parts[:end])


def _is_io(name: str) -> bool:
    return any(name == io or name.startswith(f"{io}.") for io in IO_MODULES)


# -- 1. a DAG of subpackages ---------------------------------------------------------------------


def top_level(module: str) -> str:
    """``mlci.gates.rules -> "gates"``, ``mlci.pipeline -> "pipeline"``."""
    return module.split(".")[1]


def subpackage_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {top_level(m): set() for m in MODULES if m != "mlci"}
    for module in MODULES:
        if module == "mlci":
            continue
        for name in imports(module, at_run_time=False):
            if name.startswith("mlci.") and top_level(name) != top_level(module):
                graph[top_level(module)].add(top_level(name))
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or ``[]`` when it is a DAG."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        path.pop()
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_the_subpackages_of_mlci_form_a_dag() -> None:
    cycle = find_cycle(subpackage_graph())
    assert not cycle, (
        f"mlci's subpackages import each other in a circle: {' -> '.join(cycle)}. "
        "Move the shared piece below both."
    )


def test_find_cycle_finds_a_cycle_and_only_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}) == []
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"x": {"y"}, "y": {"y"}}) == ["y", "y"]


# -- 2. no I/O in the pure core -----------------------------------------------------------------


def runtime_closure(module: str) -> set[str]:
    """``module`` and every mlci module importing it runs, however indirectly."""
    seen: set[str] = set()
    todo = list(_mlci_modules(module))
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for name in imports(current, at_run_time=True):
            todo += [m for m in _mlci_modules(name) if m not in seen]
    return seen


def pure_modules() -> list[str]:
    return [m for m in MODULES if any(m == p or m.startswith(f"{p}.") for p in PURE_CORE)]


def io_imports(module: str) -> list[tuple[str, str]]:
    """``(importer, I/O module)`` for every I/O import that importing ``module`` would run."""
    return sorted(
        (importer, name)
        for importer in runtime_closure(module)
        for name in imports(importer, at_run_time=True)
        if _is_io(name)
    )


@pytest.mark.parametrize("module", pure_modules())
def test_the_pure_core_imports_no_io(module: str) -> None:
    found = io_imports(module)
    assert not found, f"{module} is pure core, but importing it imports I/O: " + "; ".join(
        f"{importer} imports {name}" for importer, name in found[:5]
    )


def test_every_pure_core_name_is_a_module_or_package() -> None:
    assert all(name in MODULES for name in PURE_CORE)
    assert {"mlci.gates.rules", "mlci.report.markdown", "mlci.data.checks.ranges"} <= set(
        pure_modules()
    )


def test_the_io_check_sees_indirect_io_and_ignores_type_checking() -> None:
    """The check itself can fail: an edge module reaches subprocess through mlci.git, while an
    import under ``if TYPE_CHECKING:`` is no import at run time."""
    assert ("mlci.git", "subprocess") in io_imports("mlci.records.store")
    assert "mlci.records.format" in imports("mlci.gates.slices", at_run_time=False)
    assert "mlci.records.format" not in imports("mlci.gates.slices", at_run_time=True)


# -- 3. no jsonschema to read a valid document ---------------------------------------------------

READERS = ("mlci.config", "mlci.records.format", "mlci.report.jsonreport", "mlci.monitor.result")
JSONSCHEMA = {"jsonschema", "referencing", "rpds", "jsonschema_specifications"}
PROBE = """
import json, sys
{imports}
from mlci.config import load_config
from mlci.errors import ConfigError
try:
    said = load_config(sys.argv[1]).name
except ConfigError as error:
    said = str(error)
loaded = sorted({{name.split(".")[0] for name in sys.modules}})
print(json.dumps({{"said": said, "loaded": loaded}}))
"""


def load_in_a_fresh_python(config: Path) -> tuple[str, set[str]]:
    """Import every reader and load ``config`` in a new process: the config's name (or the
    error), and the top-level modules imported by then."""
    code = PROBE.format(imports="\n".join(f"import {m}" for m in READERS))
    done = subprocess.run(
        [sys.executable, "-c", code, str(config)],
        cwd=MLCI.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stdout)
    return found["said"], set(found["loaded"])


def test_reading_a_valid_document_imports_no_jsonschema(tmp_path: Path) -> None:
    config = tmp_path / "mlci.yml"
    config.write_text("version: 1\nname: probe\ndatasets: {d: {path: d.csv}}\n")
    said, loaded = load_in_a_fresh_python(config)
    assert said == "probe"
    assert "yaml" in loaded and JSONSCHEMA & loaded == set()


def test_an_invalid_document_is_worded_by_jsonschema(tmp_path: Path) -> None:
    """The probe sees jsonschema when it is imported: for the message of an invalid config."""
    config = tmp_path / "mlci.yml"
    config.write_text("version: 1\nname: probe\ndatasets: {d: {pth: d.csv}}\n")
    said, loaded = load_in_a_fresh_python(config)
    assert said.endswith("datasets.d.pth: unknown key. Did you mean 'path'?")
    assert JSONSCHEMA.issubset(loaded)
