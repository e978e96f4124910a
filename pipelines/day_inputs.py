"""The staged rows a range of local dates of the day grid depends on, read in DuckDB.

Day D's figures depend on the events from the last one of D - 1 to the first of D + 1
(an active interval is at most ``idle_timeout_seconds`` <= 1 hour long), on appointments
that overlap D (at most 12 hours long), on messages received on D and on time off that
covers D. Local dates lie within 24 hours of the UTC date, so the rows read are those
within two days of [lo, hi] in UTC: a superset, whose extra dates the day grid drops.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import duckdb
import polars as pl

from metrics.categories import CATEGORY, categorize
from metrics.ranges import bounded_range
from pipelines.ingest.staged import staged_tables
from schemas import frames
from schemas.config import Config
from schemas.contract import CATEGORIES

MARGIN = dt.timedelta(days=2)
_LOGINS, _ACTIONS = "_day_logins", "_day_actions"
_OTHER = CATEGORIES.index("other")
_CATEGORY_CODES = pl.Series(range(len(CATEGORIES)), dtype=pl.UInt8)

_TIMED = {  # kind: (schema, instant column, order)
    "schedule": (frames.SCHEDULE, "start_time", "appointment_id"),
    "inbox": (frames.INBOX, "received_time", "message_id, provider_id"),
}


def loaded_range(con: duckdb.DuckDBPyConnection, cfg: Config) -> tuple[dt.date, dt.date] | None:
    """CONTRACT.md section 4: the first local date with an accepted event ..
    ``data_through`` or the last such date (local dates are monotone in the instant, so
    the min and max instants give them); None without events."""
    if "events" not in staged_tables(con):
        return None
    first, last = con.execute("SELECT min(event_time), max(event_time) FROM staging.events"
                              ).fetchall()[0]
    if first is None:
        return None
    tz = ZoneInfo(cfg.timezone)
    return bounded_range(first.astimezone(tz).date(), last.astimezone(tz).date(), cfg)


def _utc_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _window(lo: dt.date, hi: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants [start, end) of the rows local dates [lo, hi] depend on."""
    return _utc_midnight(lo - MARGIN), _utc_midnight(hi + MARGIN + dt.timedelta(days=1))


def staged_for_days(con: duckdb.DuckDBPyConnection, lo: dt.date, hi: dt.date
                    ) -> dict[str, pl.DataFrame]:
    """The dated staged frames (schedule, inbox, time_off, as
    :func:`pipelines.ingest.read_staged` reads them) that the day grid of local dates
    [lo, hi] depends on. The roster and action map are read whole by the caller, the
    events one batch of providers at a time (:class:`EventReader`)."""
    out: dict[str, pl.DataFrame] = {}
    present = staged_tables(con)
    start, end = _window(lo, hi)
    con.execute("SET TimeZone='UTC'")
    for kind, (schema, instant, order) in _TIMED.items():
        if kind not in present:
            out[kind] = frames.empty(schema)
            continue
        out[kind] = con.sql(
            f"SELECT {', '.join(schema)} FROM staging.{kind} "
            f"WHERE {instant} >= ? AND {instant} < ? ORDER BY {order}", params=[start, end]
        ).pl().cast(schema)  # type: ignore[arg-type]
    if "time_off" in present:
        cols = ", ".join(frames.TIME_OFF)
        out["time_off"] = con.sql(
            f"SELECT {cols} FROM staging.time_off WHERE start_date <= ? AND end_date >= ? "
            "ORDER BY provider_id, start_date, type", params=[hi, lo]
        ).pl().cast(frames.TIME_OFF)  # type: ignore[arg-type]
    else:
        out["time_off"] = frames.empty(frames.TIME_OFF)
    return out


