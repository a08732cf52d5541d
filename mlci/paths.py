"""Paths that a pull request controls stay inside the repository.

A pull request controls ``mlci.yml`` and the files it names, and it can commit symlinks. So
every path the config names (data, schema, metrics, predictions and model files, the records
directory, release assets) is resolved, following ``..``, absolute paths and symlinks of files
and directories, and must lead inside the repository: otherwise a config could make mlci read
``/etc/passwd`` into a report, a record or a public release asset, or write outside the
checkout. The rule is decided here once; :mod:`mlci.config` applies it to every path key when
the config is loaded, and the release bundle again right before it copies a file.

The repository is the nearest folder, from the config's folder upwards as written (not through
symlinks), that holds ``.git``: a pull request cannot add one (git refuses ``.git`` in a tree).
Outside any git work tree it is the config's own folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from mlci.errors import MlciError


def repository_of(directory: Path) -> Path:
    """The top-level folder of the git work tree holding ``directory`` (absolute, as written),
    or ``directory`` itself when no folder above it holds ``.git``."""
    start = Path(os.path.abspath(directory))
    for folder in (start, *start.parents):
        if os.path.lexists(folder / ".git"):
            return folder
    return start


def find_config(start: Path, name: str = "mlci.yml") -> Path:
    """The ``name`` file in ``start`` or the nearest folder above it, up to the top of the git
    work tree holding ``start`` (as pytest, pre-commit and dvc find theirs); ``start / name``
    when there is none, for the caller to report as missing."""
    here = Path(os.path.abspath(start))
    top = repository_of(here)
    for folder in (here, *here.parents):
        if (folder / name).is_file():
            return folder / name
        if folder == top:
            break
    return start / name


def real(path: Path) -> Path:
    """``path`` with ``..``, ``.`` and every symlink resolved (missing parts kept as written)."""
    return Path(os.path.realpath(path))


def leads_outside(path: Path, repository: Path) -> Path | None:
    """Where ``path`` really leads when that is outside ``repository``; None when inside.

    A path inside the repository that does not exist (yet) is inside: the reader then says the
    file is missing. A dangling symlink is judged by where it points.
    """
    target, top = real(path), real(repository)
    return None if target == top or target.is_relative_to(top) else target


def relative_inside(path: Path, repository: Path) -> str | None:
    """Where ``path`` really leads, relative to the repository's root with ``/`` (as git names
    files); None when it leads outside."""
    target, top = real(path), real(repository)
    return target.relative_to(top).as_posix() if target.is_relative_to(top) else None


def outside_message(written: str, target: Path, repository: Path) -> str:
    """``'../x.csv' resolves to /tmp/x.csv: it must resolve inside the repository /tmp/r``."""
    shown = repr(written)
    return f"{shown} resolves to {target}: it must resolve inside the repository {real(repository)}"


def check_output(path: Path, repository: Path, option: str) -> None:
    """Refuse an output path named on the command line (``--output-dir``, ``--junit``) that
    lies inside the repository as written but leads outside it: a symlink a pull request
    committed there would make mlci write (and delete old figures) outside the checkout. A
    path outside the repository as written is the user's own choice."""
    written = Path(os.path.abspath(path))
    if not written.is_relative_to(os.path.abspath(repository)):
        return
    target = leads_outside(written, repository)
    if target is not None:
        raise MlciError(
            f"{option} {path} leads to {target} through a symlink: inside the repository "
            f"{real(repository)} an output must resolve inside it. Remove the symlink or "
            "choose another path."
        )
