"""Re-delivery: skipped files, idempotent loads, upserts where the newest delivery wins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import (
    EVENTS_HEADER,
    PROVIDERS,
    SCHEDULE_HEADER,
    delivery,
    lineage,
    load,
    quarantined,
    snapshot,
)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    yield c
    c.close()


def _first_delivery(folder: Path) -> Path:
    return delivery(folder, {
        "providers.csv": PROVIDERS,
        "events.csv": "event_id," + EVENTS_HEADER
        + ",u1,2026-03-02 09:00:00,Order signed,MRN-1,WS1\n"
        + "E1,u1,2026-03-02 09:05:00,Order signd,MRN-1,WS1\n"
        + ",u1,2026-03-02 09:10:00,Order signed,MRN-1,WS1\n"
        + "E2,u1,not a time,Order signed,MRN-1,WS1\n",
        "schedule.csv": SCHEDULE_HEADER
        + "A1,P1,2026-03-02 09:00,30,scheduled\n"
        + "A2,P1,2026-03-02 10:00,30,scheduled\n",
        "time_off.csv": "provider_id,start_date,end_date,type\nP1,2026-03-09,2026-03-13,pto\n",
        "inbox.csv": "message_id,provider_id,received_time,message_type,completed_by\n"
        + "M1,P1,2026-03-02 10:00:00,result,\n",
        "notes.txt": "not an extract",
    })


def test_loading_a_folder_twice_changes_no_table(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = _first_delivery(tmp_path / "d1")
    first = load(con, folder, delivery_id="d1", archive_dir=tmp_path / "archive")
    before = snapshot(con)
    second = load(con, folder, delivery_id="d2", archive_dir=tmp_path / "archive")
    assert snapshot(con) == before
    assert sorted(before) == [
        "quarantine.rows", "raw.files", "staging.action_map", "staging.events",
        "staging.inbox", "staging.providers", "staging.schedule", "staging.time_off",
    ]
    assert len(before["quarantine.rows"]) == 1
    assert len(before["staging.events"]) == 3
    assert first.rows_staged == 2 + 3 + 2 + 1 + 1
    assert first.ignored_files == ["notes.txt"]
    assert second.files == [] and second.rows_read == 0 and second.rows_staged == 0
    assert second.files_skipped == 5
    assert sorted(second.skipped_files) == sorted(f.name for f in first.files)
    assert second.dates_touched is None


def test_corrected_redelivery_replaces_rows(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load(con, _first_delivery(tmp_path / "d1"), delivery_id="d1")
    second = delivery(tmp_path / "d2", {
        # A1 moves from 2026-03-02 to 2026-03-04 and gets longer; A2 is not re-delivered.
        "schedule_2026-03-04.csv": SCHEDULE_HEADER + "A1,P1,2026-03-04 10:00,45,arrived\n",
        # The id-less event at 09:00 again (a different file), E1 corrected, one new event.
        "events_2026-03-03.csv": "event_id," + EVENTS_HEADER
        + ",u1,2026-03-02 09:00:00,Order signed,MRN-1,WS1\n"
        + "E1,u1,2026-03-02 09:05:00,Order signed,MRN-1,WS1\n"
        + ",u1,2026-03-03 08:00:00,Order signed,MRN-1,WS1\n",
    })
    summary = load(con, second, delivery_id="d2")
    schedule = con.execute(
        "SELECT appointment_id, start_time, duration_minutes, status, delivery_id "
        f"FROM {lineage('schedule')} ORDER BY appointment_id"
    ).fetchall()
    assert schedule == [
        ("A1", dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC), 45.0, "arrived", "d2"),
        ("A2", dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC), 30.0, "scheduled", "d1"),
    ]
    events = con.execute(
        f"SELECT event_id, event_time, action, delivery_id FROM {lineage('events')} "
        "ORDER BY event_time"
    ).fetchall()
    utc = dt.UTC
    assert events == [
        (None, dt.datetime(2026, 3, 2, 14, 0, tzinfo=utc), "Order signed", "d2"),
        ("E1", dt.datetime(2026, 3, 2, 14, 5, tzinfo=utc), "Order signed", "d2"),
        (None, dt.datetime(2026, 3, 2, 14, 10, tzinfo=utc), "Order signed", "d1"),
        (None, dt.datetime(2026, 3, 3, 13, 0, tzinfo=utc), "Order signed", "d2"),
    ]
    assert quarantined(con) == [("events.csv", 4, "event_time", "bad_time")]
    # The replaced appointment's old date counts as touched.
    assert summary.dates_touched == (dt.date(2026, 3, 2), dt.date(2026, 3, 4))
    assert summary.dates_touched_by_kind["schedule"] == (dt.date(2026, 3, 2), dt.date(2026, 3, 4))


def test_event_without_id_in_two_files_of_one_delivery(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    row = "u1,2026-03-02 09:00:00,Order signed,MRN-1,WS1\n"
    folder = delivery(tmp_path / "d", {
        "events_1.csv": EVENTS_HEADER + row,
        "events_2.csv": EVENTS_HEADER + "u1,2026-03-02 09:00:00,Order signed,MRN-2,WS1\n" + row,
    })
    load(con, folder)
    assert con.execute("SELECT count(*) FROM staging.events").fetchone() == (2,)
    assert quarantined(con) == [
        ("events_2.csv", 2, "user_id, event_time, action, patient_id, workstation_id",
         "duplicate_key"),
    ]


def test_the_same_file_twice_in_one_delivery_is_loaded_once(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    content = EVENTS_HEADER + "u1,2026-03-02 09:00:00,Order signed,,\n"
    folder = delivery(tmp_path / "d", {"events.csv": content, "events/copy.csv": content})
    summary = load(con, folder)
    assert [f.name for f in summary.files] == ["events.csv"]
    assert summary.skipped_files == ["events/copy.csv"]
    assert summary.counts["events"].files == 1 and summary.counts["events"].files_skipped == 1
    assert quarantined(con) == []
