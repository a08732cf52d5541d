"""Writing a file whole: the one atomic writer of mlci.

Every file mlci writes for later readers (report files, records, profiles, schema and config
files, the release result) goes through :func:`write_atomic`, so a reader — a later step of
the job, a concurrent run, the user — never sees half a file, and a failed write leaves the
old file as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from mlci.errors import MlciError


def write_atomic(path: Path, data: str | bytes, *, durable: bool = False) -> None:
    """Write ``data`` (text as UTF-8) to ``path``, creating its folder.

    The content goes to a new file beside ``path`` (never through an existing one, which may be
    a symlink), readable as an ordinary file (0644), which then replaces ``path`` in one rename.
    ``durable`` also flushes it to the disk first (records). A failure is one
    :class:`MlciError` line naming the file; nothing is left behind.
    """
    content = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise MlciError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    try:
        os.fchmod(fd, 0o644)  # as an ordinary file (mkstemp makes it private)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise MlciError(f"Cannot write {path}: {exc.strerror or exc}.") from None
        raise
