"""Row checks of one extract (CONTRACT.md section 1, "Bad input"), vectorized in Polars.

``validate`` splits a read (and already patient-id-hashed) frame into the rows to stage,
typed as in the ``staging`` tables, and the rejected rows, one per row: the first failing
check in the contract's column order (required columns, then optional ones), each
column's checks in the order missing_value, parse (bad_time, nonexistent_local_time,
bad_number, bad_enum), range (time_out_of_range, duration_out_of_range, fte_out_of_range,
bad_date_range). Checks that need other rows or tables (unknown_provider, duplicate_key)
run later in SQL (see :mod:`pipelines.ingest.store`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import polars as pl

from pipelines.ingest import parse
from pipelines.ingest.hashing import PATIENT_HASH, PATIENT_ID
from pipelines.ingest.read import RECORD
from schemas.config import Config
from schemas.contract import ExtractKind

Check = tuple[pl.Expr, pl.Expr, pl.Expr]  # (condition, reason, detail)

ACTIVITY_TIMES = ("event_time", "received_time")
APPOINTMENT_TIMES = ("start_time",)
VERBATIM = ("action",)  # events keep the delivered action; action_map normalizes it
SHOWN_CHARS = 80


@dataclass(frozen=True)
class Rules:
    """The limits one run checks rows against (derived from the config and run time)."""

    timezone: str
    data_start: dt.date
    earliest: dt.datetime  # local midnight starting data_start, in UTC
    latest_activity: dt.datetime  # run time + 1 day
    latest_appointment: dt.datetime  # run time + 2 years

    @classmethod
    def from_config(cls, cfg: Config, run_time: dt.datetime) -> Rules:
        if run_time.tzinfo is None:
            raise ValueError("run_time must be time-zone aware")
        utc = dt.UTC
        start = dt.datetime.combine(cfg.data_start, dt.time(0), ZoneInfo(cfg.timezone))
        run = run_time.astimezone(utc)
        try:
            two_years = run.replace(year=run.year + 2)
        except ValueError:  # 29 February
            two_years = run.replace(year=run.year + 2, day=28)
        return cls(cfg.timezone, cfg.data_start, start.astimezone(utc),
                   run + dt.timedelta(days=1), two_years)


def staged_name(col: str) -> str:
    """The staging name of a contract column (patient ids are staged as their hash)."""
    return PATIENT_HASH if col == PATIENT_ID else col


def staged_columns(kind: ExtractKind) -> list[str]:
    """The contract columns of ``kind`` as named in staging, in contract order."""
    return [staged_name(c) for c in kind.columns]


def validate(
    frame: pl.DataFrame, kind: ExtractKind, rules: Rules, *, delivery_id: str, source_file: str,
    file_id: int,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return ``(staged, rejected)`` frames for one file (``file_id`` in raw.files).

    ``staged`` has the columns of the delivery's new rows (contract columns, ``extra``
    JSON, ``file_id``, ``source_record`` and ``source_file``); ``rejected`` has the
    quarantine table's columns. Every input row lands in exactly one of them.
    """
    columns = staged_columns(kind)
    extras = [c for c in frame.columns if c not in columns and c != RECORD]
    lf = frame.lazy()
    for col in columns:
        lf = _parse(lf, kind, col, frame.schema[col], rules.timezone)
    per_col = {col: _checks(kind, col, rules) for col in columns}
    per_col = {c: checks for c, checks in per_col.items() if checks}
    lf = lf.with_columns(
        *(pl.coalesce([pl.when(c).then(r) for c, r, _ in ch]).alias(f"__r__{col}")
          for col, ch in per_col.items()),
        *(pl.coalesce([pl.when(c).then(d) for c, _, d in ch]).alias(f"__d__{col}")
          for col, ch in per_col.items()),
    )
    flagged = [(col, pl.col(f"__r__{col}").is_not_null()) for col in per_col]
    lf = lf.with_columns(
        pl.coalesce([pl.lit(None, pl.String), *(pl.col(f"__r__{c}") for c in per_col)])
        .alias("__reason"),
        pl.coalesce([pl.lit(None, pl.String), *(pl.when(f).then(pl.lit(c)) for c, f in flagged)])
        .alias("__column"),
        pl.coalesce([pl.lit(None, pl.String), *(pl.col(f"__d__{c}") for c in per_col)])
        .alias("__detail"),
    )
    checked = lf.collect()
    good = checked.filter(pl.col("__reason").is_null()).select(
        *(pl.col(parse.value_of(c)).alias(c) for c in columns),
        _json(extras).alias("extra"),
        pl.lit(file_id, pl.Int32).alias("file_id"),
        pl.col(RECORD).alias("source_record"),
        pl.lit(source_file).alias("source_file"),
    )
    bad = checked.filter(pl.col("__reason").is_not_null()).select(
        pl.lit(delivery_id).alias("delivery_id"),
        pl.lit(kind.name).alias("kind"),
        pl.lit(source_file).alias("source_file"),
        pl.col(RECORD).alias("record_number"),
        pl.col("__column").alias("column_name"),
        pl.col("__reason").alias("reason"),
        pl.col("__detail").alias("detail"),
        _json([*columns, *extras]).alias("record"),
    )
    return good, bad


