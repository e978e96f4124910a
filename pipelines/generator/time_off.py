"""Time off and the provider-by-day calendar grid.

Vacation is taken in blocks of one or two weeks that run from a Saturday to the Sunday
nine or sixteen days later (five or ten weekdays), typed ``vacation`` (70%) or ``pto``.
Each persona has a yearly list of block lengths (``Persona.vacation_weeks``); over a range
of ``D`` days a provider takes ``round(len(list) * D / 365)`` blocks, cycling the list, one
in each equal segment of the range. The AMA "Value of Feeling Valued" playbook uses more
than three weeks of vacation a year as the healthy mark; US physicians commonly take
about three to four weeks.

Single days: the six clinic-closing US holidays (type ``holiday``) for every provider,
sick days (about three a year, Poisson, type ``sick``) and CME days (about two a year,
type ``cme``), on weekdays that are not already off. There is no clinic on vacation,
holiday and CME days; on a sick day the appointments stay on the schedule as ``bumped``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.generator.clock import date_to_local_seconds, us_holidays
from pipelines.generator.roster import Roster

SICK_DAYS_PER_YEAR = 3.0
CME_DAYS_PER_YEAR = 2.0
PTO_TYPE_SHARE = 0.3


@dataclass(frozen=True)
class DayGrid:
    """Per provider (rows) and day of the range (columns): what kind of day it is."""

    start: dt.date
    weekday: np.ndarray  # (D,) 0 = Monday
    midnight: np.ndarray  # (D,) local seconds of each date's midnight
    active: np.ndarray  # (P, D) inside the provider's range
    vacation: np.ndarray  # (P, D) inside a vacation or pto block (weekends included)
    holiday: np.ndarray  # (P, D)
    sick: np.ndarray  # (P, D)
    cme: np.ndarray  # (P, D)
    clinic: np.ndarray  # (P, D, 2) clinic half-day (AM, PM) on the schedule

    @property
    def days(self) -> int:
        """Number of dates in the range."""
        return len(self.weekday)

    def date(self, index: int) -> dt.date:
        """The date of day ``index``."""
        return self.start + dt.timedelta(days=int(index))

    @property
    def off(self) -> np.ndarray:
        """(P, D) any time off."""
        return self.vacation | self.holiday | self.sick | self.cme

    @property
    def yyyymmdd(self) -> np.ndarray:
        """(D,) dates as integers 20250106."""
        dates = np.datetime64(self.start, "D") + np.arange(self.days)
        years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
        months = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
        mdays = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
        return years * 10_000 + months * 100 + mdays


def _vacation_blocks(
    first: int, days: int, weekday: np.ndarray, weeks: tuple[int, ...], rng: np.random.Generator
) -> list[tuple[int, int]]:
    """(first day, last day) of each vacation block of one provider, day indices."""
    span_days = days - first
    n_blocks = round(len(weeks) * span_days / 365) if weeks else 0
    saturdays = np.flatnonzero(weekday == 5)
    blocks: list[tuple[int, int]] = []
    for i in range(n_blocks):
        length = 7 * weeks[i % len(weeks)] + 2
        lo = first + (span_days * i) // n_blocks
        hi = first + (span_days * (i + 1)) // n_blocks - length
        last_start = days - length
        candidates = saturdays[(saturdays >= lo) & (saturdays <= hi)]
        if not len(candidates):
            candidates = saturdays[(saturdays >= first) & (saturdays <= last_start)]
        if blocks:
            candidates = candidates[candidates > blocks[-1][1]]
        if not len(candidates):
            continue
        s = int(rng.choice(candidates))
        blocks.append((s, s + length - 1))
    return blocks


def _single_days(
    allowed: np.ndarray, rate_per_year: float, span_days: int, rng: np.random.Generator
) -> np.ndarray:
    """Distinct day indices drawn from the ``allowed`` mask at a yearly Poisson rate."""
    pool = np.flatnonzero(allowed)
    k = min(len(pool), int(rng.poisson(rate_per_year * span_days / 365)))
    return np.sort(rng.choice(pool, size=k, replace=False)) if k else pool[:0]


def build_time_off(
    roster: Roster, start: dt.date, days: int, rng: np.random.Generator
) -> tuple[pl.DataFrame, DayGrid]:
    """The time-off extract and the day grid of the range ``start`` .. ``start + days - 1``."""
    n = roster.n
    weekday = (np.arange(days) + start.weekday()) % 7
    midnight = date_to_local_seconds(start) + 86_400 * np.arange(days, dtype=np.int64)
    active = np.arange(days)[None, :] >= roster.first_day[:, None]
    vacation = np.zeros((n, days), dtype=bool)
    holiday = np.zeros((n, days), dtype=bool)
    sick = np.zeros((n, days), dtype=bool)
    cme = np.zeros((n, days), dtype=bool)
    end = start + dt.timedelta(days=days - 1)
    hol_idx = np.array([(d - start).days for d in us_holidays(start, end)], dtype=np.int64)

    rows: list[tuple[int, int, int, str]] = []
    for p in range(n):
        first = int(roster.first_day[p])
        for a, b in _vacation_blocks(first, days, weekday, roster.personas[p].vacation_weeks, rng):
            vacation[p, a : b + 1] = True
            kind = "pto" if rng.random() < PTO_TYPE_SHARE else "vacation"
            rows.append((p, a, b, kind))
        for h in hol_idx[hol_idx >= first]:
            holiday[p, h] = True
            rows.append((p, int(h), int(h), "holiday"))
        weekday_ok = (weekday < 5) & active[p]
        singles = ((sick, SICK_DAYS_PER_YEAR, "sick"), (cme, CME_DAYS_PER_YEAR, "cme"))
        for mask, rate, kind in singles:
            free = weekday_ok & ~vacation[p] & ~holiday[p] & ~sick[p] & ~cme[p]
            for d in _single_days(free, rate, days - first, rng):
                mask[p, d] = True
                rows.append((p, int(d), int(d), kind))

    rows.sort()
    start_np = np.datetime64(start, "D")
    frame = pl.DataFrame(
        {
            "provider_id": [roster.provider_ids[r[0]] for r in rows],
            "start_date": (start_np + np.array([r[1] for r in rows], dtype=np.int64)),
            "end_date": (start_np + np.array([r[2] for r in rows], dtype=np.int64)),
            "type": [r[3] for r in rows],
        },
        schema={
            "provider_id": pl.String,
            "start_date": pl.Date,
            "end_date": pl.Date,
            "type": pl.String,
        },
    )
    closed = vacation | holiday | cme | ~active | (weekday >= 5)[None, :]
    clinic = roster.template[:, np.minimum(weekday, 4), :] & ~closed[:, :, None]
    grid = DayGrid(
        start=start,
        weekday=weekday,
        midnight=midnight,
        active=active,
        vacation=vacation,
        holiday=holiday,
        sick=sick,
        cme=cme,
        clinic=clinic,
    )
    return frame, grid
