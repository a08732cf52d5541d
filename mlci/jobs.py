"""How many threads a run uses: the CPUs this process may use, or ``--jobs N``.

The CPUs a process may use are fewer than the machine has when it is pinned to some of them
(``taskset``, Kubernetes' static CPU manager: the affinity mask) or given a CPU quota by its
cgroup (``docker run --cpus 1.5``, Kubernetes limits: ``cpu.max`` in cgroup v2,
``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` in cgroup v1). The quota is rounded up: 1.5 CPUs
keep two threads busy three quarters of the time. Parsing is pure (:func:`cgroup_cpu_limit`
takes the texts of the files); :func:`available_cpus` reads them.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import PurePosixPath

from mlci.errors import MlciError

Read = Callable[[str], "str | None"]  # the text of a file, or None when it cannot be read


def parse_jobs(text: str) -> int | None:
    """The value of ``--jobs``: a whole number of at least 1, or ``auto`` (None)."""
    value = text.strip().lower()
    if value == "auto":
        return None
    if value.isdigit() and int(value) >= 1:
        return int(value)
    raise MlciError(
        f"--jobs must be a whole number of at least 1, or 'auto' (the CPUs available). "
        f"Got '{text}'."
    )


def resolve_jobs(requested: int | None) -> int:
    """``requested``, or the CPUs available to this process when it is None."""
    return requested if requested is not None else available_cpus()


@contextmanager
def arrow_threads(threads: int) -> Iterator[None]:
    """Size Arrow's thread pool (which parses and decodes files) to ``threads`` for a while.

    Arrow sizes it to the machine's cores by default, ignoring affinity and cgroup quotas.
    """
    import pyarrow as pa

    before = pa.cpu_count()
    if threads != before:
        pa.set_cpu_count(threads)
    try:
        yield
    finally:
        if threads != before:
            pa.set_cpu_count(before)


def available_cpus(read: Read | None = None, affinity: int | None = None) -> int:
    """The CPUs this process may use: its affinity mask, capped by its cgroup's CPU quota."""
    reader = read or _read_text
    count = affinity if affinity is not None else _affinity()
    limit = cgroup_cpu_limit(reader("/proc/self/cgroup"), reader("/proc/self/mountinfo"), reader)
    if limit is not None:
        count = min(count, max(1, math.ceil(limit)))
    return max(1, count)


def cgroup_cpu_limit(cgroup: str | None, mountinfo: str | None, read: Read) -> float | None:
    """The CPU quota (in CPUs) of the process's cgroup and its ancestors, the smallest one;
    None when there is none.

    Parameters:
        cgroup: the text of ``/proc/self/cgroup``.
        mountinfo: the text of ``/proc/self/mountinfo``.
        read: reads a file of the cgroup file system.
    """
    if not cgroup or not mountinfo:
        return None
    limits = [
        limit
        for directory, files in _cgroup_directories(cgroup, mountinfo)
        for folder in _up_to_mount(directory)
        if (limit := _limit_in(folder, files, read)) is not None
    ]
    return min(limits) if limits else None


def parse_cpu_max(text: str) -> float | None:
    """cgroup v2 ``cpu.max`` (``"150000 100000"`` → 1.5 CPUs; ``"max 100000"`` → None)."""
    parts = text.split()
    if len(parts) != 2 or parts[0] == "max":
        return None
    return _ratio(parts[0], parts[1])


def parse_cfs_quota(quota: str, period: str) -> float | None:
    """cgroup v1 ``cpu.cfs_quota_us`` over ``cpu.cfs_period_us`` (a quota of -1: None)."""
    return _ratio(quota.strip(), period.strip())


def _ratio(quota: str, period: str) -> float | None:
    try:
        q, p = int(quota), int(period)
    except ValueError:
        return None
    return q / p if q > 0 and p > 0 else None


_V2_FILES = ("cpu.max",)
_V1_FILES = ("cpu.cfs_quota_us", "cpu.cfs_period_us")


def _limit_in(folder: str, files: tuple[str, ...], read: Read) -> float | None:
    texts = [read(f"{folder}/{name}") for name in files]
    if any(t is None for t in texts):
        return None
    if files == _V2_FILES:
        return parse_cpu_max(texts[0] or "")
    return parse_cfs_quota(texts[0] or "", texts[1] or "")


def _cgroup_directories(
    cgroup: str, mountinfo: str
) -> Iterator[tuple[tuple[str, str], tuple[str, ...]]]:
    """``((mount point, directory inside it), files)`` of the process's CPU cgroups."""
    mounts = _cgroup_mounts(mountinfo)
    for line in cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "" and "cgroup2" in mounts:
            root, point = mounts["cgroup2"]
            yield (point, _inside(path, root)), _V2_FILES
        elif "cpu" in controllers.split(",") and "cpu" in mounts:
            root, point = mounts["cpu"]
            yield (point, _inside(path, root)), _V1_FILES


def _cgroup_mounts(mountinfo: str) -> dict[str, tuple[str, str]]:
    """``{"cgroup2" | "cpu": (root, mount point)}`` from ``/proc/self/mountinfo``."""
    found: dict[str, tuple[str, str]] = {}
    for line in mountinfo.splitlines():
        fields = line.split()
        if "-" not in fields or len(fields) < 5:
            continue
        dash = fields.index("-")
        if dash + 3 > len(fields):
            continue
        fstype, options = fields[dash + 1], fields[dash + 3].split(",")
        root, point = fields[3], fields[4]
        if fstype == "cgroup2":
            found.setdefault("cgroup2", (root, point))
        elif fstype == "cgroup" and "cpu" in options:
            found.setdefault("cpu", (root, point))
    return found


def _inside(path: str, root: str) -> str:
    """The cgroup ``path`` relative to the mount's ``root`` (a container sees only its own)."""
    p, r = PurePosixPath(path), PurePosixPath(root)
    try:
        return str(p.relative_to(r))
    except ValueError:
        return str(p.relative_to("/")) if p.is_absolute() else str(p)


def _up_to_mount(where: tuple[str, str]) -> Iterator[str]:
    """The cgroup's folder, then each parent up to the mount point."""
    point, inside = where
    parts = [part for part in PurePosixPath(inside).parts if part not in ("/", ".")]
    for depth in range(len(parts), -1, -1):
        yield str(PurePosixPath(point, *parts[:depth]))


def _affinity() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return None