def _json(cols: list[str]) -> pl.Expr:
    """The delivered values of ``cols`` as one JSON object of text (null without columns)."""
    if not cols:
        return pl.lit(None, pl.String)
    return pl.struct([pl.col(c).cast(pl.String, strict=False) for c in cols]).struct.json_encode()


def _parse(lf: pl.LazyFrame, kind: ExtractKind, col: str, dtype: pl.DataType, tz: str
           ) -> pl.LazyFrame:
    ctype = kind.types.get(col, "str")
    if col in kind.enums:
        return parse.add_enum(lf, col, kind.enums[col])
    if ctype == "instant":
        return parse.add_instant(lf, col, dtype, tz)
    if ctype == "date":
        return parse.add_date(lf, col, dtype, tz)
    if ctype == "float":
        return parse.add_number(lf, col, dtype)
    if kind.name == "action_map" and col == "action":
        return parse.add_action_key(lf, col)
    return parse.add_text(lf, col, verbatim=col in VERBATIM)


def _shown(col: str) -> pl.Expr:
    return parse.as_text(col).str.slice(0, SHOWN_CHARS)


def _says(col: str, text: str) -> pl.Expr:
    """Detail text ``'<value>' <text>``."""
    return pl.concat_str(pl.lit("'"), _shown(col), pl.lit(f"' {text}"))


def _checks(kind: ExtractKind, col: str, rules: Rules) -> list[Check]:
    """The checks of one column, in the order they are applied."""
    value, status = pl.col(parse.value_of(col)), pl.col(parse.status_of(col))
    checks: list[Check] = []
    if col in kind.required:
        checks.append((parse.is_blank(col), pl.lit("missing_value"),
                       pl.lit("blank value in a required column")))
    ctype = kind.types.get(col, "str")
    if ctype != "str" or col in kind.enums:
        checks.append((status.is_not_null(), status, _status_detail(kind, col, status, rules)))
    for cond, reason, text in _range_rules(col, value, rules):
        checks.append((value.is_not_null() & cond, pl.lit(reason), _says(col, text)))
    if col == "end_date" and "start_date" in kind.columns:
        start = pl.col(parse.value_of("start_date"))
        detail = pl.concat_str(pl.lit("end_date '"), _shown(col),
                               pl.lit("' is before start_date '"), _shown("start_date"),
                               pl.lit("'"))
        checks.append((value.is_not_null() & (value < start).fill_null(False),
                       pl.lit("bad_date_range"), detail))
    return checks


def _status_detail(kind: ExtractKind, col: str, status: pl.Expr, rules: Rules) -> pl.Expr:
    ctype = kind.types.get(col, "str")
    if col in kind.enums:
        return _says(col, "is not one of " + ", ".join(kind.enums[col]))
    if ctype == "float":
        return _says(col, "is not a number")
    if ctype == "date":
        return _says(col, "is not a date (expected YYYY-MM-DD)")
    return (
        pl.when(status == "nonexistent_local_time")
        .then(_says(col, f"does not exist in {rules.timezone} (clocks go forward)"))
        .otherwise(_says(col, "is not a time (expected YYYY-MM-DD HH:MM:SS, optional offset)"))
    )


def _range_rules(col: str, value: pl.Expr, rules: Rules) -> list[tuple[pl.Expr, str, str]]:
    before = f"is before data_start {rules.data_start.isoformat()}"
    rows: dict[str, list[tuple[Callable[[pl.Expr], pl.Expr], str, str]]] = {
        "duration_minutes": [(lambda v: (v < 1) | (v > 720), "duration_out_of_range",
                              "is not in 1..720 minutes")],
        "clinical_fte": [(lambda v: (v <= 0) | (v > 1), "fte_out_of_range", "is not in (0, 1]")],
    }
    for c in ACTIVITY_TIMES:
        rows[c] = [(lambda v: v < rules.earliest, "time_out_of_range", before),
                   (lambda v: v > rules.latest_activity, "time_out_of_range",
                    "is more than 1 day after the run")]
    for c in APPOINTMENT_TIMES:
        rows[c] = [(lambda v: v < rules.earliest, "time_out_of_range", before),
                   (lambda v: v > rules.latest_appointment, "time_out_of_range",
                    "is more than 2 years after the run")]
    return [(test(value), reason, text) for test, reason, text in rows.get(col, [])]
