"""How many threads a run uses: --jobs, the affinity mask and the cgroup CPU quota."""

from __future__ import annotations

import os
from collections.abc import Callable

import pyarrow as pa
import pytest

from mlci.errors import MlciError
from mlci.jobs import (
    arrow_threads,
    available_cpus,
    cgroup_cpu_limit,
    parse_cfs_quota,
    parse_cpu_max,
    parse_jobs,
    resolve_jobs,
)

V2_MOUNTINFO = "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw\n"
V1_MOUNTINFO = (
    "31 23 0:28 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
)


def reader(tree: dict[str, str]) -> Callable[[str], str | None]:
    return tree.get


@pytest.mark.parametrize(
    ("text", "expected"),
    [("auto", None), ("AUTO", None), (" 1", 1), ("2", 2), ("64", 64)],
)
def test_parse_jobs(text: str, expected: int | None) -> None:
    assert parse_jobs(text) == expected


@pytest.mark.parametrize("text", ["0", "-1", "1.5", "two", ""])
def test_parse_jobs_refuses_what_is_not_a_count(text: str) -> None:
    with pytest.raises(MlciError) as caught:
        parse_jobs(text)
    assert str(caught.value) == (
        "--jobs must be a whole number of at least 1, or 'auto' (the CPUs available). "
        f"Got '{text}'."
    )


@pytest.mark.parametrize(
    ("text", "cpus"),
    [("max 100000", None), ("150000 100000\n", 1.5), ("200000 100000", 2.0), ("x y", None)],
)
def test_parse_cpu_max(text: str, cpus: float | None) -> None:
    assert parse_cpu_max(text) == cpus


@pytest.mark.parametrize(
    ("quota", "period", "cpus"),
    [("-1\n", "100000\n", None), ("50000", "100000", 0.5), ("400000", "100000", 4.0)],
)
def test_parse_cfs_quota(quota: str, period: str, cpus: float | None) -> None:
    assert parse_cfs_quota(quota, period) == cpus


def test_cgroup_v2_takes_the_smallest_quota_from_the_cgroup_up_to_the_root() -> None:
    tree = {
        "/sys/fs/cgroup/cpu.max": "max 100000\n",
        "/sys/fs/cgroup/ci.slice/cpu.max": "300000 100000\n",
        "/sys/fs/cgroup/ci.slice/job-7.scope/cpu.max": "max 100000\n",
    }
    limit = cgroup_cpu_limit("0::/ci.slice/job-7.scope\n", V2_MOUNTINFO, reader(tree))
    assert limit == 3.0


def test_cgroup_v2_inside_a_container_reads_its_own_root() -> None:
    # the container's cgroup namespace: /proc/self/cgroup says "/", the mount is the cgroup
    tree = {"/sys/fs/cgroup/cpu.max": "150000 100000\n"}
    assert cgroup_cpu_limit("0::/\n", V2_MOUNTINFO, reader(tree)) == 1.5


def test_cgroup_v1_cpu_controller() -> None:
    cgroup = "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n"
    tree = {
        "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "50000\n",
        "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
        "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
        "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n",
    }
    assert cgroup_cpu_limit(cgroup, V1_MOUNTINFO, reader(tree)) == 0.5


def test_v1_mount_rooted_at_the_containers_cgroup() -> None:
    # the mount's root is the container's cgroup: its path is relative to that root
    mountinfo = "32 31 0:29 /docker/abc /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu,cpuacct\n"
    tree = {
        "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "200000",
        "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000",
    }
    assert cgroup_cpu_limit("4:cpu,cpuacct:/docker/abc\n", mountinfo, reader(tree)) == 2.0


@pytest.mark.parametrize(
    ("cgroup", "mountinfo"),
    [(None, V2_MOUNTINFO), ("0::/\n", None), ("0::/\n", ""), ("garbage", V2_MOUNTINFO)],
)
def test_no_cgroup_information_is_no_limit(cgroup: str | None, mountinfo: str | None) -> None:
    assert cgroup_cpu_limit(cgroup, mountinfo, reader({})) is None


@pytest.mark.parametrize(
    ("cpu_max", "affinity", "expected"),
    [
        ("max 100000", 8, 8),
        ("150000 100000", 8, 2),
        ("50000 100000", 8, 1),
        ("800000 100000", 2, 2),
    ],
)
def test_available_cpus_is_the_affinity_capped_by_the_rounded_up_quota(
    cpu_max: str, affinity: int, expected: int
) -> None:
    tree = {
        "/proc/self/cgroup": "0::/\n",
        "/proc/self/mountinfo": V2_MOUNTINFO,
        "/sys/fs/cgroup/cpu.max": cpu_max,
    }
    assert available_cpus(reader(tree), affinity=affinity) == expected


def test_available_cpus_of_this_process() -> None:
    found = available_cpus()
    assert 1 <= found <= (os.cpu_count() or 1)
    if hasattr(os, "sched_getaffinity"):
        assert found <= len(os.sched_getaffinity(0))
    assert resolve_jobs(None) == found
    assert resolve_jobs(3) == 3


def test_arrow_threads_sizes_the_pool_for_a_while() -> None:
    before = pa.cpu_count()
    with arrow_threads(before + 1):
        assert pa.cpu_count() == before + 1
    assert pa.cpu_count() == before
