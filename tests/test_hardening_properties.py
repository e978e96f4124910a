"""Property tests of ingestion (issue 8): generated hostile rows of every extract kind.

Random strings, bad and out-of-range times, bad numbers, blanks, unknown enum values,
duplicates inside and across files, unknown providers and users, as CSV, gzip CSV or
Parquet. Whatever comes in, nothing is lost: for every file, the rows read equal the rows
staged from it plus the rows quarantined from it (blank records, which hold no value at
all, are counted apart), every quarantine row carries a contract reason code, and what
is staged satisfies the contract.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

import duckdb
from hostile_inputs import (
    INJECTIONS,
    SECRET_IDS,
    assert_quarantine_well_formed,
    per_file_counts,
    roster_csv,
    scalar,
    text_cells,
    write_file,
    write_table,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_helpers import load

from schemas.config import Config
from schemas.contract import KINDS, ExtractKind

#: Examples per kind; raise EHRLOG_HYPOTHESIS_EXAMPLES (e.g. to 500) for a longer hunt.
SETTINGS = settings(max_examples=int(os.environ.get("EHRLOG_HYPOTHESIS_EXAMPLES", "12")),
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

hostile_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(INJECTIONS),
    st.sampled_from(["", " ", "\t", "NULL", "null", "None", "NaN", "\u00a0", "\ufeff", '"',
                     "a,b", "line\nbreak", "cr\r", "x\x00y", "\u2028", "Ω≈ç√", "🙂"]),
)
blank = st.sampled_from(["", "  ", None])


def _time_text(t: dt.datetime, style: int) -> str:
    return [
        t.strftime("%Y-%m-%d %H:%M:%S"), t.strftime("%Y-%m-%dT%H:%M"),
        t.strftime("%Y-%m-%d %H:%M:%S") + "Z", t.strftime("%Y-%m-%d %H:%M:%S.%f") + "+05:30",
        t.strftime("%Y-%m-%d %H:%M:%S") + " -0800", t.strftime("%m/%d/%Y %H:%M"),
    ][style]


good_times = st.builds(
    _time_text,
    st.datetimes(min_value=dt.datetime(2025, 10, 30), max_value=dt.datetime(2026, 3, 10)),
    st.integers(0, 5),
)
odd_times = st.builds(
    _time_text,
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 30)),
    st.integers(0, 4),
)
times = st.one_of(good_times, good_times, odd_times, hostile_text, blank,
                  st.sampled_from(["2026-03-08 02:30:00", "2025-11-02 01:30:00",
                                   "2026-03-02 23:59:60", "2026-02-30 10:00"]))
dates = st.one_of(
    st.dates(min_value=dt.date(2025, 6, 1), max_value=dt.date(2026, 6, 1)).map(str),
    st.dates().map(str), hostile_text, blank, st.sampled_from(["2026-13-01", "01/02/2026"]),
)
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10, 800).map(str), st.sampled_from(["0.5", "1", "1.0", "0", "1e400", "abc"]),
    hostile_text, blank,
)


def _enum(values: tuple[str, ...]) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(values), st.sampled_from(values).map(str.upper),
                     st.sampled_from(values).map(lambda v: f" {v} "), hostile_text, blank)


def _ids(*pool: str) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(pool), st.sampled_from(pool), hostile_text, blank)


COLUMNS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "providers": {
        "provider_id": _ids("P1", "P2", "P3", "P4"), "user_id": _ids("u1", "u2", "u3", "u5"),
        "department": _ids("Medicine", "Pediatrics"), "specialty": _ids("IM", "Peds"),
        "role": _enum(KINDS["providers"].enums["role"]), "clinical_fte": numbers,
        "display_name": _ids("Dr. A"), "start_date": dates, "end_date": dates,
    },
    "action_map": {
        "action": _ids("Order signed", "Chart reviewed", "In Basket message viewed"),
        "category": _enum(KINDS["action_map"].enums["category"]),
    },
    "events": {
        "user_id": _ids("u1", "u2", "ghost"), "event_time": times,
        "action": _ids("Order signed", "Clinical Note Signed", "unmapped"),
        "event_id": st.one_of(_ids("E1", "E2", "E3"), st.none()),
        "patient_id": st.one_of(st.sampled_from(SECRET_IDS), blank),
        "workstation_id": _ids("WS1"),
    },
    "schedule": {
        "appointment_id": _ids("A1", "A2", "A3"), "provider_id": _ids("P1", "P2", "P404"),
        "start_time": times, "duration_minutes": numbers,
        "status": _enum(KINDS["schedule"].enums["status"]), "visit_type": _ids("new"),
    },
    "time_off": {
        "provider_id": _ids("P1", "P2", "P404"), "start_date": dates, "end_date": dates,
        "type": _enum(KINDS["time_off"].enums["type"]),
    },
    "inbox": {
        "message_id": _ids("M1", "M2"), "provider_id": _ids("P1", "P2", "P404"),
        "received_time": times, "message_type": _enum(KINDS["inbox"].enums["message_type"]),
        "completed_time": times, "completed_by": _ids("u1", "u2", "someone"),
    },
}


@st.composite
def extracts(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """Rows of ``kind`` (with an extra ``note`` column) split over one or two files."""
    columns = COLUMNS[kind]
    header = [*columns, "note"]
    row = st.tuples(*columns.values(), hostile_text)
    rows = draw(st.lists(row, max_size=10))
    if rows:  # duplicates: copies of some rows, possibly landing in the other file
        rows += draw(st.lists(st.sampled_from(rows), max_size=4))
    rows = draw(st.permutations(rows))
    cut = draw(st.integers(0, len(rows)))
    return {
        "header": header,
        "files": [rows[:cut], rows[cut:]] if draw(st.booleans()) else [rows],
        "fmt": draw(st.sampled_from(["csv", "csv.gz", "parquet"])),
        "keep_note": draw(st.booleans()),
        "crlf": draw(st.booleans()),
    }


def _check(kind: str, ex: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "d"
        if kind != "providers":
            write_file(folder, "providers.csv", roster_csv())
        written = {}
        for i, rows in enumerate(ex["files"]):
            path = write_table(folder, f"{kind}_{i}", ex["header"], rows, ex["fmt"],
                               crlf=ex["crlf"])
            written[path.name] = len(rows)
        cfg = Config(keep_extra_columns=("note",) if ex["keep_note"] else ())
        con = duckdb.connect()
        try:
            summary = load(con, folder, cfg=cfg)
            files = [f for f in summary.files if f.kind == kind]
            # Every file is loaded, or skipped as a byte-identical copy of a loaded one.
            assert sorted([f.name for f in files] + summary.skipped_files) == sorted(written)
            assert all(f.rows + f.blank_records == written[f.name] for f in files)
            for f in files:
                staged, rejected = per_file_counts(con, kind, "d1", f.name)
                assert staged + rejected == f.rows, (f.name, staged, rejected, f.rows)
            counts = summary.counts[kind]
            assert counts.rows_read == counts.rows_staged + counts.rows_quarantined
            assert scalar(con, "SELECT count(*) FROM quarantine.rows") == (
                summary.rows_quarantined)
            assert_quarantine_well_formed(con)
            _assert_staged_rows_keep_the_contract(con, KINDS[kind])
            assert not [c for c in text_cells(con) if any(s in c for s in SECRET_IDS)]
        finally:
            con.close()


def _assert_staged_rows_keep_the_contract(con: duckdb.DuckDBPyConnection,
                                          kind: ExtractKind) -> None:
    table = f"staging.{kind.name}"
    required = " OR ".join(f"{c} IS NULL" for c in kind.required)
    assert scalar(con, f"SELECT count(*) FROM {table} WHERE {required}") == 0
    for col, values in kind.enums.items():
        assert scalar(con, f"SELECT count(*) FROM {table} WHERE NOT list_contains(?, {col})",
                      [list(values)]) == 0
    checks = {
        "schedule": "NOT duration_minutes BETWEEN 1 AND 720",
        "providers": "NOT (clinical_fte > 0 AND clinical_fte <= 1) OR end_date < start_date",
        "time_off": "end_date < start_date",
    }
    if kind.name in checks:
        assert scalar(con, f"SELECT count(*) FROM {table} WHERE {checks[kind.name]}") == 0
    if kind.name == "providers":  # one provider per login
        assert scalar(con, "SELECT count(*) FROM (SELECT user_id FROM staging.providers "
                      "GROUP BY user_id HAVING count(DISTINCT provider_id) > 1)") == 0


@SETTINGS
@given(extracts("providers"))
def test_roster_rows_are_staged_or_quarantined(ex: dict[str, Any]) -> None:
    _check("providers", ex)


@SETTINGS
@given(extracts("action_map"))
def test_action_map_rows_are_staged_or_quarantined(ex: dict[str, Any]) -> None:
    _check("action_map", ex)


@SETTINGS
@given(extracts("events"))
def test_event_rows_are_staged_or_quarantined(ex: dict[str, Any]) -> None:
    _check("events", ex)


@SETTINGS
@given(extracts("schedule"))
def test_schedule_rows_are_staged_or_quarantined(ex: dict[str, Any]) -> None:
    _check("schedule", ex)


@SETTINGS
@given(extracts("time_off"))
def test_time_off_rows_are_staged_or_quarantined(ex: dict[str, Any]) -> None:
    _check("time_off", ex)


@SETTINGS
@given(extracts("inbox"))
def test_inbox_rows_are_staged_or_quarantined(ex: dict[str, Any]) -> None:
    _check("inbox", ex)