class EventReader:
    """The staged events local dates [lo, hi] depend on, read from DuckDB by login,
    joined to their providers and categorized there.

    :meth:`counts` gives the events per login (to pack providers into batches) and
    calling the reader with a list of ``user_id`` gives those logins' events, in no
    particular order, as :func:`metrics.active.provider_instants` takes them: one row per
    event per provider of its login (``provider_id`` as an Enum of the roster's ids,
    ``event_time``, ``category``). The day grid holds one batch of providers' events in
    memory at a time (:func:`metrics.day.provider_day_read`).

    The join and the categories are the in-memory path's exactly
    (:func:`metrics.active.provider_events`): the logins are ``providers``' (user_id,
    provider_id) pairs (an event of a login outside the roster is dropped, one of a login
    shared by two providers counts for both), and each distinct delivered action of the
    window is categorized by :func:`metrics.categories.categorize` against
    ``action_map``, so DuckDB only matches the delivered names exactly. Providers and
    categories travel as small integer codes: reading the login and action names into
    Python and joining them there took about three times as long (docs/performance.md).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, lo: dt.date, hi: dt.date,
                 providers: pl.DataFrame, action_map: pl.DataFrame) -> None:
        self.con = con
        self.present = "events" in staged_tables(con)
        self.params = dict(zip(("start", "end"), _window(lo, hi), strict=True))
        con.execute("SET TimeZone='UTC'")
        ids = sorted(providers.get_column("provider_id").unique().drop_nulls().to_list())
        self.provider = pl.Enum(ids)
        self._ids = pl.Series(ids, dtype=pl.String)
        self._codes = pl.Series(range(len(ids)), dtype=pl.UInt32)
        con.register(_LOGINS, providers.select(
            "user_id",
            pl.col("provider_id").replace_strict(self._ids, self._codes, default=None)
            .alias("provider_code"),
        ).drop_nulls().unique())
        actions = (self.con.sql(
            "SELECT DISTINCT action FROM staging.events WHERE event_time >= $start "
            "AND event_time < $end", params=self.params).pl()
            if self.present else pl.DataFrame(schema={"action": pl.String}))
        con.register(_ACTIONS, categorize(actions.lazy(), action_map.lazy()).select(
            "action", pl.col("category").to_physical().cast(pl.UInt8).alias("category_code"),
        ).collect())

    def counts(self) -> pl.DataFrame:
        """One row per login with events in the window: ``user_id``, ``n``."""
        if not self.present:
            return pl.DataFrame(schema={"user_id": pl.String, "n": pl.UInt32})
        return self.con.sql(
            "SELECT user_id, count(*)::UINTEGER AS n FROM staging.events "
            "WHERE event_time >= $start AND event_time < $end GROUP BY user_id",
            params=self.params,
        ).pl()

    def __call__(self, users: list[str]) -> pl.DataFrame:
        schema = {"provider_id": self.provider, "event_time": frames.EVENTS["event_time"],
                  "category": CATEGORY}
        if not self.present or not users:
            return pl.DataFrame(schema=schema)
        read = self.con.sql(
            "SELECT l.provider_code, e.event_time, a.category_code FROM staging.events e "
            f"JOIN {_LOGINS} l ON l.user_id = e.user_id "
            f"LEFT JOIN {_ACTIONS} a ON a.action = e.action "
            "WHERE e.event_time >= $start AND e.event_time < $end "
            "AND list_contains($users, e.user_id)",
            params={**self.params, "users": users},
        ).pl()
        return read.select(
            pl.col("provider_code").replace_strict(
                self._codes, self._ids, return_dtype=self.provider).alias("provider_id"),
            pl.col("event_time").cast(schema["event_time"]),
            # an action missing from the lookup (none: it holds every distinct action of
            # the window) or a null one is "other", as categorize makes it
            pl.col("category_code").fill_null(_OTHER).replace_strict(
                _CATEGORY_CODES, CATEGORY.categories, return_dtype=CATEGORY)
            .alias("category"),
        )

    def close(self) -> None:
        """Drop the reader's registered lookups from the connection."""
        for name in (_LOGINS, _ACTIONS):
            self.con.unregister(name)
