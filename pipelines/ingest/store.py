"""SQL steps of loading one extract kind: collect, check across rows, upsert.

All of a delivery's rows of one kind are first appended to the temporary table
``_ingest_new``; :func:`finish_kind` then quarantines rows naming a provider missing from
the roster (``unknown_provider``) and second rows of a key (``duplicate_key``: the first
by file name, then record number, is kept), and upserts the rest: DELETE the staged rows
with the same key, INSERT the new ones (the newest delivery wins). Events without
``event_id`` are keyed on the whole row.

A ``user_id`` is one login of one clinician: a roster row giving a login that already
belongs to another provider (staged before, or earlier in this delivery by file name and
record number) is quarantined as ``duplicate_key`` on column ``user_id``, so that the
login's events never count for two providers. The first provider is kept.

Values are always bound as parameters; the identifiers in these statements are constants
of the contract. Results are read with ``fetchall`` (DuckDB 2.0 leaves a ``fetchone``
result open).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import polars as pl

from pipelines.ingest.tables import REJECTED_ROWS, STAGING
from schemas.contract import KINDS

NEW, RANKED, ACCEPTED = "_ingest_new", "_ingest_ranked", "_ingest_accepted"
ROSTER_CHECKED = ("schedule", "time_off", "inbox")
EVENT_ROW_KEY = ("user_id", "event_time", "action", "patient_hash", "workstation_id")


@dataclass
class KindResult:
    """What finishing one kind did."""

    staged: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    dates: tuple[dt.date, dt.date] | None = None
    unrostered_events: int = 0
    unrostered_users: int = 0


def start_kind(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    """Create (or empty) the temporary table collecting this delivery's rows of ``kind``.

    Declared column by column on purpose: in DuckDB 2.0.0, a table made by
    ``CREATE TABLE ... AS SELECT`` inside a transaction and then bulk-filled from an Arrow
    scan (a row group or more) reads back as empty in that transaction
    (tests/test_ingest_scale.py guards against it).
    """
    cols = ", ".join(f"{c} {typ}" for c, typ, _ in STAGING[kind].columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {NEW} ({cols})")


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


def record_file(con: duckdb.DuckDBPyConnection, row: dict[str, object]) -> None:
    """Insert one manifest row into raw.files."""
    con.execute(
        "INSERT INTO raw.files (delivery_id, kind, file_name, sha256, bytes, rows, loaded_at, "
        "archived_path) VALUES ($delivery_id, $kind, $file_name, $sha256, $bytes, $rows, "
        "$loaded_at, $archived_path)",
        row,
    )


def finish_kind(
    con: duckdb.DuckDBPyConnection, kind: str, delivery_id: str, tz: str
) -> KindResult:
    """Check the collected rows of ``kind`` across rows and upsert them into staging."""
    _rank(con, kind)
    result = KindResult()
    result.quarantined = _quarantine_cross_row(con, kind, delivery_id)
    cols = ", ".join(STAGING[kind].column_names)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {ACCEPTED} AS SELECT {cols} FROM {RANKED} "
        "WHERE NOT _unknown AND _rn = 1 AND _conflict IS NULL"
    )
    result.dates = _dates_touched(con, kind, tz)
    _upsert(con, kind)
    result.staged = _scalar(con, f"SELECT count(*) FROM {ACCEPTED}")
    if kind == "events":
        rows = con.execute(
            f"SELECT count(*), count(DISTINCT user_id) FROM {ACCEPTED} n WHERE NOT EXISTS "
            "(SELECT 1 FROM staging.providers p WHERE p.user_id = n.user_id)"
        ).fetchall()
        result.unrostered_events, result.unrostered_users = rows[0] if rows else (0, 0)
    con.execute(f"DROP VIEW IF EXISTS {ACCEPTED}")
    con.execute(f"DROP TABLE IF EXISTS {RANKED}")
    return result


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> int:
    rows = con.execute(sql, params).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _key_sql(kind: str) -> list[str]:
    if kind == "events":
        return ["event_id"] + [
            f"CASE WHEN event_id IS NULL THEN {c} END" for c in EVENT_ROW_KEY
        ]
    return list(KINDS[kind].key)


def _rank(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    """Rank the collected rows: ``_unknown`` (provider not in the roster), ``_rn`` (1 for
    the first row of a key), ``_first_file`` and ``_first_record`` (that first row), and
    ``_conflict``: for the roster, why the row's login belongs to another provider (NULL
    when it does not, and for other kinds).
    """
    if kind in ROSTER_CHECKED:
        roster = (" LEFT JOIN (SELECT DISTINCT provider_id AS _rid FROM staging.providers) r"
                  " ON n.provider_id = r._rid")
        unknown = "(r._rid IS NULL)"
    else:
        roster, unknown = "", "FALSE"
    partition = ", ".join([unknown, *_key_sql(kind)])
    roster_kind = kind == "providers"
    ranked = f"{RANKED}_0" if roster_kind else RANKED
    conflict = "" if roster_kind else ", NULL::VARCHAR AS _conflict"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {ranked} AS SELECT n.*, {unknown} AS _unknown, "
        "row_number() OVER w AS _rn, first_value(n.source_file) OVER w AS _first_file, "
        f"first_value(n.source_record) OVER w AS _first_record{conflict} "
        f"FROM {NEW} n{roster} WINDOW w AS (PARTITION BY {partition} "
        "ORDER BY n.source_file, n.source_record)"
    )
    con.execute(f"DROP TABLE IF EXISTS {NEW}")
    if roster_kind:
        con.execute(_LOGIN_CONFLICTS.format(ranked=RANKED, source=ranked))
        con.execute(f"DROP TABLE IF EXISTS {ranked}")


# A roster row conflicts when its (provider_id, user_id) is not staged yet and its user_id
# already belongs to another provider: a staged one (the smallest id, should an older
# warehouse hold several), else the first row of this delivery naming that user_id.
_LOGIN_CONFLICTS = """
CREATE OR REPLACE TEMP TABLE {ranked} AS
WITH candidates AS (
    SELECT source_file, source_record,
           first_value(provider_id) OVER u AS _owner,
           first_value(source_file) OVER u AS _owner_file,
           first_value(source_record) OVER u AS _owner_record
    FROM {source} WHERE _rn = 1
    WINDOW u AS (PARTITION BY user_id ORDER BY source_file, source_record)
),
staged AS (
    SELECT user_id, min(provider_id) AS provider_id FROM staging.providers GROUP BY user_id
)
SELECT r.*,
    CASE
        WHEN r._rn <> 1 OR EXISTS (SELECT 1 FROM staging.providers p
                                   WHERE p.provider_id = r.provider_id
                                     AND p.user_id = r.user_id) THEN NULL
        WHEN s.provider_id IS NOT NULL AND s.provider_id <> r.provider_id THEN concat(
            'user_id ', to_json(r.user_id), ' is already a login of provider ',
            to_json(s.provider_id), ' (staging.providers); a login counts for one provider ',
            'only, so the first provider is kept')
        WHEN s.provider_id IS NULL AND c._owner <> r.provider_id THEN concat(
            'user_id ', to_json(r.user_id), ' is already a login of provider ',
            to_json(c._owner), ' (', c._owner_file, ' record ', c._owner_record, '); a login ',
            'counts for one provider only, so the first provider is kept')
    END AS _conflict
