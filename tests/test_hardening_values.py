"""Hostile values (issue 8): mixed time formats, out-of-range times and numbers, unknown
enum values, a login given to two providers, users outside the roster, re-deliveries.

Each bad row ends in quarantine with a contract reason code; nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hostile_inputs import (
    ROSTER,
    assert_quarantine_well_formed,
    csv_bytes,
    roster_csv,
    write_file,
)
from ingest_helpers import lineage, load, quarantined

UTC = dt.UTC
EVENT_HEADER = ("event_id", "user_id", "event_time", "action")
SCHEDULE_HEADER = ("appointment_id", "provider_id", "start_time", "duration_minutes", "status")


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    yield c
    c.close()


def _delivery(folder: Path, files: dict[str, bytes], roster: bytes | None = None) -> Path:
    write_file(folder, "providers.csv", roster_csv() if roster is None else roster)
    for name, content in files.items():
        write_file(folder, name, content)
    return folder


def _reasons(con: duckdb.DuckDBPyConnection) -> dict[int, tuple[str, str]]:
    return {n: (c, r) for _, n, c, r in quarantined(con)}


def test_mixed_time_formats_in_one_column(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    times = [
        ("2026-03-02 09:00", dt.datetime(2026, 3, 2, 14, 0, tzinfo=UTC)),  # naive, New York
        ("2026-03-02T09:00:01", dt.datetime(2026, 3, 2, 14, 0, 1, tzinfo=UTC)),
        ("2026-03-02 09:00:02Z", dt.datetime(2026, 3, 2, 9, 0, 2, tzinfo=UTC)),
        ("2026-03-02 09:00:03+05:30", dt.datetime(2026, 3, 2, 3, 30, 3, tzinfo=UTC)),
        ("2026-03-02 09:00:04-0800", dt.datetime(2026, 3, 2, 17, 0, 4, tzinfo=UTC)),
        ("2026-03-02 09:00:05.123456789 +01", dt.datetime(2026, 3, 2, 8, 0, 5, 123456,
                                                         tzinfo=UTC)),
        (" 2026-03-02 09:00:06 ", dt.datetime(2026, 3, 2, 14, 0, 6, tzinfo=UTC)),
        ("2025-11-02 01:30:00", dt.datetime(2025, 11, 2, 5, 30, tzinfo=UTC)),  # earlier of two
    ]
    bad = {
        "03/02/2026 09:00": "bad_time", "2026-03-02": "bad_time", "2026-02-30 09:00": "bad_time",
        "2026-03-02 24:00": "bad_time", "2026-03-02 23:59:60": "bad_time",  # no leap second
        "2026-03-02 09:00:00+05:99": "bad_time", "2026-03-02 09:00:00+19:00": "bad_time",
        "2026-03-02 09:00 EST": "bad_time", "1772460000": "bad_time", "yesterday": "bad_time",
        "2026-03-08 02:30:00": "nonexistent_local_time",
        "1999-12-31 23:59:59": "time_out_of_range", "0001-01-01 00:00:00": "time_out_of_range",
        "9999-12-31 23:59:59-18:00": "time_out_of_range",
        "2026-03-12 00:00:00Z": "time_out_of_range",  # more than a day after the run time
        "": "missing_value",
    }
    rows = [(f"E{i}", "u1", t, "Order signed") for i, (t, _) in enumerate(times)]
    rows += [(f"B{i}", "u1", t, "Order signed") for i, t in enumerate(bad)]
    load(con, _delivery(tmp_path / "d", {"events.csv": csv_bytes(EVENT_HEADER, rows)}))
    staged = con.execute("SELECT event_time FROM staging.events ORDER BY event_id").fetchall()
    assert sorted(t for (t,) in staged) == sorted(t for _, t in times)
    got = _reasons(con)
    assert [r for _, (_, r) in sorted(got.items())] == list(bad.values())
    assert {c for c, _ in got.values()} == {"event_time"}


def test_appointments_far_in_the_future_or_past(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = [
        ("A1", "P1", "2028-03-09 09:00", "30", "scheduled"),  # < 2 years after the run
        ("A2", "P1", "2028-03-11 09:00", "30", "scheduled"),  # > 2 years after the run
        ("A3", "P1", "2009-12-31 09:00", "30", "completed"),  # before data_start
    ]
    load(con, _delivery(tmp_path / "d", {"schedule.csv": csv_bytes(SCHEDULE_HEADER, rows)}))
    assert _reasons(con) == {2: ("start_time", "time_out_of_range"),
                             3: ("start_time", "time_out_of_range")}


@pytest.mark.parametrize(("value", "reason"), [
    ("-5", "duration_out_of_range"), ("0", "duration_out_of_range"),
    ("0.5", "duration_out_of_range"), ("721", "duration_out_of_range"),
    ("1e308", "duration_out_of_range"), ("99999999999999999999999", "duration_out_of_range"),
    ("1e400", "bad_number"), ("NaN", "bad_number"), ("inf", "bad_number"),
    ("-inf", "bad_number"), ("abc", "bad_number"), ("1,000", "bad_number"),
    ("0x14", "bad_number"), ("20 min", "bad_number"), ("", "missing_value"),
    (" 20 ", None), ("720", None), ("1", None), ("1.5e1", None),
])
def test_durations(con: duckdb.DuckDBPyConnection, tmp_path: Path, value: str,
                   reason: str | None) -> None:
    rows = [("A1", "P1", "2026-03-02 09:00", value, "scheduled")]
    load(con, _delivery(tmp_path / "d", {"schedule.csv": csv_bytes(SCHEDULE_HEADER, rows)}))
    assert _reasons(con) == ({} if reason is None else {1: ("duration_minutes", reason)})


def test_unknown_enum_values(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    roster = csv_bytes(
        ("provider_id", "user_id", "department", "specialty", "role", "clinical_fte"),
        [*ROSTER, ("P3", "u3", "M", "IM", "nurse", "1"), ("P4", "u4", "M", "IM", " APP ", "1"),
         ("P5", "u5", "M", "IM", "physician", "0"), ("P6", "u6", "M", "IM", "physician", "2")],
    )
    schedule = csv_bytes(SCHEDULE_HEADER, [
        ("A1", "P1", "2026-03-02 09:00", "30", "Completed"),
        ("A2", "P1", "2026-03-02 10:00", "30", "no show"),
        ("A3", "P1", "2026-03-02 11:00", "30", "c\u00f6mpleted"),
    ])
    time_off = csv_bytes(("provider_id", "start_date", "end_date", "type"), [
        ("P1", "2026-03-09", "2026-03-13", "sabbatical"),
        ("P1", "2026-03-16", "2026-03-13", "pto"),
    ])
    inbox = csv_bytes(("message_id", "provider_id", "received_time", "message_type"), [
        ("M1", "P1", "2026-03-02 10:00", "fax"),
    ])
    actions = csv_bytes(("action", "category"), [("Fax sent", "faxing"), ("Fax read", "Inbox")])
    load(con, _delivery(tmp_path / "d", {
        "schedule.csv": schedule, "time_off.csv": time_off, "inbox.csv": inbox,
        "action_map.csv": actions}, roster=roster))
    assert quarantined(con) == [
        ("action_map.csv", 1, "category", "bad_enum"),
        ("inbox.csv", 1, "message_type", "bad_enum"),
        ("providers.csv", 3, "role", "bad_enum"),
        ("providers.csv", 5, "clinical_fte", "fte_out_of_range"),
        ("providers.csv", 6, "clinical_fte", "fte_out_of_range"),
        ("schedule.csv", 2, "status", "bad_enum"),
        ("schedule.csv", 3, "status", "bad_enum"),
        ("time_off.csv", 1, "type", "bad_enum"),
        ("time_off.csv", 2, "end_date", "bad_date_range"),
    ]
    assert con.execute("SELECT provider_id, role FROM staging.providers ORDER BY 1").fetchall(
    ) == [("P1", "physician"), ("P2", "app"), ("P4", "app")]
    assert con.execute("SELECT action, category FROM staging.action_map").fetchall() == [
        ("fax read", "inbox")]
    assert_quarantine_well_formed(con)


# --- one login, two providers -----------------------------------------------------------


def _conflicts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, str, str, str]]:
    return con.execute(
        "SELECT source_file, record_number, column_name, reason, detail FROM quarantine.rows "
        "ORDER BY source_file, record_number"
    ).fetchall()


def test_a_login_given_to_two_providers_keeps_the_first(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    roster = csv_bytes(
        ("provider_id", "user_id", "department", "specialty", "role", "clinical_fte"),
        [("P1", "u1", "M", "IM", "physician", "1"), ("P2", "u2", "M", "IM", "app", "1"),
         ("P2", "u1", "M", "IM", "app", "1"),  # u1 is P1's login already
         ("P1", "u1", "M", "IM", "physician", "1")],  # the same key again
    )
    events = csv_bytes(("user_id", "event_time", "action"), [
        ("u1", "2026-03-02 09:00", "Order signed"), ("u1", "2026-03-02 09:01", "Order signed"),
    ])
    summary = load(con, _delivery(tmp_path / "d", {"events.csv": events}, roster=roster))
    assert _conflicts(con) == [
        ("providers.csv", 3, "user_id", "duplicate_key",
         'user_id "u1" is already a login of provider "P1" (providers.csv record 1); a login '
         "counts for one provider only, so the first provider is kept"),
        ("providers.csv", 4, "provider_id, user_id", "duplicate_key",
         "same key as providers.csv record 1 (the first is kept)"),
    ]
    assert con.execute("SELECT provider_id, user_id FROM staging.providers ORDER BY 1, 2"
                       ).fetchall() == [("P1", "u1"), ("P2", "u2")]
    assert summary.quarantined_by_reason == {"duplicate_key": 2}
    assert summary.counts["providers"].rows_staged == 2
    # The events of u1 therefore count for P1 only (metrics join logins on user_id).
    logins = con.execute("SELECT user_id, count(*) FROM staging.providers GROUP BY 1").fetchall()
    assert all(n == 1 for _, n in logins)


def test_a_login_of_a_staged_provider_given_to_another_later(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load(con, _delivery(tmp_path / "d1", {}), delivery_id="d1")
    roster = csv_bytes(
        ("provider_id", "user_id", "department", "specialty", "role", "clinical_fte"),
        [("P9", "u1", "M", "IM", "app", "1"),  # u1 is staged as P1's login
         ("P1", "u1", "Surgery", "IM", "physician", "0.8"),  # P1's own row, corrected
         ("P9", "u9", "M", "IM", "app", "1")],
    )
    load(con, _delivery(tmp_path / "d2", {}, roster=roster), delivery_id="d2")
    assert [(n, c, r) for _, n, c, r, _ in _conflicts(con)] == [(1, "user_id", "duplicate_key")]
    assert "(staging.providers)" in _conflicts(con)[0][4]
    assert con.execute(
        "SELECT provider_id, user_id, department, clinical_fte, delivery_id "
        f"FROM {lineage('providers')} ORDER BY 1, 2"
    ).fetchall() == [("P1", "u1", "Surgery", 0.8, "d2"), ("P2", "u2", "Pediatrics", 0.5, "d1"),
                     ("P9", "u9", "M", 1.0, "d2")]


def test_two_logins_of_one_provider_are_fine(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    roster = csv_bytes(
        ("provider_id", "user_id", "department", "specialty", "role", "clinical_fte"),
        [("P1", "u1", "M", "IM", "physician", "1"), ("P1", "u1b", "M", "IM", "physician", "1")],
    )
    summary = load(con, _delivery(tmp_path / "d", {}, roster=roster))
    assert summary.rows_quarantined == 0 and summary.counts["providers"].rows_staged == 2


def test_events_of_users_outside_the_roster_are_kept_and_reported(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    events = csv_bytes(("user_id", "event_time", "action"), [
        ("u1", "2026-03-02 09:00", "Order signed"), ("nurse7", "2026-03-02 09:01", "Chart"),
        ("nurse7", "2026-03-02 09:02", "Chart"), ("scribe", "2026-03-02 09:03", "Note"),
    ])
    summary = load(con, _delivery(tmp_path / "d", {"events.csv": events}))
    assert summary.rows_quarantined == 0
    assert summary.counts["events"].rows_staged == 4
    assert (summary.unrostered_events, summary.unrostered_users) == (3, 2)


# --- re-delivery ------------------------------------------------------------------------


def test_redelivered_file_is_skipped_and_corrections_win_by_key(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    first = csv_bytes(SCHEDULE_HEADER, [("A1", "P1", "2026-03-02 09:00", "30", "scheduled"),
                                        ("A2", "P1", "2026-03-02 10:00", "30", "scheduled")])
    load(con, _delivery(tmp_path / "d1", {"schedule.csv": first}), delivery_id="d1")
    # The same bytes under another name are the same file: skipped.
    again = load(con, _delivery(tmp_path / "d2", {"schedule/copy.csv": first}),
                 delivery_id="d2")
    assert again.skipped_files == ["providers.csv", "schedule/copy.csv"]
    corrected = csv_bytes(SCHEDULE_HEADER, [("A1", "P1", "2026-03-03 09:00", "45", "arrived"),
                                            ("A1", "P1", "2026-03-04 09:00", "60", "arrived")])
    summary = load(con, _delivery(tmp_path / "d3", {"schedule_fix.csv": corrected}),
                   delivery_id="d3")
    assert con.execute(
        "SELECT appointment_id, start_time, duration_minutes, delivery_id "
        f"FROM {lineage('schedule')} ORDER BY 1").fetchall() == [
        ("A1", dt.datetime(2026, 3, 3, 14, tzinfo=UTC), 45.0, "d3"),
        ("A2", dt.datetime(2026, 3, 2, 15, tzinfo=UTC), 30.0, "d1"),
    ]
    # Within one delivery the first row of a key wins; the second is quarantined.
    assert [(f, n, r) for f, n, _, r in quarantined(con)] == [
        ("schedule_fix.csv", 2, "duplicate_key")]
    assert summary.dates_touched == (dt.date(2026, 3, 2), dt.date(2026, 3, 3))
    record = con.execute("SELECT record FROM quarantine.rows").fetchall()[0][0]
    assert json.loads(record)["start_time"].startswith("2026-03-04")
