"""Generate one synthetic delivery in memory: roster, time off, schedule, inbox, events.

Every component draws from its own random stream, derived from the seed and a fixed
component number (``numpy.random.SeedSequence([seed, n])``), so the same arguments give
the same frames, and the roster depends only on the seed and the number of providers
(apart from the new hire's start date, eight weeks into the range).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from pipelines.generator.clock import LocalClock
from pipelines.generator.events import build_events
from pipelines.generator.inbox import build_inbox
from pipelines.generator.roster import build_roster
from pipelines.generator.schedule import COUNTED, build_schedule
from pipelines.generator.sessions import build_sessions
from pipelines.generator.time_off import build_time_off

DEFAULT_TIMEZONE = "America/New_York"
STREAMS = {"roster": 1, "time_off": 2, "schedule": 3, "sessions": 4, "events": 5, "inbox": 6}


@dataclass(frozen=True)
class Extract:
    """The five extracts of one delivery, plus the persona of each provider."""

    providers: pl.DataFrame
    schedule: pl.DataFrame
    time_off: pl.DataFrame
    inbox: pl.DataFrame
    events: pl.DataFrame
    personas: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)

    def frames(self) -> dict[str, pl.DataFrame]:
        """The extracts by kind, in the order they are written."""
        return {
            "providers": self.providers,
            "schedule": self.schedule,
            "time_off": self.time_off,
            "inbox": self.inbox,
            "events": self.events,
        }

    def row_counts(self) -> dict[str, int]:
        """Rows per extract kind."""
        return {k: v.height for k, v in self.frames().items()}


def _rng(seed: int, stream: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, STREAMS[stream]]))


def generate_extract(
    providers: int = 14,
    days: int = 400,
    start: dt.date = dt.date(2025, 1, 4),
    seed: int = 0,
    events_per_workday: float = 1500.0,
    timezone: str = DEFAULT_TIMEZONE,
    with_events: bool = True,
) -> Extract:
    """Generate a delivery of ``providers`` clinicians over ``days`` days from ``start``.

    ``events_per_workday`` is the mean number of audit events per clinic day (see
    ``events.py``); ``with_events=False`` skips the events (an empty frame) for quick
    checks of the other extracts. Timestamps are naive local wall-clock time in
    ``timezone``.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    if events_per_workday <= 0:
        raise ValueError("events_per_workday must be positive")
    t0 = time.perf_counter()
    end = start + dt.timedelta(days=days - 1)
    clock = LocalClock(timezone, start, end)
    roster = build_roster(providers, start, days, _rng(seed, "roster"))
    time_off, grid = build_time_off(roster, start, days, _rng(seed, "time_off"))
    schedule = build_schedule(roster, grid, clock, _rng(seed, "schedule"))
    inbox = build_inbox(roster, grid, clock, _rng(seed, "inbox"))
    t1 = time.perf_counter()
    if with_events:
        sessions = build_sessions(roster, grid, schedule, clock, _rng(seed, "sessions"))
        counted = np.isin(schedule.status, COUNTED)
        clinic_days = len(np.unique(schedule.provider[counted] * days + schedule.day[counted]))
        events = build_events(
            sessions, clock, events_per_workday, clinic_days, _rng(seed, "events")
        )
    else:
        events = pl.DataFrame(
            schema={
                "event_id": pl.String,
                "user_id": pl.String,
                "event_time": pl.Datetime("us"),
                "action": pl.String,
                "patient_id": pl.String,
                "workstation_id": pl.String,
            }
        )
    t2 = time.perf_counter()
    return Extract(
        providers=roster.frame,
        schedule=schedule.frame,
        time_off=time_off,
        inbox=inbox,
        events=events,
        personas={pid: p.name for pid, p in zip(roster.provider_ids, roster.personas,
                                                  strict=True)},
        timings={"other_seconds": t1 - t0, "events_seconds": t2 - t1},
    )
