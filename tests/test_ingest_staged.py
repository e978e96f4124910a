"""Staged tables: roster coverage, the action map, comments, reading frames back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest
from ingest_helpers import EVENTS_HEADER, PROVIDERS, delivery, load, quarantined

from pipelines.ingest import ensure_schema, normalize_action, read_staged
from schemas import frames


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    yield c
    c.close()


def test_events_of_unrostered_users_are_staged_and_counted(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = delivery(tmp_path / "d", {
        "providers.csv": PROVIDERS,
        "events.csv": EVENTS_HEADER
        + "u1,2026-03-02 09:00:00,Order signed,,\n"
        + "nurse7,2026-03-02 09:01:00,Order signed,,\n"
        + "nurse7,2026-03-02 09:02:00,Order signed,,\n"
        + "scribe2,2026-03-02 09:03:00,Order signed,,\n",
    })
    summary = load(con, folder)
    assert summary.unrostered_events == 3
    assert summary.unrostered_users == 2
    assert summary.counts["events"].rows_staged == 4
    assert quarantined(con) == []


def test_action_map_overrides_and_extends_the_default(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = delivery(tmp_path / "d", {
        "action_map.csv": "action,category\n"
        "  ORDER SIGNED ,prescriptions\n"
        "Local Widget Opened,Chart_Review\n"
        "Bad Row,paperwork\n"
        "local widget opened,notes\n",
    })
    load(con, folder)
    assert quarantined(con) == [
        ("action_map.csv", 3, "category", "bad_enum"),
        ("action_map.csv", 4, "action", "duplicate_key"),
    ]
    amap = read_staged(con)["action_map"]
    assert amap.schema == pl.Schema(frames.ACTION_MAP)
    lookup = dict(zip(amap["action"], amap["category"], strict=True))
    assert lookup["order signed"] == "prescriptions"
    assert lookup["local widget opened"] == "chart_review"
    assert lookup[normalize_action("In Basket message viewed")] == "inbox"
    assert amap["action"].is_unique().all()


def test_normalize_action_casefolds() -> None:
    assert normalize_action("  Straße Viewed\t") == "strasse viewed"


def test_every_table_and_column_has_a_comment(con: duckdb.DuckDBPyConnection) -> None:
    ensure_schema(con)
    ensure_schema(con)  # idempotent
    tables = con.execute(
        "SELECT schema_name, table_name, comment FROM duckdb_tables() ORDER BY 1, 2"
    ).fetchall()
    assert [(s, t) for s, t, _ in tables] == [
        ("quarantine", "rows"), ("raw", "files"), ("staging", "action_map"),
        ("staging", "events"), ("staging", "inbox"), ("staging", "providers"),
        ("staging", "schedule"), ("staging", "time_off"),
    ]
    assert all(c for _, _, c in tables)
    uncommented = con.execute(
        "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
        "WHERE (comment IS NULL OR comment = '') AND NOT internal"
    ).fetchall()
    assert uncommented == []
    # 10 columns of raw.files, 8 of quarantine.rows, each staging table's contract
    # columns and its 3 lineage columns (extra, file_id, source_record)
    assert con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE NOT internal"
    ).fetchone() == (69,)


def test_read_staged_on_an_empty_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    staged = read_staged(con)
    assert sorted(staged) == sorted(
        ["events", "providers", "schedule", "time_off", "inbox", "action_map"]
    )
    assert staged["events"].height == 0
    assert staged["inbox"].schema == pl.Schema(frames.INBOX)
    assert staged["action_map"].height > 50


def test_dates_touched_by_inbox_and_time_off(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = delivery(tmp_path / "d", {
        "providers.csv": PROVIDERS,
        "inbox.csv": "message_id,provider_id,received_time,message_type,completed_time\n"
        "M1,P1,2026-03-01 23:30:00,result,2026-03-05 10:00:00\n"
        "M2,P1,2026-03-03 00:30:00Z,result,\n",
        "time_off.csv": "provider_id,start_date,end_date,type\nP1,2026-04-01,2026-04-10,pto\n",
    })
    summary = load(con, folder)
    # M2 arrives 2026-03-03 00:30 UTC, which is 2026-03-02 19:30 in New York.
    assert summary.dates_touched == (dt.date(2026, 3, 1), dt.date(2026, 3, 2))
    assert summary.dates_touched_by_kind["time_off"] == (dt.date(2026, 4, 1), dt.date(2026, 4, 10))
    inbox = read_staged(con)["inbox"]
    assert inbox["completed_by"].to_list() == [None, None]
    assert summary.to_dict()["dates_touched"] == ["2026-03-01", "2026-03-02"]


def test_read_staged_selected_kinds(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    load(con, delivery(tmp_path / "d", {"providers.csv": PROVIDERS}))
    staged = read_staged(con, kinds=("providers", "action_map"))
    assert sorted(staged) == ["action_map", "providers"]
    assert staged["providers"]["provider_id"].to_list() == ["P1", "P2"]
    with pytest.raises(ValueError, match="unknown kind 'notes'"):
        read_staged(con, kinds=("notes",))


def test_event_ids_are_stored_with_zstd(tmp_path: Path) -> None:
    """Event ids are unique: the staging table stores them with ZSTD, not DuckDB's
    dictionary/FSST analysis (the load's largest cost at scale; docs/performance.md)."""
    db = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        folder = delivery(tmp_path / "d", {
            "providers.csv": PROVIDERS,
            "events.csv": EVENTS_HEADER.replace("\n", ",event_id\n") + "".join(
                f"u1,2026-03-02 09:{m:02d}:00,Order signed,P{m},,E{m:06d}\n"
                for m in range(60)),
        })
        load(db, folder)
        db.execute("CHECKPOINT")
        found = dict(db.execute(
            "SELECT column_name, list(DISTINCT compression) FROM pragma_storage_info("
            "'staging.events') WHERE segment_type = 'VARCHAR' GROUP BY ALL").fetchall())
    finally:
        db.close()
    assert found["event_id"] == ["ZSTD"]
    assert found["user_id"] != ["ZSTD"]  # the other columns keep DuckDB's choice
