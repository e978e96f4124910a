"""One test per quarantine reason code (CONTRACT.md section 1, "Bad input")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import (
    EVENTS_HEADER,
    PROVIDERS,
    SCHEDULE_HEADER,
    delivery,
    load,
    quarantined,
    staged_records,
)

from schemas.contract import REASONS


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    yield c
    c.close()


def test_missing_value(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = delivery(tmp_path / "d", {
        "providers.csv": PROVIDERS,
        "events.csv": EVENTS_HEADER
        + "u1,2026-03-02 09:00:00,Order signed,,\n"
        + "  ,2026-03-02 09:01:00,Order signed,,\n"
        + "u1,2026-03-02 09:02:00,Order signed,,\n",
    })
    summary = load(con, folder)
    assert quarantined(con) == [("events.csv", 2, "user_id", "missing_value")]
    assert staged_records(con, "events") == [("events.csv", 1), ("events.csv", 3)]
    assert summary.counts["events"].rows_quarantined == 1
    assert summary.quarantined_by_reason == {"missing_value": 1}


def test_first_failing_column_in_contract_order(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = delivery(tmp_path / "d", {
        "events.csv": "action,event_time,user_id\nOrder signed,not a time,\n",
    })
    load(con, folder)
    assert quarantined(con) == [("events.csv", 1, "user_id", "missing_value")]


def test_bad_time(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = delivery(tmp_path / "d", {
        "providers.csv": PROVIDERS,
        "schedule.csv": SCHEDULE_HEADER
        + "A1,P1,2026-03-02 09:00,20,completed\n"
        + "A2,P1,next tuesday,20,completed\n"
        + "A3,P1,2026-02-30 09:00,20,completed\n",
        "time_off.csv": "provider_id,start_date,end_date,type\nP1,2026-3-9,2026-03-13,vacation\n",
    })
    load(con, folder)
    assert quarantined(con) == [
        ("schedule.csv", 2, "start_time", "bad_time"),
        ("schedule.csv", 3, "start_time", "bad_time"),
        ("time_off.csv", 1, "start_date", "bad_time"),
    ]
    assert staged_records(con, "schedule") == [("schedule.csv", 1)]
    detail = con.execute(
        "SELECT detail FROM quarantine.rows WHERE record_number = 2"
    ).fetchone()
    assert detail is not None and "'next tuesday'" in detail[0]


def test_nonexistent_local_time(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = delivery(tmp_path / "d", {
        "events.csv": EVENTS_HEADER
        + "u1,2026-03-08 01:59:59,Order signed,,\n"
        + "u1,2026-03-08 02:30:00,Order signed,,\n"
        + "u1,2026-03-08 03:00:00,Order signed,,\n",
    })
    load(con, folder)
    assert quarantined(con) == [("events.csv", 2, "event_time", "nonexistent_local_time")]
    assert staged_records(con, "events") == [("events.csv", 1), ("events.csv", 3)]


def test_time_out_of_range(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    # data_start 2010-01-01 (local midnight); run 2026-03-10 12:00 UTC.
    folder = delivery(tmp_path / "d", {
        "providers.csv": PROVIDERS,
        "events.csv": EVENTS_HEADER
        + "u1,2009-12-31 23:59:59,Order signed,,\n"
        + "u1,2010-01-01 00:00:00,Order signed,,\n"
        + "u1,2026-03-11 12:00:00Z,Order signed,,\n"
        + "u1,2026-03-11 12:00:01Z,Order signed,,\n",
        "schedule.csv": SCHEDULE_HEADER
        + "A1,P1,2028-03-10 12:00:00Z,20,scheduled\n"
        + "A2,P1,2028-03-10 12:00:01Z,20,scheduled\n",
        "inbox.csv": "message_id,provider_id,received_time,message_type\n"
        + "M1,P1,2009-06-01 10:00:00,result\n",
    })
    load(con, folder)
    assert quarantined(con) == [
        ("events.csv", 1, "event_time", "time_out_of_range"),
        ("events.csv", 4, "event_time", "time_out_of_range"),
        ("inbox.csv", 1, "received_time", "time_out_of_range"),
        ("schedule.csv", 2, "start_time", "time_out_of_range"),
    ]
    assert staged_records(con, "events") == [("events.csv", 2), ("events.csv", 3)]
    assert staged_records(con, "schedule") == [("schedule.csv", 1)]


def test_bad_enum(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = delivery(tmp_path / "d", {
        "providers.csv": PROVIDERS,
        "schedule.csv": SCHEDULE_HEADER
        + "A1,P1,2026-03-02 09:00,20, Completed \n"
        + "A2,P1,2026-03-02 09:20,20,done\n",
    })
    load(con, folder)
    assert quarantined(con) == [("schedule.csv", 2, "status", "bad_enum")]
    assert con.execute("SELECT appointment_id, status FROM staging.schedule").fetchall() == [
        ("A1", "completed")
    ]


def test_bad_number(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = delivery(tmp_path / "d", {
        "providers.csv": PROVIDERS + "P3,u3,Surgery,Surgery,physician,full\n"
        + "P4,u4,Surgery,Surgery,physician,NaN\n",
    })
    load(con, folder)
    assert quarantined(con) == [
        ("providers.csv", 3, "clinical_fte", "bad_number"),
        ("providers.csv", 4, "clinical_fte", "bad_number"),
    ]
    assert staged_records(con, "providers") == [("providers.csv", 1), ("providers.csv", 2)]


def test_duration_out_of_range(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = delivery(tmp_path / "d", {
        "providers.csv": PROVIDERS,
        "schedule.csv": SCHEDULE_HEADER
        + "A1,P1,2026-03-02 09:00,0,completed\n"
        + "A2,P1,2026-03-02 09:00,1,completed\n"
        + "A3,P1,2026-03-02 09:00,720,completed\n"
        + "A4,P1,2026-03-02 09:00,721,completed\n",
    })
    load(con, folder)
    assert quarantined(con) == [
        ("schedule.csv", 1, "duration_minutes", "duration_out_of_range"),
        ("schedule.csv", 4, "duration_minutes", "duration_out_of_range"),
    ]
    assert staged_records(con, "schedule") == [("schedule.csv", 2), ("schedule.csv", 3)]


def test_bad_date_range(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = delivery(tmp_path / "d", {
        "providers.csv": "provider_id,user_id,department,specialty,role,clinical_fte,"
        "start_date,end_date\n"
        "P1,u1,Medicine,IM,physician,1,2020-01-01,2019-12-31\n"
        "P2,u2,Medicine,IM,physician,1,2020-01-01,2020-01-01\n",
        "time_off.csv": "provider_id,start_date,end_date,type\n"
        "P2,2026-03-09,2026-03-13,vacation\n"
        "P2,2026-03-20,2026-03-19,pto\n",
    })
    load(con, folder)
    assert quarantined(con) == [
        ("providers.csv", 1, "end_date", "bad_date_range"),
        ("time_off.csv", 2, "end_date", "bad_date_range"),
    ]
    assert staged_records(con, "providers") == [("providers.csv", 2)]
    assert staged_records(con, "time_off") == [("time_off.csv", 1)]


def test_fte_out_of_range(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = delivery(tmp_path / "d", {
        "providers.csv": "provider_id,user_id,department,specialty,role,clinical_fte\n"
        "P1,u1,Medicine,IM,physician,0\n"
        "P2,u2,Medicine,IM,physician,1\n"
        "P3,u3,Medicine,IM,physician,1.01\n"
        "P4,u4,Medicine,IM,physician,0.01\n",
    })
    load(con, folder)
    assert quarantined(con) == [
        ("providers.csv", 1, "clinical_fte", "fte_out_of_range"),
        ("providers.csv", 3, "clinical_fte", "fte_out_of_range"),
    ]
    assert staged_records(con, "providers") == [("providers.csv", 2), ("providers.csv", 4)]


def test_unknown_provider(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    first = delivery(tmp_path / "d1", {"providers.csv": PROVIDERS})
    load(con, first, delivery_id="d1")
    # The second delivery adds P3 to the roster; P9 stays unknown.
    second = delivery(tmp_path / "d2", {
        "providers.csv": "provider_id,user_id,department,specialty,role,clinical_fte\n"
        "P3,u3,Medicine,IM,physician,1\n",
        "inbox.csv": "message_id,provider_id,received_time,message_type\n"
        "M1,P1,2026-03-02 10:00:00,result\n"
        "M2,P9,2026-03-02 10:00:00,result\n"
        "M3,P3,2026-03-02 10:00:00,result\n",
        "time_off.csv": "provider_id,start_date,end_date,type\nP9,2026-03-09,2026-03-13,pto\n",
    })
    summary = load(con, second, delivery_id="d2")
    assert quarantined(con) == [
        ("inbox.csv", 2, "provider_id", "unknown_provider"),
        ("time_off.csv", 1, "provider_id", "unknown_provider"),
    ]
    assert staged_records(con, "inbox") == [("inbox.csv", 1), ("inbox.csv", 3)]
    assert summary.quarantined_by_reason == {"unknown_provider": 2}


def test_duplicate_key(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = delivery(tmp_path / "d", {
        "providers.csv": PROVIDERS,
        "schedule_b.csv": SCHEDULE_HEADER + "A1,P1,2026-03-02 11:00,20,completed\n",
        "schedule_a.csv": SCHEDULE_HEADER
        + "A2,P1,2026-03-02 09:00,20,completed\n"
        + "A1,P1,2026-03-02 10:00,20,completed\n"
        + "A2,P1,2026-03-02 09:30,20,completed\n",
    })
    summary = load(con, folder)
    assert quarantined(con) == [
        ("schedule_a.csv", 3, "appointment_id", "duplicate_key"),
        ("schedule_b.csv", 1, "appointment_id", "duplicate_key"),
    ]
    assert staged_records(con, "schedule") == [("schedule_a.csv", 1), ("schedule_a.csv", 2)]
    assert summary.counts["schedule"].rows_staged == 2
    assert summary.counts["schedule"].rows_quarantined == 2


def test_every_reason_has_a_test() -> None:
    names = {n.removeprefix("test_") for n in globals() if n.startswith("test_")}
    assert set(REASONS) <= names
