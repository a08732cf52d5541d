"""The data stage on several threads, with the results of one.

Two kinds of concurrency, both of work that releases the GIL (Arrow's parsers and compute
functions, numpy's sorts and ufuncs):

- :func:`read_ahead`: a file is parsed on a worker thread while the batches parsed before
  are consumed; a bounded queue keeps memory flat in the number of rows.
- :class:`Lanes`: the consumers of one batch (one lane per column, one for the checks that
  read several columns) run side by side on a thread pool. Within a lane, jobs run one at a
  time in the order they were submitted, so every accumulator sees the batches in file order
  exactly as on one thread, and the results are the same for any number of threads.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Generator, Hashable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

_POLL = 0.05  # seconds between checks whether the consumer has gone away


def read_ahead(items: Iterator[T], depth: int) -> Generator[T, None, None]:
    """The items of ``items`` in order, produced on a worker thread at most ``depth`` ahead.

    An exception raised while producing is raised here, in the consumer's thread, after the
    items produced before it. Closing this iterator early stops the worker (and closes
    ``items`` in that thread).
    """
    slots: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(kind: str, value: object) -> bool:
        while not stop.is_set():
            try:
                slots.put((kind, value), timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put("item", item):
                    return
            put("end", None)
        except BaseException as exc:  # handed to the consumer, which raises it
            put("error", exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="mlci-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = slots.get()
            if kind == "end":
                return
            if kind == "error":
                assert isinstance(value, BaseException)
                raise value
            yield value  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()


Job = Callable[[], None]


class Lanes(Generic[K]):
    """Runs each submitted batch of jobs (one per lane) on ``threads`` threads; jobs of one lane
    run in submission order, never two at once. At most ``depth`` batches are in flight:
    :meth:`submit` waits for the oldest one first.

    Use as a context manager: leaving it waits for every job. :meth:`finish` waits too, and
    raises the first error in submission order (the error one thread would have raised).
    """

    def __init__(self, threads: int, depth: int = 2) -> None:
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="mlci-lane")
        self.depth = max(1, depth)
        self.tails: dict[K, Future[None]] = {}
        self.batches: deque[list[Future[None]]] = deque()

    def submit(self, jobs: Mapping[K, Job]) -> None:
        """Queue one batch: each job after the previous job of its lane."""
        while len(self.batches) >= self.depth:
            self._retire()
        futures: list[Future[None]] = []
        for lane, job in jobs.items():
            future: Future[None] = Future()
            previous = self.tails.get(lane)
            if previous is None:
                self.pool.submit(_run, job, future)
            else:
                previous.add_done_callback(self._after(job, future))
            self.tails[lane] = future
            futures.append(future)
        self.batches.append(futures)

    def finish(self) -> None:
        """Wait for every job; raise the first error in submission order."""
        while self.batches:
            self._retire()

    def _after(self, job: Job, future: Future[None]) -> Callable[[Future[None]], None]:
        def start(_: Future[None]) -> None:
            self.pool.submit(_run, job, future)

        return start

    def _retire(self) -> None:
        """Wait for the oldest batch and let it go."""
        wait(self.batches[0])
        futures = self.batches.popleft()
        for future in futures:
            future.result()  # the first error of the oldest batch: stop feeding

    def close(self) -> None:
        """Wait for every job (errors are left to :meth:`finish`) and stop the threads."""
        wait([f for batch in self.batches for f in batch])  # chained jobs are all submitted
        self.batches.clear()
        self.pool.shutdown(wait=True)

    def __enter__(self) -> Lanes[K]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _run(job: Job, future: Future[None]) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        job()
    except BaseException as exc:  # raised by Lanes.finish, in the caller's thread
        future.set_exception(exc)
    else:
        future.set_result(None)
