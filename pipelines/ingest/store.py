"""SQL steps of collecting one extract kind: temporary tables, appends, the manifest.

The rows of a delivery's kind that took the Polars path are appended to the temporary
table ``_ingest_new``; the record numbers of the Parquet rows that the SQL path leaves
to the Polars path go to ``_ingest_skip``. :mod:`pipelines.ingest.finish` then checks
them across rows and upserts them into staging.

Values are always bound as parameters; the identifiers in these statements are constants
of the contract. Results are read with ``fetchall`` (DuckDB 2.0 leaves a ``fetchone``
result open).
"""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.ingest.newrows import NEW
from pipelines.ingest.sqlpath import SKIP
from pipelines.ingest.tables import REJECTED_ROWS, new_row_columns
from schemas.config import ConfigError


def start_kind(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    """Create (or empty) the temporary tables collecting this delivery's rows of ``kind``.

    Declared column by column on purpose: in DuckDB 2.0.0, a table made by
    ``CREATE TABLE ... AS SELECT`` inside a transaction and then bulk-filled from an Arrow
    scan (a row group or more) reads back as empty in that transaction
    (tests/test_ingest_scale.py guards against it).
    """
    cols = ", ".join(f"{c} {typ}" for c, typ in new_row_columns(kind))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {NEW} ({cols})")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {SKIP} (part INTEGER, record BIGINT)")


def skip(con: duckdb.DuckDBPyConnection, part: int, records: pl.Series) -> None:
    """Record which rows of SQL-path file ``part`` take the Polars path."""
    frame = records.alias("record").to_frame().with_columns(part=pl.lit(part, pl.Int32))
    append(con, SKIP, frame)


def append(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Append a Polars frame to ``table``, matching columns by name."""
    if frame.height == 0:
        return
    con.register("_ingest_frame", frame)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _ingest_frame")
    finally:
        con.unregister("_ingest_frame")


def quarantine(con: duckdb.DuckDBPyConnection, rejected: pl.DataFrame) -> None:
    """Append rejected rows (columns of quarantine.rows) to the quarantine."""
    append(con, REJECTED_ROWS.qualified, rejected)


def known_checksums(con: duckdb.DuckDBPyConnection, checksums: list[str]) -> set[str]:
    """The SHA-256 checksums among ``checksums`` that raw.files already holds."""
    rows = con.execute(
        "SELECT DISTINCT sha256 FROM raw.files WHERE list_contains($1, sha256)", [checksums]
    ).fetchall()
    return {r[0] for r in rows}


def next_file_id(con: duckdb.DuckDBPyConnection) -> int:
    """The ``file_id`` of the next file recorded in raw.files: one more than the largest.

    The files of a delivery are numbered one after another in its transaction, and one
    process writes the warehouse at a time (docs/operations.md), so numbers never clash.
    """
    rows = con.execute("SELECT coalesce(max(file_id), 0) + 1 FROM raw.files").fetchall()
    return int(rows[0][0])


def record_file(con: duckdb.DuckDBPyConnection, row: dict[str, object]) -> None:
    """Insert one manifest row into raw.files (``row`` names its ``file_id``)."""
    con.execute(
        "INSERT INTO raw.files (delivery_id, kind, file_name, sha256, bytes, rows, loaded_at, "
        "archived_path, file_id, timezone) VALUES ($delivery_id, $kind, $file_name, $sha256, "
        "$bytes, $rows, $loaded_at, $archived_path, $file_id, $timezone)",
        row,
    )


def check_timezone(con: duckdb.DuckDBPyConnection, timezone: str) -> None:
    """Refuse a ``timezone`` other than the one this warehouse's files were read in.

    Naive local times become instants when a file is loaded, in the configured zone, and
    staging keeps only the instants; under another zone the same deliveries would give
    other instants, so a warehouse mixing two would be wrong without a trace. Files loaded
    before the zone was recorded (NULL) do not count. Call after :func:`ensure_schema`. Raises
    :class:`schemas.config.ConfigError` naming the key.
    """
    read_in = [r[0] for r in con.execute(
        "SELECT DISTINCT timezone FROM raw.files WHERE timezone IS NOT NULL "
        "AND timezone <> ? ORDER BY 1", [timezone]).fetchall()]
    if read_in:
        raise ConfigError(
            f"config key 'timezone': {timezone}, but this warehouse's files were read in "
            f"{', '.join(read_in)}; a warehouse keeps one time zone (load the deliveries "
            "into a new warehouse to change it)")
