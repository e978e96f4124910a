"""Helpers of the ingestion tests: tiny deliveries written into tmp_path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb

from pipelines.ingest import DeliverySummary, load_delivery
from schemas.config import Config

RUN_TIME = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
KEY = b"test-site-secret"

PROVIDERS = (
    "provider_id,user_id,department,specialty,role,clinical_fte\n"
    "P1,u1,Medicine,Internal Medicine,physician,1.0\n"
    "P2,u2,Pediatrics,Pediatrics,app,0.5\n"
)
EVENTS_HEADER = "user_id,event_time,action,patient_id,workstation_id\n"
SCHEDULE_HEADER = "appointment_id,provider_id,start_time,duration_minutes,status\n"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    """Write one file of a delivery folder (creating sub-folders)."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def delivery(folder: Path, files: dict[str, str | bytes]) -> Path:
    """A delivery folder holding ``files`` (name -> content)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        write(folder, name, content)
    return folder


def load(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    *,
    delivery_id: str = "d1",
    cfg: Config | None = None,
    archive_dir: Path | None = None,
) -> DeliverySummary:
    return load_delivery(con, folder, cfg or Config(), run_time=RUN_TIME,
                         delivery_id=delivery_id, hash_key=KEY, archive_dir=archive_dir)


def quarantined(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, str, str]]:
    """(source_file, record_number, column_name, reason) of every quarantined row."""
    return [
        (r[0], r[1], r[2], r[3])
        for r in con.execute(
            "SELECT source_file, record_number, column_name, reason "
            "FROM quarantine.rows ORDER BY source_file, record_number"
        ).fetchall()
    ]


def lineage(kind: str) -> str:
    """SQL of ``staging.<kind>`` with each row's ``delivery_id`` and ``source_file``, from
    its file's row in raw.files (as docs/data-handling.md tells analysts to join them)."""
    return (f"(SELECT s.*, f.delivery_id, f.file_name AS source_file FROM staging.{kind} s "
            "LEFT JOIN raw.files f ON f.file_id = s.file_id)")


def staged_records(con: duckdb.DuckDBPyConnection, kind: str) -> list[tuple[str, int]]:
    """(source_file, source_record) of the staged rows of ``kind``."""
    return [
        (r[0], r[1])
        for r in con.execute(
            f"SELECT source_file, source_record FROM {lineage(kind)} "
            "ORDER BY source_file, source_record"
        ).fetchall()
    ]


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every raw, staging and quarantine table, sorted."""
    tables = con.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
        "WHERE schema_name IN ('raw', 'staging', 'quarantine') ORDER BY 1"
    ).fetchall()
    return {
        t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for (t,) in tables
    }
