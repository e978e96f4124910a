"""The SQL path: stage the clean rows of a well-typed Parquet extract straight from DuckDB.

A Parquet file takes this path when its columns are exactly contract columns, named as in
the contract, of types that both readers see alike (text; times as naive or time-zone
aware timestamps in micro- or milliseconds; dates; numbers; see :func:`plan`), and it
has rows. Each row is then *clean* or not, by SQL terms (:meth:`ParquetPart.terms`) that
all hold only where the Polars path (:mod:`pipelines.ingest.read`, ``hashing``,
``validate``) would stage the row with values that plain SQL gives exactly:

- text without leading or trailing white space (so trimming changes nothing), enum
  values already in the contract's spelling, optional text also NULL or empty (NULL);
- times whose local hour has one offset (:mod:`pipelines.ingest.hours`), numbers
  finite, every value in its contract range, end dates not before start dates;
- required values present.

Clean rows are never held in Python: the staging step reads them again from the file
(:meth:`ParquetPart.select`), patient ids hashed in the same statement by the keyed
HMAC of :mod:`pipelines.ingest.hashing` (computed once per distinct id). The record
numbers of the other rows go to the temporary table :data:`SKIP`, and those rows take
the Polars path (read, hashed, checked and quarantined as always), so every rule and
every message stays the Polars path's own.

Reading and checking run on a cursor: any error there (an unreadable value, say) leaves
the delivery's transaction untouched, and the file takes the Polars path, which gives
the usual one-line error. Column names in the SQL are contract constants; the file name,
path, key and limits are bound parameters.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipelines.ingest.hashing import PATIENT_HASH, PATIENT_ID
from pipelines.ingest.hours import HOURS, HourOffsets
from pipelines.ingest.read import RECORD, Extract
from pipelines.ingest.tables import SQL_TYPES
from pipelines.ingest.validate import ACTIVITY_TIMES, APPOINTMENT_TIMES, Rules
from schemas.contract import ExtractKind

#: Whether well-typed Parquet files take the SQL path (tests turn it off to compare).
ENABLED = True
SKIP = "_ingest_skip"
LOCAL_DATE = "_local_date"
#: Kinds whose first time column's local date ``dates_touched`` needs.
FIRST_TIME = {"events": "event_time", "inbox": "received_time", "schedule": "start_time"}
SQL_KINDS = ("providers", "events", "schedule", "time_off", "inbox")  # not action_map
#: The columns keying an event without ``event_id`` (see :mod:`pipelines.ingest.finish`).
ROW_KEY = ("user_id", "event_time", "action", "patient_hash", "workstation_id")

TEXT, NAIVE, AWARE, DATE, NUMBER, ABSENT = "text", "naive", "aware", "date", "number", "absent"
_NUMBERS = (pl.Float64, pl.Float32, pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8,
            pl.UInt16, pl.UInt32)
_DUCKDB_TYPES = {
    TEXT: {"VARCHAR"},
    NAIVE: {"TIMESTAMP"},
    AWARE: {"TIMESTAMP WITH TIME ZONE"},
    DATE: {"DATE"},
    NUMBER: {"DOUBLE", "FLOAT", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT",
             "USMALLINT", "UINTEGER"},
}
# A first or last character that Polars would not trim: printable ASCII, or above U+00A0
# and not Unicode White_Space (the controls, U+0085 and U+00A0 take the Polars path).
_KEPT = ("({u} BETWEEN 33 AND 126 OR ({u} > 160 AND {u} <> 5760 AND {u} NOT BETWEEN 8192 AND "
         "8202 AND {u} <> 8232 AND {u} <> 8233 AND {u} <> 8239 AND {u} <> 8287 AND "
         "{u} <> 12288))")
_RANGES = {"duration_minutes": "{v} >= 1 AND {v} <= 720", "clinical_fte": "{v} > 0 AND {v} <= 1"}
_HMAC_MAP = (
    "(SELECT pid, sha256(unhex($opad) || unhex(sha256(unhex($ipad) || encode(pid)))) AS hash "
    "FROM (SELECT DISTINCT patient_id AS pid FROM read_parquet($path_{i}) "
    "WHERE patient_id <> ''))"
)


def plan(extract: Extract, kind: ExtractKind) -> dict[str, str] | None:
    """Each contract column's class (TEXT, NAIVE, ...), or None for the Polars path."""
    f = extract.file
    if (not f.is_parquet or kind.name not in SQL_KINDS or extract.renamed or extract.extras
            or not set(extract.types) <= set(kind.columns)):
        return None
    classes: dict[str, str] = {}
    for col in kind.columns:
        dtype = extract.types.get(col)
        cls = ABSENT if dtype is None else _class(kind.types[col], dtype)
        if cls is None:
            return None
        classes[col] = cls
    return classes


