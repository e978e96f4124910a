"""Time stamps: naive local wall-clock (DST rules), offsets, dates (CONTRACT.md "Time")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest
from ingest_helpers import EVENTS_HEADER, PROVIDERS, delivery, load, quarantined

from pipelines.ingest import read_staged
from schemas.config import Config
from schemas.frames import SCHEDULE

UTC = dt.UTC


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    yield c
    c.close()


def _event_times(con: duckdb.DuckDBPyConnection) -> list[dt.datetime]:
    rows = con.execute("SELECT event_time FROM staging.events ORDER BY source_record").fetchall()
    return [r[0] for r in rows]


def test_naive_times_around_daylight_saving(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = delivery(tmp_path / "d", {
        "events.csv": EVENTS_HEADER
        + "u1,2025-11-02 01:30:00,Order signed,,\n"  # repeated hour: the earlier (EDT) instant
        + "u1,2025-11-02 00:59:59,Order signed,,\n"
        + "u1,2026-03-08 02:15:00,Order signed,,\n"  # spring-forward gap
        + "u1,2026-03-08T03:15:00,Order signed,,\n",
    })
    load(con, folder)
    assert _event_times(con) == [
        dt.datetime(2025, 11, 2, 5, 30, tzinfo=UTC),
        dt.datetime(2025, 11, 2, 4, 59, 59, tzinfo=UTC),
        dt.datetime(2026, 3, 8, 7, 15, tzinfo=UTC),
    ]
    assert quarantined(con) == [("events.csv", 3, "event_time", "nonexistent_local_time")]


def test_offset_times_are_converted(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = delivery(tmp_path / "d", {
        "events.csv": EVENTS_HEADER
        + "u1,2026-03-02T17:45:12+05:00,Order signed,,\n"
        + "u1,2026-03-02 17:45:12Z,Order signed,,\n"
        + "u1,2026-03-02T17:45:12.250-0330,Order signed,,\n"
        + "u1,2026-03-08T02:30:00-05:00,Order signed,,\n"  # an offset time is never in a gap
        + "u1, 2026-03-02 17:45 ,Order signed,,\n",
    })
    load(con, folder)
    assert _event_times(con) == [
        dt.datetime(2026, 3, 2, 12, 45, 12, tzinfo=UTC),
        dt.datetime(2026, 3, 2, 17, 45, 12, tzinfo=UTC),
        dt.datetime(2026, 3, 2, 21, 15, 12, 250000, tzinfo=UTC),
        dt.datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
        dt.datetime(2026, 3, 2, 22, 45, tzinfo=UTC),
    ]
    assert quarantined(con) == []


def test_other_time_zone(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = delivery(tmp_path / "d", {
        "events.csv": EVENTS_HEADER + "u1,2026-03-02 09:00:00,Order signed,,\n",
    })
    summary = load(con, folder, cfg=Config(timezone="Asia/Kolkata"))
    assert _event_times(con) == [dt.datetime(2026, 3, 2, 3, 30, tzinfo=UTC)]
    assert summary.dates_touched == (dt.date(2026, 3, 2), dt.date(2026, 3, 2))


def test_bad_time_forms(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = delivery(tmp_path / "d", {
        "events.csv": EVENTS_HEADER
        + "u1,2026-03-02,Order signed,,\n"
        + "u1,03/02/2026 09:00,Order signed,,\n"
        + "u1,2026-03-02 25:00:00,Order signed,,\n"
        + "u1,2026-03-02 09:00:00+25:00,Order signed,,\n",
    })
    load(con, folder)
    assert [q[1:] for q in quarantined(con)] == [
        (i, "event_time", "bad_time") for i in (1, 2, 3, 4)
    ]


def test_staged_frames_are_utc_and_lower_case(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = delivery(tmp_path / "d", {
        "providers.csv": PROVIDERS.replace("physician", "PHYSICIAN"),
        "events.csv": EVENTS_HEADER + "u1,2026-03-02 09:00:00, Order Signed ,,\n",
        "time_off.csv": "provider_id,start_date,end_date,type\nP1,2026-03-09,2026-03-13,PTO\n",
    })
    load(con, folder)
    con.execute("SET TimeZone='America/Los_Angeles'")  # read_staged must not depend on it
    frames = read_staged(con)
    assert frames["events"].schema["event_time"] == pl.Datetime("us", "UTC")
    assert frames["schedule"].schema == pl.Schema(SCHEDULE)
    assert frames["events"].row(0) == ("u1", dt.datetime(2026, 3, 2, 14, 0, tzinfo=UTC),
                                       " Order Signed ")
    assert frames["providers"]["role"].to_list() == ["physician", "app"]
    assert frames["time_off"].row(0) == ("P1", dt.date(2026, 3, 9), dt.date(2026, 3, 13), "pto")
