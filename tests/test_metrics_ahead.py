"""metrics.ahead.ahead: DuckDB reads the next batch while Polars or GX works on this one."""

import threading
import time

import pytest

from metrics.ahead import ahead


def _wait_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


class _Reads:
    """A source that records each item it produces, the thread it ran in, and how many
    were produced at once."""

    def __init__(self, keys):
        self.keys, self.log, self.threads, self.busy, self.peak = keys, [], set(), 0, 0
        self.closed = False
        self._lock = threading.Lock()

    def __iter__(self):
        try:
            for k in self.keys:
                with self._lock:
                    self.busy += 1
                    self.peak = max(self.peak, self.busy)
                self.threads.add(threading.get_ident())
                self.log.append(k)
                with self._lock:
                    self.busy -= 1
                yield [k, k]
        finally:
            self.closed = True


def test_items_come_in_order_produced_one_at_a_time_in_one_worker_thread():
    source = _Reads(["a", "b", "c", "d"])
    assert list(ahead(iter(source))) == [["a", "a"], ["b", "b"], ["c", "c"], ["d", "d"]]
    assert source.log == ["a", "b", "c", "d"]
    assert source.peak == 1
    assert source.threads and threading.get_ident() not in source.threads
    assert source.closed


def test_the_worker_starts_at_once_and_stays_depth_items_ahead():
    source = _Reads(list("abcdefgh"))
    items = ahead(iter(source), depth=1)
    # before anything is asked: one item queued, one produced and waiting to be queued
    assert _wait_for(lambda: len(source.log) == 2)
    time.sleep(0.2)
    assert source.log == ["a", "b"]
    assert next(items) == ["a", "a"]
    assert _wait_for(lambda: len(source.log) == 3)
    time.sleep(0.2)
    assert source.log == ["a", "b", "c"]
    items.close()  # stops the worker and closes the source in it
    assert source.closed
    assert source.log == ["a", "b", "c"]
    with pytest.raises(StopIteration):
        next(items)


def test_an_error_is_raised_at_its_item_and_the_source_is_closed():
    closed = []

    def source():
        try:
            yield 1
            raise RuntimeError("cannot read batch 2")
        finally:
            closed.append(True)

    items = ahead(source())
    assert next(items) == 1
    with pytest.raises(RuntimeError, match="cannot read batch 2"):
        next(items)
    assert closed == [True]


def test_leaving_a_with_block_early_stops_the_worker():
    source = _Reads(list(range(100)))
    with ahead(iter(source)) as items:
        assert next(items) == [0, 0]
    assert source.closed
    assert len(source.log) <= 3


def test_an_empty_source_gives_nothing():
    assert list(ahead(iter([]))) == []


def test_concurrently_keeps_order_and_runs_at_most_workers_calls_at_once():
    from metrics.ahead import concurrently

    lock, state = threading.Lock(), {"busy": 0, "peak": 0, "started": 0}
    both_running = threading.Barrier(2, timeout=5)

    def call(i: int):
        def run() -> int:
            with lock:
                state["busy"] += 1
                state["peak"] = max(state["peak"], state["busy"])
            if i < 2:
                both_running.wait()  # the first two calls really run at the same time
            time.sleep(0.01 * (5 - i))  # later calls finish sooner: order is the caller's
            with lock:
                state["busy"] -= 1
            return i * i
        return run

    def calls():
        for i in range(5):
            state["started"] += 1
            yield call(i)

    results = concurrently(calls(), workers=2)
    assert next(results) == 0
    assert state["started"] == 2  # calls are taken only as results are
    assert list(results) == [1, 4, 9, 16]
    assert state["peak"] == 2


def test_concurrently_raises_a_calls_error_at_its_turn():
    from metrics.ahead import concurrently

    def boom() -> int:
        raise ValueError("batch 1 failed")

    results = concurrently(iter([lambda: 1, boom, lambda: 3]), workers=2)
    assert next(results) == 1
    with pytest.raises(ValueError, match="batch 1 failed"):
        next(results)


def test_concurrently_with_one_worker_runs_calls_one_by_one():
    from metrics.ahead import concurrently

    seen: list[int] = []

    def call(i: int):
        def run() -> int:
            seen.append(i)
            return i
        return run

    assert list(concurrently((call(i) for i in range(3)), workers=1)) == [0, 1, 2]
    assert seen == [0, 1, 2]