def _class(ctype: str, dtype: pl.DataType) -> str | None:
    if ctype == "str":
        return TEXT if dtype == pl.String else None
    if ctype == "instant" and isinstance(dtype, pl.Datetime) and dtype.time_unit in ("us", "ms"):
        return AWARE if dtype.time_zone else NAIVE
    if ctype == "date":
        return DATE if dtype == pl.Date else None
    if ctype == "float":
        return NUMBER if dtype in _NUMBERS else None
    return None


def _trimmed(c: str) -> str:
    """SQL: the text value starts and ends with a character that is not white space."""
    first, last = _KEPT.format(u=f"unicode({c})"), _KEPT.format(u=f"unicode({c}[-1])")
    return f"({first} AND {last})"


def _literal(text: str) -> str:
    """A SQL string literal of a contract constant (an enum value; never input data)."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class ParquetPart:
    """One Parquet file on the SQL path: index ``i`` names its bound parameters."""

    i: int
    kind: ExtractKind
    path: Path
    name: str
    classes: dict[str, str]
    rows: int
    skipped: int
    #: The file's number in raw.files (``file_id`` of its staged rows).
    file_id: int
    #: Events only: every row has an ``event_id`` (by the file's statistics), so the
    #: whole-row key (:data:`ROW_KEY`) of every row is NULL.
    ids_present: bool = False

    @property
    def params(self) -> dict[str, object]:
        return {f"path_{self.i}": str(self.path), f"file_{self.i}": self.name,
                f"part_{self.i}": self.i, f"fileid_{self.i}": self.file_id}

    def _src(self, col: str) -> str:
        return f"src.{col}"

    def value(self, col: str) -> str:
        """SQL of the staged value of contract column ``col`` (by its staging name)."""
        cls = self.classes["patient_id" if col == PATIENT_HASH else col]
        if cls == ABSENT:
            return f"NULL::{_sql_type(self.kind, col)}"
        if col == PATIENT_HASH:
            return "ph.hash"
        c = self._src(col)
        if cls == TEXT:
            return c if col in self.kind.required else f"NULLIF({c}, '')"
        if cls == NAIVE:
            return f"make_timestamptz(epoch_us({c}) - h_{col}.offset_us)"
        if cls == NUMBER:
            return f"CAST({c} AS DOUBLE)"
        return c  # AWARE, DATE

    def terms(self) -> tuple[list[str], list[str]]:
        """The terms of the clean predicate (see the module docstring), in two lists.

        The first holds one term per column that reads that column alone (text, enum,
        number, time-zone aware time, date). Such a term is never NULL: a missing value
        gives TRUE or FALSE by the column's ``IS NULL`` test and any other value TRUE or
        FALSE, so ``NOT term`` selects exactly the rows it rejects. The second holds the
        terms that need the hour offsets' joins (naive times) or two columns (the end
        date not before the start date); these may be NULL and are read through CASE.
        """
        alone: list[str] = []
        joined: list[str] = []
        for col, cls in self.classes.items():
            if cls == ABSENT:
                continue
            c, v = self._src(col), self.value(staged(col))
            required = col in self.kind.required
            if col in self.kind.enums:
                allowed = ", ".join(_literal(x) for x in self.kind.enums[col])
                ok = f"{c} IN ({allowed})"
            elif cls == TEXT:
                ok = _trimmed(c) if required else f"({c} = '' OR {_trimmed(c)})"
            elif cls == NAIVE:
                ok = f"h_{col}.offset_us IS NOT NULL"
            elif cls == NUMBER:
                ok = f"isfinite({v})"
            else:
                ok = "TRUE"
            ok += _range(col, v)
            term = (f"({c} IS NOT NULL AND {ok})" if required
                    else f"({c} IS NULL OR ({ok}))")
            (joined if cls == NAIVE else alone).append(term)
        if self.classes.get("end_date") == DATE and self.classes.get("start_date") == DATE:
            joined.append("NOT coalesce(src.end_date < src.start_date, FALSE)")
        return alone, joined

    def unclean(self) -> str:
        """SQL of the sorted record numbers of the rows that are not clean.

        One scan per column term (:meth:`terms`): DuckDB evaluates ``NOT term`` inside
        the Parquet scan, once per dictionary entry of a dictionary-encoded column, where
        the same test inside one predicate over every column runs on every row (30
        million events: 1.9 s against 3.0 s, docs/performance.md); one more scan with the
        joins for the other terms, read through CASE so that NULL counts as not clean
        (CASE, not coalesce: its condition short-circuits row by row). The scans' record
        numbers are united.
        """
        alone, joined = self.terms()
        record = f"src.file_row_number + 1 AS {RECORD}"
        scans = [f"SELECT {record} FROM {self.source()} WHERE NOT {term}" for term in alone]
        if joined:
            scans.append(f"SELECT {record} FROM {self.source()}{self.joins(list(self.classes))} "
                         f"WHERE CASE WHEN {' AND '.join(joined)} THEN FALSE ELSE TRUE END")
        return f"SELECT {RECORD} FROM ({' UNION '.join(scans)}) ORDER BY {RECORD}"

    def joins(self, cols: list[str]) -> str:
        """The joins the values of ``cols`` need: hour offsets, patient id hashes."""
        out = [f" LEFT JOIN {HOURS} h_{col} ON h_{col}.hour = date_trunc('hour', src.{col})"
               for col, cls in self.classes.items() if cls == NAIVE and self._needs(col, cols)]
        if PATIENT_HASH in cols and self.classes.get(PATIENT_ID) == TEXT:
            out.append(f" LEFT JOIN {_HMAC_MAP.format(i=self.i)} ph ON ph.pid = src.patient_id")
        return "".join(out)

    def _needs(self, col: str, cols: list[str]) -> bool:
        return col in cols or (LOCAL_DATE in cols and col == FIRST_TIME.get(self.kind.name))

    def source(self) -> str:
        return f"read_parquet($path_{self.i}, file_row_number = true) src"

    def select(self, cols: list[str], keys_only: bool = False) -> str:
        """SQL selecting the staged columns ``cols`` of the file's clean rows.

        With ``keys_only`` (the statement only computes event keys), the whole-row key
        columns are NULL when every row has an ``event_id``: they key no row then.
        """
        nulls = ROW_KEY if keys_only and self.ids_present else ()
        exprs = [f"NULL::{_sql_type(self.kind, c)} AS {c}" if c in nulls
                 else f"{self._expr(c)} AS {c}" for c in cols]
        joined = [c for c in cols if c not in nulls]
        sql = f"SELECT {', '.join(exprs)} FROM {self.source()}{self.joins(joined)}"
        if self.skipped:
            sql += (f" WHERE src.file_row_number + 1 NOT IN "
                    f"(SELECT record FROM {SKIP} WHERE part = $part_{self.i})")
        return sql

    def _expr(self, col: str) -> str:
        if col == "extra":
            return "NULL::VARCHAR"
        if col == "file_id":
            return f"$fileid_{self.i}::INTEGER"
        if col == "source_file":
            return f"$file_{self.i}"
        if col == "source_record":
            return "src.file_row_number + 1"
        if col == LOCAL_DATE:
            first = FIRST_TIME.get(self.kind.name)
            if first is None or self.classes[first] != NAIVE:
                return "NULL::DATE"
            return f"CASE WHEN h_{first}.icu_same THEN CAST(src.{first} AS DATE) END"
        return self.value(col)


def _sql_type(kind: ExtractKind, col: str) -> str:
    return SQL_TYPES[kind.types["patient_id" if col == PATIENT_HASH else col]]


def staged(col: str) -> str:
    return PATIENT_HASH if col == PATIENT_ID else col


def _range(col: str, v: str) -> str:
    if col in _RANGES:
        return " AND " + _RANGES[col].format(v=v)
    if col in ACTIVITY_TIMES:
        return f" AND {v} >= $earliest AND {v} <= $latest_activity"
    if col in APPOINTMENT_TIMES:
        return f" AND {v} >= $earliest AND {v} <= $latest_appointment"
    return ""


def open_part(cur: duckdb.DuckDBPyConnection, extract: Extract, kind: ExtractKind, i: int,
              rules: Rules, hours: HourOffsets, *, file_id: int
              ) -> tuple[ParquetPart, pl.Series] | None:
    """Plan and check one file on cursor ``cur``: the part and its unclean record numbers
    (``file_id``: the file's number in raw.files).

    None when the file takes the Polars path (its types, or an error reading it).
    """
    classes = plan(extract, kind)
    if classes is None:
        return None
    f = extract.file
    part = ParquetPart(i, kind, f.path, f.name, classes, 0, 0, file_id)
    try:
        described = cur.execute("DESCRIBE SELECT * FROM read_parquet($path)",
                                {"path": str(f.path)}).fetchall()
        types = {r[0]: r[1] for r in described}
        if set(types) != set(extract.types) or any(
                types[c] not in _DUCKDB_TYPES[classes[c]] for c in types):
            return None
        lo = rules.earliest.replace(tzinfo=None) - dt.timedelta(days=2)
        hi = rules.latest_appointment.replace(tzinfo=None) + dt.timedelta(days=2)
        for col, cls in classes.items():
            if cls == NAIVE:
                hours.add(cur, _hours_of(cur, f.path, col, lo, hi), lo, hi)
        hours.register(cur)
        params = {**part.params, "earliest": rules.earliest,
                  "latest_activity": rules.latest_activity,
                  "latest_appointment": rules.latest_appointment}
        sql = part.unclean()
        unclean = cur.sql(sql, params=used(sql, params)).pl()[RECORD]
        rows = int(cur.execute("SELECT count(*) FROM read_parquet($path)",
                               {"path": str(f.path)}).fetchall()[0][0])
    except (duckdb.Error, pl.exceptions.PolarsError):
        return None
    part = ParquetPart(i, kind, f.path, f.name, classes, rows, unclean.len(), file_id,
                       _ids_present(cur, f.path, classes))
    return part, unclean.cast(pl.Int64)


#: Most hours :func:`_hours_of` takes from a file's statistics (two years and a bit).
MAX_STATS_HOURS = 20_000


def _hours_of(cur: duckdb.DuckDBPyConnection, path: Path, col: str, lo: dt.datetime,
              hi: dt.datetime) -> pl.Series:
    """The local hours (naive) that the times of ``col`` may fall in, within [lo, hi].

    Every hour from the file's smallest to its largest time when its Parquet statistics
    give both for every row group and that span, clipped to [lo, hi], holds at most
    :data:`MAX_STATS_HOURS` hours: a superset of the hours present, read from the file's
    footer (30 million events: 0.01 s against 0.3 s for the scan; the offsets of the
    extra hours cost less than that, docs/performance.md). Otherwise the distinct hours
    of the times, by a scan of the column.
    """
    try:
        rows = cur.execute(
            "SELECT min(stats_min_value::TIMESTAMP), max(stats_max_value::TIMESTAMP), "
            "count(*) FILTER (WHERE stats_min_value IS NULL OR stats_max_value IS NULL) "
            "FROM parquet_metadata($path) WHERE path_in_schema = $col",
            {"path": str(path), "col": col}).fetchall()
    except duckdb.Error:
        rows = []
    if rows and rows[0][0] is not None and rows[0][1] is not None and rows[0][2] == 0:
        first = max(rows[0][0], lo).replace(minute=0, second=0, microsecond=0)
        last = min(rows[0][1], hi)
        if first > last:
            return pl.Series("hour", [], pl.Datetime("us"))
        if (last - first) // dt.timedelta(hours=1) < MAX_STATS_HOURS:
            return pl.datetime_range(first, last, "1h", time_unit="us",
                                     eager=True).alias("hour")
    found = cur.sql(f"SELECT DISTINCT date_trunc('hour', {col}) AS hour "
                    "FROM read_parquet($path)", params={"path": str(path)}).pl()
    return found["hour"]


def _ids_present(cur: duckdb.DuckDBPyConnection, path: Path, classes: dict[str, str]) -> bool:
    """True when the file's statistics show an ``event_id`` (not NULL, not empty) in
    every row; False when they do not, or cannot (no statistics)."""
    if classes.get("event_id") != TEXT:
        return False
    try:
        rows = cur.execute(
            "SELECT coalesce(bool_and(stats_null_count = 0 AND stats_min_value <> ''), FALSE) "
            "FROM parquet_metadata($path) WHERE path_in_schema = 'event_id'",
            {"path": str(path)}).fetchall()
    except duckdb.Error:
        return False
    return bool(rows and rows[0][0])


def used(sql: str, params: dict[str, object]) -> dict[str, object]:
    """The parameters that ``sql`` uses (DuckDB rejects unused named parameters)."""
    names = set(_PARAM.findall(sql))
    return {k: v for k, v in params.items() if k in names}


_PARAM = re.compile(r"\$(\w+)")
