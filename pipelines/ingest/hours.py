"""Local wall-clock hours and their UTC offsets, exactly as the Polars parsers read them.

The SQL path (:mod:`pipelines.ingest.sqlpath`) turns a naive Parquet time ``t`` into
the instant ``t - offset(hour of t)`` by a join on the hour, instead of converting every
row. An hour gets an offset only when :mod:`pipelines.ingest.parse` would read every
time of it with that one offset: the Polars conversion (``replace_time_zone`` with
``ambiguous="earliest"``, ``non_existent="null"``) is done at each minute of the hour
and at its last microsecond, and all must exist and agree. Hours with a clock change
inside, or in a spring-forward gap, get no offset: their rows take the Polars path.

``icu_same`` tells whether DuckDB's own time-zone data (ICU, used by the SQL that
computes ``dates_touched``) gives back the same local time for those instants, so that
the local date of such a row is simply the date of the delivered time.

Hours are computed once per delivery and kept in a Polars frame that DuckDB scans under
the name :data:`HOURS` (no patient data: only hours and offsets).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

HOURS = "_ingest_hours"
_POINTS_VIEW = "_ingest_hour_points"
_SCHEMA = {"hour": pl.Datetime("us"), "offset_us": pl.Int64, "icu_same": pl.Boolean}
_POINTS = [dt.timedelta(minutes=m) for m in range(60)] + [
    dt.timedelta(hours=1, microseconds=-1)
]
_ICU_SQL = (
    "SELECT hour, bool_and(timezone($tz, make_timestamptz(epoch_us(t) - offset_us)) = t) "
    "AS icu_same FROM _ingest_hour_points GROUP BY hour"
)


class HourOffsets:
    """The offsets of the local hours met so far in one delivery (time zone ``tz``)."""

    def __init__(self, tz: str) -> None:
        self.tz = tz
        self.frame = pl.DataFrame(schema=_SCHEMA)

    def add(self, con: duckdb.DuckDBPyConnection, hours: pl.Series, lo: dt.datetime,
            hi: dt.datetime) -> None:
        """Compute the hours in ``hours`` (naive local) within ``[lo, hi]`` not known yet.

        ``con`` is only read from (a cursor): it checks the offsets against ICU.
        """
        new = (
            hours.drop_nulls().unique().cast(pl.Datetime("us")).alias("hour").to_frame()
            .filter(pl.col("hour").is_between(lo, hi),
                    ~pl.col("hour").is_in(self.frame["hour"].implode()))
        )
        if new.height == 0:
            return
        points = new.join(pl.DataFrame({"step": _POINTS}), how="cross").with_columns(
            t=pl.col("hour") + pl.col("step")
        )
        instant = (
            pl.col("t").dt.replace_time_zone(self.tz, ambiguous="earliest", non_existent="null")
            .dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        )
        points = points.with_columns(
            offset_us=(pl.col("t") - instant).dt.total_microseconds()
        ).select("hour", "t", "offset_us")
        per_hour = points.group_by("hour").agg(
            ok=pl.col("offset_us").null_count() == 0,
            offset_us=pl.col("offset_us").first(),
            distinct=pl.col("offset_us").n_unique(),
        ).filter(pl.col("ok") & (pl.col("distinct") == 1)).select("hour", "offset_us")
        checked = points.join(per_hour.select("hour"), on="hour", how="semi")
        con.register(_POINTS_VIEW, checked)
        try:
            icu = con.sql(_ICU_SQL, params={"tz": self.tz}).pl()
        finally:
            con.unregister(_POINTS_VIEW)
        found = per_hour.join(icu, on="hour", how="left").with_columns(
            pl.col("icu_same").fill_null(False)
        )
        self.frame = pl.concat([self.frame, found.select(list(_SCHEMA)).cast(_SCHEMA)])  # type: ignore[arg-type]

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Make the offsets scannable as :data:`HOURS` on ``con``."""
        con.register(HOURS, self.frame)
