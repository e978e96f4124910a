"""The day grid's event reader: joins and categories in DuckDB, as the in-memory path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import polars as pl
import pytest

from metrics.active import provider_events, provider_instants
from pipelines.day_inputs import EventReader
from pipelines.ingest import ensure_schema, read_staged

UTC = dt.UTC
DAY = dt.date(2026, 3, 2)

# (user_id, event_time UTC, action as delivered)
EVENTS = [
    ("u1", dt.datetime(2026, 3, 2, 14, 0, tzinfo=UTC), "Clinical Note Signed"),
    # the same instant twice: notes outranks the unmapped action's "other"
    ("u1", dt.datetime(2026, 3, 2, 14, 1, tzinfo=UTC), "Printer jam cleared"),
    ("u1", dt.datetime(2026, 3, 2, 14, 1, tzinfo=UTC), "clinical NOTE viewed"),
    # P1's second login
    ("u1b", dt.datetime(2026, 3, 2, 14, 2, tzinfo=UTC), "Order signed"),
    # a login of two providers: counts for both
    ("shared", dt.datetime(2026, 3, 2, 15, 0, tzinfo=UTC), "In Basket message viewed"),
    # a login outside the roster: dropped
    ("nurse7", dt.datetime(2026, 3, 2, 15, 5, tzinfo=UTC), "Clinical Note Signed"),
    # outside the window of [DAY, DAY] (more than two days away): dropped
    ("u1", dt.datetime(2026, 3, 9, 15, 0, tzinfo=UTC), "Clinical Note Signed"),
]
ROSTER = [("P1", "u1"), ("P1", "u1b"), ("P2", "shared"), ("P3", "shared")]


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    ensure_schema(c)
    c.execute("SET TimeZone='UTC'")
    c.executemany("INSERT INTO staging.events (user_id, event_time, action) VALUES (?, ?, ?)",
                  EVENTS)
    c.executemany("INSERT INTO staging.providers (provider_id, user_id, department, specialty, "
                  "role, clinical_fte) VALUES (?, ?, 'Medicine', 'IM', 'physician', 1.0)",
                  ROSTER)
    yield c
    c.close()


def _rows(frame: pl.DataFrame) -> list[tuple]:
    return sorted(frame.select(pl.col("provider_id").cast(pl.String), "event_time",
                               pl.col("category").cast(pl.String)).iter_rows())


def test_reader_joins_providers_and_categorizes_in_duckdb(
    con: duckdb.DuckDBPyConnection,
) -> None:
    st = read_staged(con, kinds=("providers", "action_map"))
    reader = EventReader(con, DAY, DAY, st["providers"], st["action_map"])
    try:
        read = reader(["nurse7", "shared", "u1", "u1b"])
        t = lambda h, m: dt.datetime(2026, 3, 2, h, m, tzinfo=UTC)  # noqa: E731
        assert _rows(read) == [
            ("P1", t(14, 0), "notes"),
            ("P1", t(14, 1), "notes"),
            ("P1", t(14, 1), "other"),
            ("P1", t(14, 2), "orders"),
            ("P2", t(15, 0), "inbox"),
            ("P3", t(15, 0), "inbox"),
        ]
        assert reader(["u1b"]).height == 1
        assert reader([]).height == 0
        # one row per provider and instant, the higher-ranked category kept: the same as
        # the in-memory path from the staged frames
        ev = read_staged(con, kinds=("events",))["events"].filter(
            pl.col("event_time") < dt.datetime(2026, 3, 5, tzinfo=UTC))  # the window's
        mine = provider_instants(read.lazy()).collect()
        theirs = provider_events(ev.lazy(), st["providers"].lazy(),
                                 st["action_map"].lazy()).collect()
        assert _rows(mine) == _rows(theirs)
        assert [r[2] for r in _rows(mine) if r[0] == "P1"] == ["notes", "notes", "orders"]
    finally:
        reader.close()


def test_reader_of_an_empty_warehouse() -> None:
    c = duckdb.connect()
    try:
        st = read_staged(c, kinds=("providers", "action_map"))
        reader = EventReader(c, DAY, DAY, st["providers"], st["action_map"])
        assert reader.counts().height == 0
        assert reader(["u1"]).height == 0
        reader.close()
    finally:
        c.close()
