"""Work ahead in a background thread: overlap DuckDB's reading with Polars' or GX's work;
run a few independent Polars computations at a time (:func:`concurrently`).

DuckDB releases the GIL while it executes, so a query run in a worker thread proceeds
while the caller computes on what the previous one gave. On the two-core machine neither
side alone keeps both cores busy (docs/performance.md: "The day grid", item 7, and "The
GX check of the events").
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
_DONE = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class ahead(Generic[T]):  # noqa: N801 - used like a function, as iter() or map()
    """The items of ``items``, produced by a worker thread that starts at once.

    The worker runs at most ``depth`` items ahead of the caller (so at most ``depth`` + 2
    items exist at a time: queued, being produced, and the caller's). An error raised
    while producing an item is raised to the caller at that item. :meth:`close` (also on
    leaving a ``with`` block) stops the worker and closes ``items``, running its
    ``finally`` blocks in the worker, before it returns; an iterator dropped without
    being closed stops its worker too.
    """

    def __init__(self, items: Iterable[T], depth: int = 1) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._finished = False
        # The worker holds the queue and the flag, never this object, so that dropping
        # the object stops the worker (__del__).
        self._worker = threading.Thread(target=_work, args=(iter(items), self._queue,
                                                            self._stop),
                                        name="ehrlog-ahead", daemon=True)
        self._worker.start()

    def __iter__(self) -> ahead[T]:
        return self

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        item = self._queue.get()
        if item is _DONE or isinstance(item, _Failed):
            self.close()
            if isinstance(item, _Failed):
                raise item.error
            raise StopIteration
        return item

    def close(self) -> None:
        """Stop the worker and wait for it (closing ``items``)."""
        self._finished = True
        self._stop.set()
        self._worker.join()

    def __enter__(self) -> ahead[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self._stop.set()


def _put(q: queue.Queue, stop: threading.Event, item: object) -> bool:
    while not stop.is_set():
        try:
            q.put(item, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False


def _work(source: Iterator, q: queue.Queue, stop: threading.Event) -> None:
    try:
        for item in source:
            if not _put(q, stop, item):
                return
        _put(q, stop, _DONE)
    except BaseException as exc:  # noqa: BLE001 - handed to the caller
        _put(q, stop, _Failed(exc))
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


def concurrently(calls: Iterable[Callable[[], T]], workers: int = 2) -> Iterator[T]:
    """The results of ``calls``, in order, with up to ``workers`` of them running at a
    time in a pool of threads (Polars releases the GIL while a query runs, so two
    queries overlap the single-threaded parts of each other).

    ``calls`` is consumed only as results are taken: at most ``workers`` calls have
    started and not been returned. The first error is raised at its call's turn; the
    calls already running then finish before it propagates.
    """
    with ThreadPoolExecutor(max_workers=max(1, workers),
                            thread_name_prefix="ehrlog-concurrently") as pool:
        running: deque[Future[T]] = deque()
        try:
            for call in calls:
                running.append(pool.submit(call))
                if len(running) >= workers:
                    yield running.popleft().result()
            while running:
                yield running.popleft().result()
        finally:
            for future in running:
                future.cancel()
