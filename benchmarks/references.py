"""Reference implementations the pipeline is measured against (issue 9).

Three references, all over the same generated delivery (Parquet, naive local times in
``America/New_York``), all with the active-time rule of CONTRACT.md section 3 (gap to the
next event ``0 < g <= idle_timeout_seconds`` on instants, credited to the local date of
the interval's start):

- :func:`floor_query`: the floor, ONE bare DuckDB query (``lead`` over ``user_id``
  ordered by instant) giving active minutes per user per local date. No roster join, no
  categories, no midnight split, no schedule: the least work any implementation can do.
- :func:`iterrows_active_wow`: the research-code peer, active minutes and WOW (work
  outside the scheduled window) per provider and date, with a Python loop over sorted
  rows (``DataFrame.iterrows``), as analysis scripts often do it.
- :func:`vectorized_active_wow`: the same in idiomatic vectorized pandas (sort,
  ``groupby().shift``, masks, ``merge``, ``groupby().sum``).

The two pandas references are simpler than the pipeline (no categories, no pajama or
slot minutes, no midnight split, no zero-filled grid), so comparing per event favours
them. Their inputs are in memory (reading Parquet is not timed); their outputs agree with
each other exactly (see ``tests/test_benchmark_smoke.py``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

TZ = "America/New_York"
TIMEOUT_S = 300.0
COUNTED = ("scheduled", "arrived", "completed", "no_show")

FLOOR_SQL = """
WITH e AS (
    SELECT user_id, event_time AS local_time,
           epoch_us(timezone($tz, event_time)) AS t_us
    FROM read_parquet($events)
), g AS (
    SELECT user_id, local_time,
           lead(t_us) OVER (PARTITION BY user_id ORDER BY t_us) - t_us AS gap_us
    FROM e
)
SELECT user_id, local_time::DATE AS date, sum(gap_us) / 60e6 AS active_minutes
FROM g
WHERE gap_us > 0 AND gap_us <= $timeout_us
GROUP BY ALL
"""


def floor_connection(memory_limit: str = "4GB", threads: int = 2) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the warehouse's explicit limits."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET memory_limit = ?", [memory_limit])
    con.execute("SET threads = ?", [threads])
    con.execute("SET enable_progress_bar = false")  # as the pipeline's connections print none
    return con


def floor_query(con: duckdb.DuckDBPyConnection, events: Path | str, tz: str = TZ,
                timeout_s: float = TIMEOUT_S) -> list[tuple]:
    """Active minutes per user per local date, one query over the events Parquet file(s).

    ``events`` may be a glob. Naive local times are read in ``tz`` (``timezone(tz, ts)``
    gives the instant, the earlier one in a repeated hour).
    """
    return con.sql(FLOOR_SQL, params={
        "tz": tz, "events": str(events), "timeout_us": int(timeout_s * 1_000_000),
    }).fetchall()


# --------------------------------------------------------------------------- inputs

def load_subset(folder: Path, n_events: int) -> dict[str, pd.DataFrame]:
    """The first ``n_events`` events in (user_id, event_time) order, with the roster
    logins and the schedule of their providers, as pandas frames (naive local times)."""
    con = duckdb.connect()
    try:
        events = con.sql(
            "SELECT user_id, event_time, action FROM read_parquet($p) "
            "ORDER BY user_id, event_time LIMIT $n",
            params={"p": str(folder / "events.parquet"), "n": int(n_events)},
        ).df()
        logins = con.sql(
            "SELECT DISTINCT user_id, provider_id FROM read_parquet($p)",
            params={"p": str(folder / "providers.parquet")},
        ).df()
        providers = logins[logins["user_id"].isin(events["user_id"].unique())]
        schedule = con.sql(
            "SELECT provider_id, start_time, duration_minutes, status FROM read_parquet($p) "
            "WHERE list_contains($ids, provider_id)",
            params={"p": str(folder / "schedule.parquet"),
                    "ids": sorted(providers["provider_id"].unique().tolist())},
        ).df()
    finally:
        con.close()
    return {"events": events, "logins": logins, "schedule": schedule}


def _to_utc(local: pd.Series, tz: str) -> pd.Series:
    """Naive local wall-clock times to UTC instants (repeated hour: the earlier instant;
    nonexistent: NaT, as the pipeline quarantines them)."""
    earlier = np.ones(len(local), dtype=bool)
    return local.dt.tz_localize(tz, ambiguous=earlier, nonexistent="NaT").dt.tz_convert("UTC")


# --------------------------------------------------------------- iterrows (peer)

def iterrows_active_wow(events: pd.DataFrame, logins: pd.DataFrame, schedule: pd.DataFrame,
                        tz: str = TZ, timeout_s: float = TIMEOUT_S) -> pd.DataFrame:
    """Active and WOW minutes per provider and local date with a loop over rows.

    The scheduled window of a date is [earliest start, latest end) of its counted
    appointments (``wow.window = span``, no buffer); an active interval contributes its
    part outside the window of its start's date (all of it on an unscheduled day).
    """
    provider_of = {}
    for _, row in logins.iterrows():
        provider_of[row["user_id"]] = row["provider_id"]

    windows: dict[tuple[str, dt.date], list] = {}
    for _, row in schedule.iterrows():
        if row["status"] not in COUNTED:
            continue
        start = pd.Timestamp(row["start_time"]).tz_localize(tz, ambiguous=True,
                                                            nonexistent="NaT")
        if start is pd.NaT:
            continue
        end = start + pd.Timedelta(minutes=float(row["duration_minutes"]))
        key = (row["provider_id"], row["start_time"].date())
        w = windows.get(key)
        if w is None:
            windows[key] = [start, end]
        else:
            w[0] = min(w[0], start)
            w[1] = max(w[1], end)

    ev = events.copy()
    ev["provider_id"] = ev["user_id"].map(provider_of)
    ev = ev.dropna(subset=["provider_id"])
    ev["instant"] = _to_utc(ev["event_time"], tz)
    ev = ev.dropna(subset=["instant"]).sort_values(["provider_id", "instant"])

    active: dict[tuple[str, dt.date], float] = {}
    wow: dict[tuple[str, dt.date], float] = {}
    prev = None
    for _, row in ev.iterrows():
        if prev is not None and prev["provider_id"] == row["provider_id"]:
            gap = (row["instant"] - prev["instant"]).total_seconds()
            if 0 < gap <= timeout_s:
                key = (prev["provider_id"], prev["event_time"].date())
                inside = 0.0
                w = windows.get(key)
                if w is not None:
                    lo = max(prev["instant"], w[0])
                    hi = min(row["instant"], w[1])
                    inside = max((hi - lo).total_seconds(), 0.0)
                active[key] = active.get(key, 0.0) + gap / 60
                wow[key] = wow.get(key, 0.0) + (gap - inside) / 60
        prev = row
    out = pd.DataFrame(
        [(p, d, active[(p, d)], wow[(p, d)]) for (p, d) in active],
        columns=["provider_id", "date", "active_minutes", "wow_minutes"],
    )
    return out.sort_values(["provider_id", "date"], ignore_index=True)


# ---------------------------------------------------------- vectorized pandas

def vectorized_active_wow(events: pd.DataFrame, logins: pd.DataFrame, schedule: pd.DataFrame,
                          tz: str = TZ, timeout_s: float = TIMEOUT_S) -> pd.DataFrame:
    """:func:`iterrows_active_wow` in idiomatic vectorized pandas."""
    ev = events[["user_id", "event_time"]].merge(
        logins[["user_id", "provider_id"]], on="user_id", how="inner"
    )
    ev["instant"] = _to_utc(ev["event_time"], tz)
    ev = ev.dropna(subset=["instant"]).sort_values(["provider_id", "instant"],
                                                   ignore_index=True)
    ev["next"] = ev.groupby("provider_id", sort=False)["instant"].shift(-1)
    gap = (ev["next"] - ev["instant"]).dt.total_seconds()
    act = ev[(gap > 0) & (gap <= timeout_s)].copy()
    act["gap"] = gap[act.index]
    act["date"] = act["event_time"].dt.date

    s = schedule[schedule["status"].isin(COUNTED)].copy()
    s["start"] = _to_utc(s["start_time"], tz)
    s = s.dropna(subset=["start"])
    s["end"] = s["start"] + pd.to_timedelta(s["duration_minutes"], unit="m")
    s["date"] = s["start_time"].dt.date
    win = s.groupby(["provider_id", "date"], as_index=False).agg(
        w_start=("start", "min"), w_end=("end", "max")
    )
    act = act.merge(win, on=["provider_id", "date"], how="left")
    lo = act[["instant", "w_start"]].max(axis=1)
    hi = act[["next", "w_end"]].min(axis=1)
    inside = (hi - lo).dt.total_seconds().clip(lower=0).where(act["w_start"].notna(), 0.0)
    act["active_minutes"] = act["gap"] / 60
    act["wow_minutes"] = (act["gap"] - inside) / 60
    out = act.groupby(["provider_id", "date"], as_index=False)[
        ["active_minutes", "wow_minutes"]
    ].sum()
    return out.sort_values(["provider_id", "date"], ignore_index=True)
