"""Finish one extract kind of a delivery in SQL: cross-row checks, dates touched, upsert.

The delivery's new rows of the kind (:class:`pipelines.ingest.newrows.NewRows`) are
checked across rows: rows naming a provider missing from the roster are quarantined
(``unknown_provider``), and so are second rows of a key (``duplicate_key``: the first by
file name, then record number, is kept). The rest are upserted: DELETE the staged rows
with the same key, INSERT the new ones (the newest delivery wins). Events without
``event_id`` are keyed on the whole row.

Only the rows that may be rejected are ranked: a first pass sorts the hashes of (unknown
provider, key) of the new rows and keeps those shared by two rows or more, or held by an
unknown provider's row (:mod:`pipelines.ingest.repeats`); only rows with those hashes
are then ranked by key (a hash collision merely ranks a few more rows, each alone in its
key). The roster is small and is ranked whole, since a login (``user_id``) given to two
providers is quarantined as ``duplicate_key`` on column ``user_id`` (the first provider
is kept; see :data:`_LOGIN_CONFLICTS`). The DELETE is skipped when the staging table is
empty.

Values are always bound as parameters; the identifiers in these statements are constants
of the contract. Results are read with ``fetchall`` (DuckDB 2.0 leaves a ``fetchone``
result open).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from pipelines.ingest.hashing import PATIENT_HASH, PATIENT_ID
from pipelines.ingest.newrows import NEW, NewRows
from pipelines.ingest.repeats import create_repeated
from pipelines.ingest.sqlpath import FIRST_TIME, LOCAL_DATE, ROW_KEY
from pipelines.ingest.tables import REJECTED_ROWS, STAGING, new_row_columns
from schemas.contract import KINDS

RANKED, GROUPS = "_ingest_ranked", "_ingest_groups"
ROSTER_CHECKED = ("schedule", "time_off", "inbox")
EVENT_ROW_KEY = ROW_KEY
#: The whole-row key named as delivered (patient_id, not its staged hash's column): the
#: column a whole-row duplicate's quarantine row names.
DELIVERED_ROW_KEY = tuple(PATIENT_ID if c == PATIENT_HASH else c for c in EVENT_ROW_KEY)
_ROSTER = (" LEFT JOIN (SELECT DISTINCT provider_id AS _rid FROM staging.providers) r"
           " ON n.provider_id = r._rid")


@dataclass
class KindResult:
    """What finishing one kind did."""

    staged: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    dates: tuple[dt.date, dt.date] | None = None
    unrostered_events: int = 0
    unrostered_users: int = 0


@dataclass(frozen=True)
class _Accepted:
    """The new rows to stage: all but the rejected ones of the ranked table."""

    rows: NewRows
    roster: bool  # the roster: the ranked table holds every row
    rejected: bool  # some new row is rejected

    def sql(self, cols: list[str]) -> str:
        listed = ", ".join(cols)
        if self.roster:
            return (f"SELECT {listed} FROM {RANKED} "
                    "WHERE NOT _unknown AND _rn = 1 AND _conflict IS NULL")
        if not self.rejected:
            return self.rows.sql(cols)
        inner = list(dict.fromkeys([*cols, "source_file", "source_record"]))
        return (f"SELECT {listed} FROM ({self.rows.sql(inner)}) n WHERE NOT EXISTS "
                f"(SELECT 1 FROM {RANKED} r WHERE r.source_file = n.source_file "
                "AND r.source_record = n.source_record AND (r._unknown OR r._rn > 1))")


def finish_kind(
    con: duckdb.DuckDBPyConnection, kind: str, delivery_id: str, tz: str, rows: NewRows
) -> KindResult:
    """Check the new rows of ``kind`` across rows and upsert them into staging."""
    if kind == "providers":
        _rank_roster(con, rows)
    else:
        _rank_repeats(con, kind, rows)
    result = KindResult()
    result.quarantined = _quarantine_cross_row(con, kind, delivery_id)
    accepted = _Accepted(rows, kind == "providers", bool(result.quarantined))
    staged_before = _scalar(con, f"SELECT count(*) FROM staging.{kind}")
    result.dates = _dates_touched(con, kind, tz, accepted, staged_before > 0)
    result.staged = _upsert(con, kind, accepted, staged_before > 0)
    if kind == "events":
        sql = (f"SELECT count(*), count(DISTINCT user_id) FROM ({accepted.sql(['user_id'])}) n "
               "WHERE NOT EXISTS (SELECT 1 FROM staging.providers p WHERE p.user_id = n.user_id)")
        found = con.execute(sql, rows.bind(sql)).fetchall()
        result.unrostered_events, result.unrostered_users = found[0] if found else (0, 0)
    for table in (RANKED, GROUPS, NEW):
        con.execute(f"DROP TABLE IF EXISTS {table}")
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


def _key_cols(kind: str) -> list[str]:
    return ["event_id", *EVENT_ROW_KEY] if kind == "events" else list(KINDS[kind].key)


def _rank_repeats(con: duckdb.DuckDBPyConnection, kind: str, rows: NewRows) -> None:
    """Rank the rows that may be rejected (see the module docstring) into ``RANKED``:
    ``_unknown`` (provider not in the roster), ``_rn`` (1 for the first row of a key),
    ``_first_file`` and ``_first_record`` (that first row), ``_conflict`` (NULL)."""
    checked = kind in ROSTER_CHECKED
    roster, unknown = (_ROSTER, "(r._rid IS NULL)") if checked else ("", "FALSE")
    partition = ", ".join([unknown, *_key_sql(kind)])
    needed = list(dict.fromkeys([*_key_cols(kind), *(["provider_id"] if checked else [])]))
    # Without a roster check no row is unknown: only the hashes are sorted (carrying a
    # constant FALSE beside them made DuckDB's sort 60% slower on 30 million events).
    flag = f", {unknown} AS _u" if checked else ""
    hashed = f"SELECT hash({partition}) AS _h{flag} FROM ({rows.sql(needed, True)}) n{roster}"
    repeated = create_repeated(con, GROUPS, hashed, rows.bind(hashed), rows.count,
                               flagged=checked)
    cols = _new_row_names(kind)
    if repeated == 0:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {RANKED} AS SELECT n.*, FALSE AS _unknown, "
            "0::BIGINT AS _rn, NULL::VARCHAR AS _first_file, NULL::BIGINT AS _first_record, "
            f"NULL::VARCHAR AS _conflict FROM {NEW} n WHERE FALSE"
        )
        return
    sql = (
        f"CREATE OR REPLACE TEMP TABLE {RANKED} AS SELECT n.*, {unknown} AS _unknown, "
        "row_number() OVER w AS _rn, first_value(n.source_file) OVER w AS _first_file, "
        "first_value(n.source_record) OVER w AS _first_record, NULL::VARCHAR AS _conflict "
        f"FROM ({rows.sql(cols)}) n{roster} WHERE hash({partition}) IN (SELECT _h FROM {GROUPS}) "
        f"WINDOW w AS (PARTITION BY {partition} ORDER BY n.source_file, n.source_record)"
    )
    con.execute(sql, rows.bind(sql))


def _rank_roster(con: duckdb.DuckDBPyConnection, rows: NewRows) -> None:
    """Rank every new roster row into ``RANKED``, with ``_conflict``: why the row's login
    belongs to another provider (NULL when it does not)."""
    partition = ", ".join(["FALSE", *_key_sql("providers")])
    ranked = f"{RANKED}_0"
    sql = (
        f"CREATE OR REPLACE TEMP TABLE {ranked} AS SELECT n.*, FALSE AS _unknown, "
        "row_number() OVER w AS _rn, first_value(n.source_file) OVER w AS _first_file, "
        "first_value(n.source_record) OVER w AS _first_record "
        f"FROM ({rows.sql(_new_row_names('providers'))}) n WINDOW w AS "
        f"(PARTITION BY {partition} ORDER BY n.source_file, n.source_record)"
    )
    con.execute(sql, rows.bind(sql))
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


def _new_row_names(kind: str) -> list[str]:
    return [c for c, _ in new_row_columns(kind)]


def _record_json(kind: str) -> str:
    """SQL building the staged row as a JSON object (for cross-row rejections)."""
    cols = [c for c in STAGING[kind].column_names if c not in ("file_id", "source_record")]
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
        key_cols = (f"CASE WHEN event_id IS NULL THEN '{', '.join(DELIVERED_ROW_KEY)}' "
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
_TOUCHED: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    # kind: (first-date SQL, last-date SQL, join of the staged rows replaced, columns read);
    # {a}: alias
    "events": ("timezone($tz, {a}event_time)::DATE", "timezone($tz, {a}event_time)::DATE",
               "s.event_id = n.event_id", ("event_time", "event_id")),
    "schedule": ("timezone($tz, {a}start_time)::DATE", "timezone($tz, " + _END + ")::DATE",
                 "s.appointment_id = n.appointment_id",
                 ("start_time", "duration_minutes", "appointment_id")),
    "inbox": ("timezone($tz, {a}received_time)::DATE", "timezone($tz, {a}received_time)::DATE",
              "s.message_id = n.message_id AND s.provider_id = n.provider_id",
              ("received_time", "message_id", "provider_id")),
    "time_off": ("{a}start_date", "{a}end_date", "s.provider_id = n.provider_id AND "
                 "s.start_date = n.start_date AND s.type = n.type",
                 ("start_date", "end_date", "provider_id", "type")),
}


def _dates_touched(
    con: duckdb.DuckDBPyConnection, kind: str, tz: str, accepted: _Accepted, staged: bool
) -> tuple[dt.date, dt.date] | None:
    """Min and max local date of the accepted rows and of the staged rows they replace.

    Rows of the SQL path whose local date is the delivered time's date give it as
    ``_local_date`` (see :mod:`pipelines.ingest.hours`); the others are converted here.
    """
    if kind not in _TOUCHED:
        return None
    first, last, join, cols = _TOUCHED[kind]
    new_first, new_last = first.format(a=""), last.format(a="")
    if kind in FIRST_TIME:
        new_first = f"CASE WHEN {LOCAL_DATE} IS NULL THEN {new_first} ELSE {LOCAL_DATE} END"
        if first == last:
            new_last = new_first
        cols = (*cols, LOCAL_DATE)
    new = (f"SELECT {new_first} AS d0, {new_last} AS d1 "
           f"FROM ({accepted.sql(list(cols))})")
    if staged:
        old = (f"SELECT {first.format(a='s.')}, {last.format(a='s.')} "
               f"FROM staging.{kind} s JOIN ({accepted.sql(list(cols))}) n ON {join}")
        new = f"{new} UNION ALL {old}"
    sql = f"SELECT min(d0), max(d1) FROM ({new})"
    rows = con.execute(sql, accepted.rows.bind(sql, {"tz": tz})).fetchall()
    if not rows or rows[0][0] is None:
        return None
    return rows[0][0], rows[0][1]


def _upsert(
    con: duckdb.DuckDBPyConnection, kind: str, accepted: _Accepted, staged: bool
) -> int:
    """Replace the staged rows with the accepted rows' keys; return the rows inserted."""
    target = f"staging.{kind}"
    bind = accepted.rows.bind
    if staged and kind == "events":
        sql = (f"DELETE FROM {target} s USING ({accepted.sql(['event_id'])}) n "
               "WHERE n.event_id IS NOT NULL AND s.event_id = n.event_id")
        con.execute(sql, bind(sql))
        same_row = " AND ".join(f"s.{c} IS NOT DISTINCT FROM n.{c}" for c in EVENT_ROW_KEY)
        cols = ["event_id", *EVENT_ROW_KEY]
        sql = (f"SELECT min(event_time), max(event_time) FROM ({accepted.sql(cols)}) "
               "WHERE event_id IS NULL")
        lo, hi = con.execute(sql, bind(sql)).fetchall()[0]
        if lo is not None:  # the bound time range lets DuckDB skip row groups
            sql = (f"DELETE FROM {target} s USING ({accepted.sql(cols)}) n "
                   f"WHERE n.event_id IS NULL AND s.event_id IS NULL AND {same_row} "
                   "AND s.event_time BETWEEN $lo AND $hi")
            con.execute(sql, bind(sql, {"lo": lo, "hi": hi}))
    elif staged:
        on = " AND ".join(f"s.{c} = n.{c}" for c in KINDS[kind].key)
        sql = f"DELETE FROM {target} s USING ({accepted.sql(list(KINDS[kind].key))}) n WHERE {on}"
        con.execute(sql, bind(sql))
    sql = (f"INSERT INTO {target} BY NAME "
           f"SELECT * FROM ({accepted.sql(STAGING[kind].column_names)})")
    return _scalar(con, sql, bind(sql))
