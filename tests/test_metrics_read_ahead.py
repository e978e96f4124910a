"""metrics.day.read_ahead: the day grid reads the next batch while it computes this one."""

import threading

import polars as pl
import pytest

from metrics.day import read_ahead


def _recording_read(log: list[tuple[str, ...]], busy: list[int], peak: list[int]):
    lock = threading.Lock()

    def read(users: list[str]) -> pl.DataFrame:
        with lock:
            busy[0] += 1
            peak[0] = max(peak[0], busy[0])
        log.append(tuple(users))
        frame = pl.DataFrame({"user_id": users})
        with lock:
            busy[0] -= 1
        return frame

    return read


def test_results_come_in_key_order_and_reads_are_one_at_a_time():
    keys = [["u1", "u2"], ["u3"], [], ["u4", "u5", "u6"]]
    log: list[tuple[str, ...]] = []
    busy, peak = [0], [0]
    frames = list(read_ahead(_recording_read(log, busy, peak), keys))
    assert [f.get_column("user_id").to_list() for f in frames] == keys
    assert log == [tuple(k) for k in keys]  # each key read once, in order
    assert peak[0] == 1  # never two reads at once (one DuckDB connection)


def test_the_next_key_is_read_before_the_caller_asks_for_it():
    log: list[tuple[str, ...]] = []
    reads = read_ahead(_recording_read(log, [0], [0]), [["a"], ["b"], ["c"]])
    first = next(reads)
    assert first.get_column("user_id").to_list() == ["a"]
    for _ in range(200):  # the worker reads "b" on its own
        if len(log) == 2:
            break
        threading.Event().wait(0.01)
    assert log == [("a",), ("b",)]
    reads.close()  # stopping early waits for the read in flight and reads nothing more
    assert log == [("a",), ("b",)]


def test_a_failed_read_is_raised_at_its_key():
    def read(users: list[str]) -> pl.DataFrame:
        if users == ["bad"]:
            raise RuntimeError("cannot read bad")
        return pl.DataFrame({"user_id": users})

    reads = read_ahead(read, [["ok"], ["bad"], ["never"]])
    assert next(reads).get_column("user_id").to_list() == ["ok"]
    with pytest.raises(RuntimeError, match="cannot read bad"):
        next(reads)


def test_no_keys_reads_nothing():
    assert list(read_ahead(lambda users: pl.DataFrame(), [])) == []
