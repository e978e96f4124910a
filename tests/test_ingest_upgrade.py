"""A warehouse staged by an earlier version (lineage as ``delivery_id`` and ``source_file``
text on every staged row) is upgraded to ``file_id`` by ``ensure_schema``, row for row."""

from __future__ import annotations

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
)

from pipelines.ingest.tables import STAGING, create_staging, ensure_schema
from pipelines.ingest.upgrade import upgrade_lineage

OLD_LINEAGE = ("extra", "delivery_id", "source_file", "source_record")
CURRENT = {kind: table.column_names for kind, table in STAGING.items()}


def _two_deliveries(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    load(con, delivery(tmp_path / "d1", {
        "providers.csv": PROVIDERS,
        "events.csv": EVENTS_HEADER + "u1,2026-03-02 08:00:00,Orders,PAT1,WS1\n"
                                      "u2,2026-03-02 09:00:00,Note signed,PAT2,WS2\n",
        "schedule.csv": SCHEDULE_HEADER + "A1,P1,2026-03-02 08:00:00,30,completed\n",
    }), delivery_id="d1")
    load(con, delivery(tmp_path / "d2", {
        "events/part-1.csv": EVENTS_HEADER + "u1,2026-03-03 08:00:00,Orders,PAT1,WS1\n",
        "events/part-2.csv": EVENTS_HEADER + "u2,2026-03-03 10:00:00,Orders,PAT3,\n",
    }), delivery_id="d2")


def _as_old_layout(con: duckdb.DuckDBPyConnection) -> None:
    """Rewrite the warehouse in the layout of the earlier version (what it wrote)."""
    for kind, table in STAGING.items():
        contract = [c for c in table.column_names if c not in ("extra", "file_id",
                                                                "source_record")]
        cols = ", ".join([*(f"s.{c}" for c in contract), "s.extra",
                          "f.delivery_id", "f.file_name AS source_file", "s.source_record"])
        con.execute(f"CREATE TABLE staging.{kind}_old AS SELECT {cols} FROM staging.{kind} s "
                    "LEFT JOIN raw.files f ON f.file_id = s.file_id")
        con.execute(f"DROP TABLE staging.{kind}")
        con.execute(f"ALTER TABLE staging.{kind}_old RENAME TO {kind}")
    con.execute("ALTER TABLE raw.files DROP COLUMN file_id")


def _rows(con: duckdb.DuckDBPyConnection, kind: str) -> list[tuple]:
    cols = [c for c in STAGING[kind].column_names if c != "file_id"]
    listed = ", ".join([*cols, "delivery_id", "source_file"])
    return con.execute(f"SELECT {listed} FROM {lineage(kind)} ORDER BY ALL").fetchall()


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
        "ORDER BY column_index", [schema, table]).fetchall()]


def test_an_old_warehouse_is_upgraded_row_for_row(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    _two_deliveries(con, tmp_path)
    before = {kind: _rows(con, kind) for kind in STAGING}
    files = con.execute("SELECT delivery_id, file_name, file_id FROM raw.files "
                        "ORDER BY file_id").fetchall()
    _as_old_layout(con)
    # a staged row whose file is missing from raw.files is kept (with no file number)
    con.execute("INSERT INTO staging.events (user_id, event_time, action, delivery_id, "
                "source_file, source_record) VALUES ('u9', TIMESTAMPTZ '2026-03-04 12:00:00+00', "
                "'Orders', 'd0', 'lost.csv', 1)")
    assert _columns(con, "staging", "events")[-4:] == list(OLD_LINEAGE)

    ensure_schema(con)

    for kind, table in STAGING.items():
        assert _columns(con, "staging", kind) == table.column_names, kind
    assert {k: _rows(con, k) for k in STAGING if k != "events"} == {
        k: v for k, v in before.items() if k != "events"}
    orphan = ("u9", "Orders", None, None, None, None, None, 1, None, None)
    events = con.execute("SELECT user_id, action, event_id, patient_hash, workstation_id, "
                         "extra, file_id, source_record, delivery_id, source_file "
                         f"FROM {lineage('events')} WHERE user_id = 'u9'").fetchall()
    assert events == [orphan]
    assert [r for r in _rows(con, "events") if r[0] != "u9"] == before["events"]
    # the files are numbered in loading order, as the loader numbers them
    assert con.execute("SELECT delivery_id, file_name, file_id FROM raw.files "
                       "ORDER BY file_id").fetchall() == files
    assert [f[2] for f in files] == list(range(1, len(files) + 1))
    # comments and compression come from the current definition of the table
    assert con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE schema_name IN ('staging', 'raw') "
        "AND (comment IS NULL OR comment = '')").fetchall() == [(0,)]

    ensure_schema(con)  # nothing left to upgrade
    assert [r for r in _rows(con, "events") if r[0] != "u9"] == before["events"]

    summary = load(con, delivery(tmp_path / "d3", {
        "events.csv": EVENTS_HEADER + "u1,2026-03-05 08:00:00,Orders,PAT1,WS1\n"}),
        delivery_id="d3")
    assert summary.rows_staged == 1
    assert con.execute(
        f"SELECT delivery_id, source_file, file_id FROM {lineage('events')} "
        "WHERE delivery_id = 'd3'").fetchall() == [("d3", "events.csv", len(files) + 1)]
    con.close()


def test_a_new_warehouse_numbers_files_from_one(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    _two_deliveries(con, tmp_path)
    assert con.execute("SELECT delivery_id, kind, file_name, file_id FROM raw.files "
                       "ORDER BY file_id").fetchall() == [
        ("d1", "providers", "providers.csv", 1), ("d1", "events", "events.csv", 2),
        ("d1", "schedule", "schedule.csv", 3), ("d2", "events", "events/part-1.csv", 4),
        ("d2", "events", "events/part-2.csv", 5)]
    assert con.execute(
        f"SELECT file_id, source_file, source_record, user_id FROM {lineage('events')} "
        "ORDER BY file_id, source_record").fetchall() == [
        (2, "events.csv", 1, "u1"), (2, "events.csv", 2, "u2"),
        (4, "events/part-1.csv", 1, "u1"), (5, "events/part-2.csv", 1, "u2")]
    con.close()


def test_a_failed_upgrade_leaves_the_old_warehouse_as_it_was(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    _two_deliveries(con, tmp_path)
    _as_old_layout(con)
    before = {k: con.execute(f"SELECT * FROM staging.{k} ORDER BY ALL").fetchall()
              for k in STAGING}
    made: list[str] = []

    def failing_create(c: duckdb.DuckDBPyConnection, kind: str) -> None:
        create_staging(c, kind)
        made.append(kind)
        if len(made) == 2:  # after one table was rebuilt and the second renamed
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        upgrade_lineage(con, CURRENT, failing_create)
    assert "file_id" not in _columns(con, "raw", "files")
    for kind in STAGING:
        assert _columns(con, "staging", kind)[-4:] == list(OLD_LINEAGE), kind
        assert con.execute(f"SELECT * FROM staging.{kind} ORDER BY ALL").fetchall() == \
            before[kind]
    assert con.execute("SELECT count(*) FROM duckdb_tables() "
                       "WHERE table_name LIKE '%before_file_id'").fetchall() == [(0,)]
    assert upgrade_lineage(con, CURRENT, create_staging) == list(STAGING)  # then it works
    assert "file_id" in _columns(con, "raw", "files")
    con.close()
