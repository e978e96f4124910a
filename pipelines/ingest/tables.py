"""DuckDB tables of the ingestion layer (schemas ``raw``, ``staging``, ``quarantine``).

Every table and column carries a COMMENT; :func:`ensure_schema` creates what is missing
and (re)writes the comments, so it is idempotent. Table grains:

- ``raw.files``: one row per delivered file loaded (the manifest of the raw layer).
- ``staging.providers``: one row per login of one clinician, key (provider_id, user_id).
- ``staging.action_map``: one row per normalized action name, key action.
- ``staging.events``: one row per EHR audit-log action, key event_id, else the whole row.
- ``staging.schedule``: one row per appointment slot, key appointment_id.
- ``staging.time_off``: one row per block of time off, key (provider_id, start_date, type).
- ``staging.inbox``: one row per in-basket message to one provider, key (message_id,
  provider_id).
- ``quarantine.rows``: one row per rejected delivered row.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.ingest.hashing import PATIENT_HASH
from pipelines.ingest.upgrade import upgrade_lineage
from schemas.contract import KINDS

SCHEMAS = {
    "raw": "Raw layer: the manifest of delivered files (the files themselves are archived "
           "read-only outside the database).",
    "staging": "Typed extracts upserted on the contract's keys; patient ids hashed; "
               "instants in UTC.",
    "quarantine": "Delivered rows rejected by the input contract, with a reason code.",
}

SQL_TYPES = {"str": "VARCHAR", "instant": "TIMESTAMPTZ", "date": "DATE", "float": "DOUBLE"}

#: Columns stored with a given compression instead of DuckDB's choice. Event ids are
#: unique, so DuckDB's dictionary and FSST analysis buys little on them and was the
#: largest single cost of staging 30 million events: ZSTD stored them in about half the
#: time and smaller (docs/performance.md, "Loading").
COMPRESSION = {"staging.events.event_id": "zstd"}


@dataclass(frozen=True)
class Table:
    """A table definition: name, grain comment and (column, SQL type, comment) triples."""

    schema: str
    name: str
    comment: str
    columns: tuple[tuple[str, str, str], ...]

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c for c, _, _ in self.columns]


COLUMN_DOCS: dict[str, str] = {
    "events.user_id": "EHR login that performed the action (Clarity ACCESS_LOG.USER_ID); "
                      "joins staging.providers.user_id",
    "events.event_time": "Instant of the action (ACCESS_INSTANT) in UTC; naive delivered times "
                         "were read in the configured time zone",
    "events.action": "Audit-log action name (METRIC_NAME) exactly as delivered; it matches "
                     "staging.action_map after trimming and case folding",
    "events.event_id": "Delivered event identifier; the upsert key when present (NULL: the "
                       "whole row is the key)",
    f"events.{PATIENT_HASH}": "HMAC-SHA256 (hex) of the delivered patient_id keyed with the "
                              "site secret (privacy.hash_key_env); never the clear id",
    "events.workstation_id": "Workstation the action came from, as delivered",
    "providers.provider_id": "Clinician identifier; a clinician with two logins has two rows",
    "providers.user_id": "One EHR login of the clinician (joins staging.events.user_id)",
    "providers.department": "Department of the clinician, as delivered",
    "providers.specialty": "Specialty of the clinician, as delivered",
    "providers.role": "One of physician, app, resident, other (lower case)",
    "providers.clinical_fte": "Clinical full-time equivalent, in (0, 1]",
    "providers.display_name": "Clinician's display name (never shown in leader-facing output)",
    "providers.start_date": "First local date the clinician is measured (NULL: no limit)",
    "providers.end_date": "Last local date the clinician is measured (NULL: no limit)",
    "schedule.appointment_id": "Appointment identifier (upsert key)",
    "schedule.provider_id": "Clinician the slot belongs to (in staging.providers)",
    "schedule.start_time": "Instant the slot starts, in UTC",
    "schedule.duration_minutes": "Slot length in minutes, in 1..720",
    "schedule.status": "One of scheduled, arrived, completed, no_show, cancelled, bumped",
    "schedule.visit_type": "Visit type, as delivered",
    "time_off.provider_id": "Clinician taking the time off (in staging.providers)",
    "time_off.start_date": "First local date of the block (inclusive)",
    "time_off.end_date": "Last local date of the block (inclusive)",
    "time_off.type": "One of vacation, pto, sick, cme, holiday, parental, other",
    "inbox.message_id": "In-basket message identifier",
    "inbox.provider_id": "Clinician whose in-basket received the message (in staging.providers)",
    "inbox.received_time": "Instant the message arrived, in UTC",
    "inbox.message_type": "One of patient_message, result, rx_request, system, staff, other",
    "inbox.completed_time": "Instant the message was completed, in UTC (NULL: open)",
    "inbox.completed_by": "user_id of the login that completed the message",
    "action_map.action": "Action name normalized for matching (trimmed, case-folded)",
    "action_map.category": "One of notes, orders, prescriptions, inbox, chart_review, other; "
                           "overrides the shipped default map for this action",
}

LINEAGE = (
    ("extra", "VARCHAR", "JSON object of the delivered columns listed in keep_extra_columns, "
                         "as text; NULL when none was kept"),
    ("file_id", "INTEGER", "Delivered file the row came from (the newest delivery wins): "
                           "raw.files.file_id, which gives its delivery_id and file_name"),
    ("source_record", "BIGINT", "1-based data record number in that file (header excluded)"),
)

#: A column of a delivery's new rows that staging does not store: the delivered file's
#: name (raw.files.file_name of the row's file_id). The loader orders the rows of a key
#: by it and names a quarantined row's file with it.
SOURCE_FILE = ("source_file", "VARCHAR")


def _staging_table(kind_name: str) -> Table:
    kind = KINDS[kind_name]
    cols = []
    for col in kind.columns:
        name = PATIENT_HASH if col == "patient_id" else col
        cols.append((name, SQL_TYPES[kind.types[col]], COLUMN_DOCS[f"{kind_name}.{name}"]))
    key = "event_id when present, else the whole row" if kind_name == "events" else (
        "(" + ", ".join(kind.key) + ")")
    grain = f"Grain: {kind.grain}. Key: {key}. Upserted on the key, the newest delivery wins."
    return Table("staging", kind_name, grain, (*cols, *LINEAGE))


RAW_FILES = Table("raw", "files", "One row per delivered file loaded (the raw layer's manifest); "
                  "a file whose sha256 is here already is skipped.", (
    ("delivery_id", "VARCHAR", "Delivery that loaded the file"),
    ("kind", "VARCHAR", "Extract kind (events, providers, schedule, time_off, inbox, action_map)"),
    ("file_name", "VARCHAR", "Path of the file relative to the delivery folder"),
    ("sha256", "VARCHAR", "SHA-256 (hex) of the file's bytes as delivered"),
    ("bytes", "BIGINT", "Size of the file in bytes as delivered"),
    ("rows", "BIGINT", "Data records read from the file (header excluded)"),
    ("loaded_at", "TIMESTAMPTZ", "Time of the run that loaded the file"),
    ("archived_path", "VARCHAR", "Read-only archived copy; NULL when no archive folder was "
                                 "given or the file holds clear patient ids or dropped extra "
                                 "columns that may not be kept (privacy.keep_raw_patient_ids "
                                 "false)"),
    ("file_id", "INTEGER", "Number of the file in this warehouse (1, 2, ... in loading "
                           "order); staging rows name their file by it (file_id)"),
    ("timezone", "VARCHAR", "Time zone the file's naive local times were read in (setting "
                            "timezone); a warehouse keeps one. NULL: loaded by a version "
                            "that did not record it"),
))

REJECTED_ROWS = Table("quarantine", "rows", "One row per rejected delivered row: the "
                      "first failing check in the contract's column order.", (
    ("delivery_id", "VARCHAR", "Delivery the row came in"),
    ("kind", "VARCHAR", "Extract kind of the file"),
    ("source_file", "VARCHAR", "Delivered file, relative to the delivery folder (raw.files)"),
    ("record_number", "BIGINT", "1-based data record number in source_file (header excluded)"),
    ("column_name", "VARCHAR", "Column that failed (for duplicate_key: the key columns)"),
    ("reason", "VARCHAR", "Reason code: missing_value, bad_time, nonexistent_local_time, "
                          "time_out_of_range, bad_enum, bad_number, duration_out_of_range, "
                          "bad_date_range, fte_out_of_range, unknown_provider, duplicate_key"),
    ("detail", "VARCHAR", "What was wrong, with the offending value (never a patient id)"),
    ("record", "VARCHAR", "The row as a JSON object: delivered text for column checks, staged "
                          "values for unknown_provider and duplicate_key; patient ids hashed"),
))

STAGING: dict[str, Table] = {k: _staging_table(k) for k in KINDS}
TABLES: tuple[Table, ...] = (RAW_FILES, *STAGING.values(), REJECTED_ROWS)


#: SQL: a staged row came in the delivery bound as ``$delivery`` (by its file's row in
#: raw.files; DuckDB pushes the files' numbers into the scan of the staged rows).
OF_DELIVERY = "file_id IN (SELECT file_id FROM raw.files WHERE delivery_id = $delivery)"


def new_row_columns(kind: str) -> tuple[tuple[str, str], ...]:
    """(column, SQL type) of the delivery's new rows of ``kind``: the staging table's
    columns and :data:`SOURCE_FILE`."""
    return (*((c, typ) for c, typ, _ in STAGING[kind].columns), SOURCE_FILE)


def _literal(text: str) -> str:
    """A SQL string literal of a constant of this module (never of input data)."""
    return "'" + text.replace("'", "''") + "'"


def _column_sql(t: Table, col: str, typ: str) -> str:
    compression = COMPRESSION.get(f"{t.qualified}.{col}")
    return f"{col} {typ}" + (f" USING COMPRESSION {compression}" if compression else "")


def add_missing_columns(con: duckdb.DuckDBPyConnection, schema: str, name: str,
                        defs: list[tuple[str, str]]) -> None:
    """Add to table ``schema.name`` each column of ``defs`` (name, SQL definition: project
    constants) that it lacks: a table made by an earlier version gains the columns added
    since, NULL in its existing rows."""
    have = {r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?",
        [schema, name]).fetchall()}
    for column, definition in defs:
        if column not in have:
            con.execute(f"ALTER TABLE {schema}.{name} ADD COLUMN {definition}")


def _create(con: duckdb.DuckDBPyConnection, t: Table) -> None:
    """Create table ``t`` if it does not exist, add the columns a table made by an earlier
    version lacks (NULL in its rows), and (re)write its comments."""
    defs = [(c, _column_sql(t, c, typ)) for c, typ, _ in t.columns]
    cols = ", ".join(d for _, d in defs)
    con.execute(f"CREATE TABLE IF NOT EXISTS {t.qualified} ({cols})")
    add_missing_columns(con, t.schema, t.name, defs)
    con.execute(f"COMMENT ON TABLE {t.qualified} IS {_literal(t.comment)}")
    for c, _, comment in t.columns:
        con.execute(f"COMMENT ON COLUMN {t.qualified}.{c} IS {_literal(comment)}")


def create_staging(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    """Create the staging table of ``kind`` if it does not exist, with its comments."""
    _create(con, STAGING[kind])


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schemas raw, staging, quarantine and their tables, with comments; idempotent.

    A warehouse staged by an earlier version is first brought to the current layout
    (:func:`pipelines.ingest.upgrade.upgrade_lineage`). Also sets the session time zone
    to UTC so that TIMESTAMPTZ round-trips as UTC.
    """
    con.execute("SET TimeZone='UTC'")
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")  # DuckDB has no schema comments
    upgrade_lineage(con, {k: t.column_names for k, t in STAGING.items()}, create_staging)
    for t in TABLES:
        _create(con, t)
