"""Reading ahead on a worker thread, and lanes of jobs that keep their order."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator

import pytest

from mlci.data.parallel import Lanes, read_ahead


def counted(n: int, produced: list[int], fail_at: int | None = None) -> Iterator[int]:
    for i in range(n):
        if i == fail_at:
            raise ValueError(f"item {i} is broken")
        produced.append(i)
        yield i


def test_read_ahead_yields_every_item_in_order() -> None:
    assert list(read_ahead(counted(500, []), depth=3)) == list(range(500))


def test_read_ahead_stays_within_its_depth() -> None:
    produced: list[int] = []
    stream = read_ahead(counted(100, produced), depth=2)
    assert next(stream) == 0
    time.sleep(0.3)  # ample time for the worker to run ahead as far as it may
    # one handed over, two in the queue, one made and waiting for a free slot
    assert len(produced) <= 4
    stream.close()


def test_read_ahead_raises_the_error_after_the_items_before_it() -> None:
    got: list[int] = []
    with pytest.raises(ValueError, match="item 7 is broken"):
        for item in read_ahead(counted(20, [], fail_at=7), depth=2):
            got.append(item)
    assert got == list(range(7))


def test_closing_early_stops_the_worker_and_closes_the_source() -> None:
    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    before = threading.active_count()
    stream = read_ahead(endless(), depth=2)
    assert [next(stream) for _ in range(5)] == [0, 1, 2, 3, 4]
    stream.close()
    assert closed.is_set()
    assert threading.active_count() == before


def test_lanes_keep_the_order_of_each_lane() -> None:
    seen: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    rng = random.Random(0)

    def job(lane: str, batch: int) -> None:
        time.sleep(rng.random() / 500)
        seen[lane].append(batch)

    with Lanes[str](threads=3, depth=2) as lanes:
        for batch in range(40):
            lanes.submit({lane: (lambda lane=lane, b=batch: job(lane, b)) for lane in seen})
        lanes.finish()
    assert seen == {lane: list(range(40)) for lane in seen}


def test_lanes_run_side_by_side() -> None:
    both = threading.Barrier(2, timeout=10)  # broken unless two lanes wait at once
    with Lanes[str](threads=2) as lanes:
        lanes.submit({"a": both.wait, "b": both.wait})  # type: ignore[dict-item]
        lanes.finish()


def test_one_lane_never_runs_two_jobs_at_once() -> None:
    running = threading.Semaphore(1)
    overlaps: list[int] = []

    def job() -> None:
        if not running.acquire(blocking=False):
            overlaps.append(1)
            return
        time.sleep(0.002)
        running.release()

    with Lanes[str](threads=4, depth=4) as lanes:
        for _ in range(30):
            lanes.submit({"only": job})
        lanes.finish()
    assert overlaps == []


def test_lanes_raise_the_first_error_in_submission_order() -> None:
    def fail(text: str, delay: float) -> None:
        time.sleep(delay)
        raise RuntimeError(text)

    with Lanes[str](threads=2, depth=8) as lanes:
        lanes.submit({"a": lambda: None, "b": lambda: fail("batch 0, lane b", 0.05)})
        lanes.submit({"a": lambda: fail("batch 1, lane a", 0.0), "b": lambda: None})
        with pytest.raises(RuntimeError, match="batch 0, lane b"):
            lanes.finish()


def test_lanes_hold_at_most_depth_batches_in_flight() -> None:
    started: list[int] = []
    release = threading.Event()

    def job(batch: int) -> None:
        started.append(batch)
        release.wait(10)

    with Lanes[str](threads=2, depth=2) as lanes:
        submitter = threading.Thread(
            target=lambda: [lanes.submit({"a": lambda b=b: job(b)}) for b in range(5)]
        )
        submitter.start()
        time.sleep(0.2)
        assert len(lanes.batches) == 2  # the third submit waits for the first batch
        release.set()
        submitter.join()
        lanes.finish()
    assert started == [0, 1, 2, 3, 4]