FROM {source} r
LEFT JOIN candidates c ON c.source_file = r.source_file AND c.source_record = r.source_record
LEFT JOIN staged s ON s.user_id = r.user_id
"""


def _record_json(kind: str) -> str:
    """SQL building the staged row as a JSON object (for cross-row rejections)."""
    cols = [c for c in STAGING[kind].column_names if c not in ("delivery_id", "source_file",
                                                                  "source_record")]
    pairs = ", ".join(f"'{c}', {c}::JSON" if c == "extra" else f"'{c}', {c}" for c in cols)
    return f"json_object({pairs})::VARCHAR"


def _quarantine_cross_row(
    con: duckdb.DuckDBPyConnection, kind: str, delivery_id: str
) -> dict[str, int]:
    target = f"INSERT INTO {REJECTED_ROWS.qualified} ({', '.join(REJECTED_ROWS.column_names)})"
    record = _record_json(kind)
    params = {"delivery_id": delivery_id, "kind": kind}
    if kind in ROSTER_CHECKED:
        con.execute(
            f"{target} SELECT $delivery_id, $kind, source_file, source_record, 'provider_id', "
            "'unknown_provider', "
            "concat('''', provider_id, ''' is not in the roster (staging.providers)'), "
            f"{record} FROM {RANKED} WHERE _unknown ORDER BY source_file, source_record",
            params,
        )
    if kind == "events":
        key_cols = (f"CASE WHEN event_id IS NULL THEN '{', '.join(EVENT_ROW_KEY)}' "
                    "ELSE 'event_id' END")
    else:
        key_cols = "'" + ", ".join(KINDS[kind].key) + "'"
    con.execute(
        f"{target} SELECT $delivery_id, $kind, source_file, source_record, "
        f"CASE WHEN _rn > 1 THEN {key_cols} ELSE 'user_id' END, 'duplicate_key', "
        "CASE WHEN _rn > 1 THEN concat('same key as ', _first_file, ' record ', _first_record, "
        f"' (the first is kept)') ELSE _conflict END, {record} FROM {RANKED} "
        "WHERE NOT _unknown AND (_rn > 1 OR _conflict IS NOT NULL) "
        "ORDER BY source_file, source_record",
        params,
    )
    rows = con.execute(
        "SELECT count(*) FILTER (WHERE _unknown), "
        "count(*) FILTER (WHERE NOT _unknown AND (_rn > 1 OR _conflict IS NOT NULL)) "
        f"FROM {RANKED}"
    ).fetchall()
    unknown, duplicate = rows[0] if rows else (0, 0)
    counts = {"unknown_provider": int(unknown), "duplicate_key": int(duplicate)}
    return {k: v for k, v in counts.items() if v}


_END = ("{a}start_time + "
        "to_microseconds(greatest(CAST(round({a}duration_minutes * 6e7) AS BIGINT) - 1, 0))")
_TOUCHED: dict[str, tuple[str, str, str]] = {
    # kind: (first-date SQL, last-date SQL, join of the staged rows replaced); {a}: alias
    "events": ("timezone($tz, {a}event_time)::DATE", "timezone($tz, {a}event_time)::DATE",
               "s.event_id = n.event_id"),
    "schedule": ("timezone($tz, {a}start_time)::DATE", "timezone($tz, " + _END + ")::DATE",
                 "s.appointment_id = n.appointment_id"),
    "inbox": ("timezone($tz, {a}received_time)::DATE", "timezone($tz, {a}received_time)::DATE",
              "s.message_id = n.message_id AND s.provider_id = n.provider_id"),
    "time_off": ("{a}start_date", "{a}end_date", "s.provider_id = n.provider_id AND "
                 "s.start_date = n.start_date AND s.type = n.type"),
}


def _dates_touched(
    con: duckdb.DuckDBPyConnection, kind: str, tz: str
) -> tuple[dt.date, dt.date] | None:
    """Min and max local date of the accepted rows and of the staged rows they replace."""
    if kind not in _TOUCHED:
        return None
    first, last, join = _TOUCHED[kind]
    new = f"SELECT {first.format(a='')} AS d0, {last.format(a='')} AS d1 FROM {ACCEPTED}"
    old = (f"SELECT {first.format(a='s.')}, {last.format(a='s.')} "
           f"FROM staging.{kind} s JOIN {ACCEPTED} n ON {join}")
    rows = con.execute(
        f"SELECT min(d0), max(d1) FROM ({new} UNION ALL {old})",
        {"tz": tz} if "$tz" in first else None,
    ).fetchall()
    if not rows or rows[0][0] is None:
        return None
    return rows[0][0], rows[0][1]


def _upsert(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    target = f"staging.{kind}"
    if kind == "events":
        con.execute(f"DELETE FROM {target} s USING {ACCEPTED} n "
                    "WHERE n.event_id IS NOT NULL AND s.event_id = n.event_id")
        same_row = " AND ".join(f"s.{c} IS NOT DISTINCT FROM n.{c}" for c in EVENT_ROW_KEY)
        lo, hi = con.execute(
            f"SELECT min(event_time), max(event_time) FROM {ACCEPTED} WHERE event_id IS NULL"
        ).fetchall()[0]
        if lo is not None:  # the bound time range lets DuckDB skip row groups
            con.execute(
                f"DELETE FROM {target} s USING {ACCEPTED} n WHERE n.event_id IS NULL "
                f"AND s.event_id IS NULL AND {same_row} AND s.event_time BETWEEN $lo AND $hi",
                {"lo": lo, "hi": hi},
            )
    else:
        on = " AND ".join(f"s.{c} = n.{c}" for c in KINDS[kind].key)
        con.execute(f"DELETE FROM {target} s USING {ACCEPTED} n WHERE {on}")
    con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM {ACCEPTED}")
