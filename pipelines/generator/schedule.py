"""Appointment schedule: half-day clinic sessions of contiguous slots.

A morning session runs four hours from the provider's clinic start (07:30, 08:00 or 08:30)
and the afternoon session four hours from one hour after the morning ends (a one-hour
lunch). Each session is filled with back-to-back slots whose visit type fixes the length:
follow-up 20 min (50%), acute 15 min (17%), extended follow-up 30 min (13%), new patient
40 min (10%), annual physical 40 min (10%), about ten patients a half-day, twenty a full
day, the usual US primary-care panel day. The last slot ends at or before the session end.

Statuses: completed 85.5%, no_show 6.5%, cancelled 7.5% (late cancellations left on the
schedule), bumped 0.5% (provider-initiated). Primary-care no-show rates of 5-10% are
typical of established US practices (the literature range is wide, 5-30%). On a sick day
every appointment of the day is ``bumped``. There are no appointments on weekends, on
vacation, holiday and CME days, or outside the provider's range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.generator.clock import LocalClock
from pipelines.generator.roster import HALF_DAY_MINUTES, LUNCH_MINUTES, Roster
from pipelines.generator.time_off import DayGrid

VISIT_TYPES = ("follow_up", "acute", "extended_follow_up", "new_patient", "annual_physical")
VISIT_MINUTES = np.array([20, 15, 30, 40, 40], dtype=np.int64)
VISIT_WEIGHTS = np.array([0.50, 0.17, 0.13, 0.10, 0.10])

STATUSES = ("completed", "no_show", "cancelled", "bumped")
STATUS_WEIGHTS = np.array([0.855, 0.065, 0.075, 0.005])
COMPLETED, NO_SHOW, CANCELLED, BUMPED = range(4)
#: Statuses that count toward the scheduled window with the default configuration.
COUNTED = (COMPLETED, NO_SHOW)

MAX_SLOTS = HALF_DAY_MINUTES // int(VISIT_MINUTES.min())


@dataclass(frozen=True)
class Schedule:
    """The schedule extract and its slots as arrays (one entry per appointment)."""

    frame: pl.DataFrame
    provider: np.ndarray  # position of the provider
    day: np.ndarray  # day index
    half: np.ndarray  # 0 morning, 1 afternoon
    start_local: np.ndarray  # local seconds of the slot start
    minutes: np.ndarray  # slot length
    status: np.ndarray  # index into STATUSES


def half_day_start_minutes(roster: Roster) -> np.ndarray:
    """(P, 2) minutes after midnight at which the morning and afternoon sessions start."""
    am = roster.clinic_start_min
    return np.stack([am, am + HALF_DAY_MINUTES + LUNCH_MINUTES], axis=1)


def build_schedule(
    roster: Roster, grid: DayGrid, clock: LocalClock, rng: np.random.Generator
) -> Schedule:
    """Fill every clinic half-day of the grid with slots."""
    p, d, h = np.nonzero(grid.clinic)
    n_units = len(p)
    visit = rng.choice(len(VISIT_TYPES), size=(n_units, MAX_SLOTS), p=VISIT_WEIGHTS)
    minutes = VISIT_MINUTES[visit]
    ends = np.cumsum(minutes, axis=1)
    keep = ends <= HALF_DAY_MINUTES
    slot = np.broadcast_to(np.arange(MAX_SLOTS), keep.shape)[keep]
    unit = np.broadcast_to(np.arange(n_units)[:, None], keep.shape)[keep]
    minutes = minutes[keep]
    offset = (ends[keep] - minutes).astype(np.int64)
    visit = visit[keep]
    prov, day, half = p[unit], d[unit], h[unit]
    base = half_day_start_minutes(roster)[prov, half]
    start_local = grid.midnight[day] + (base + offset) * 60
    # Planned clinic times are never in a spring-forward gap; round-trip to be sure.
    start_local = clock.to_local(clock.to_instant(start_local))
    status = rng.choice(len(STATUSES), size=len(prov), p=STATUS_WEIGHTS)
    status[grid.sick[prov, day]] = BUMPED

    order = np.lexsort((start_local, prov))
    prov, day, half, slot = prov[order], day[order], half[order], slot[order]
    start_local, minutes, status, visit = (
        start_local[order], minutes[order], status[order], visit[order]
    )
    ids = grid.yyyymmdd[day] * 1_000_000 + prov * 100 + half * MAX_SLOTS + slot
    frame = pl.DataFrame(
        {
            "appointment_id": pl.Series(ids, dtype=pl.Int64).cast(pl.String),
            "provider_id": pl.Series(roster.provider_ids).gather(prov),
            "start_time": pl.from_epoch(pl.Series(start_local), time_unit="s"),
            "duration_minutes": pl.Series(minutes, dtype=pl.Int64),
            "status": pl.Series(STATUSES).gather(status),
            "visit_type": pl.Series(VISIT_TYPES).gather(visit),
        }
    ).with_columns(appointment_id=pl.lit("A") + pl.col("appointment_id"))
    return Schedule(
        frame=frame,
        provider=prov,
        day=day,
        half=half,
        start_local=start_local,
        minutes=minutes,
        status=status,
    )
