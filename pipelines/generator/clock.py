"""Local wall-clock time and instants for one IANA time zone, vectorized with numpy.

The generator works on *instants* (int64 seconds since the Unix epoch, UTC) and writes
naive local wall-clock time, as an Epic Clarity extract does. Two conversions are needed:

- :meth:`LocalClock.to_local` turns instants into "local seconds": the naive local reading
  expressed as seconds since 1970-01-01 00:00 as if it were UTC. Every value it returns is a
  local time that exists, so an extract written from instants never holds a time inside the
  spring-forward gap. Times in the repeated fall-back hour are written as they read on the
  wall (the contract reads them as the earlier instant).
- :meth:`LocalClock.to_instant` turns a planned local reading (clinic at 08:00) into an
  instant: the earlier instant when the reading is ambiguous, and a reading inside the
  spring-forward gap is moved forward by the gap (02:30 becomes 03:30).

The transitions of the zone are found once per clock with :mod:`zoneinfo` (a daily scan
and a bisection to the second), so the per-event work is one ``searchsorted``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

EPOCH = dt.date(1970, 1, 1)
DAY = 86_400


def _offset(tz: ZoneInfo, instant: int) -> int:
    """UTC offset in seconds of ``tz`` at ``instant`` (epoch seconds)."""
    moment = dt.datetime.fromtimestamp(instant, tz)
    offset = moment.utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


class LocalClock:
    """Vectorized conversion between instants and local seconds in one time zone.

    Valid for instants between ``first - 3 days`` and ``last + 3 days``; the table of
    transitions covers that span.
    """

    def __init__(self, tz_name: str, first: dt.date, last: dt.date) -> None:
        self.tz_name = tz_name
        tz = ZoneInfo(tz_name)
        lo = ((first - EPOCH).days - 3) * DAY
        hi = ((last - EPOCH).days + 4) * DAY
        times = [lo]
        offsets = [_offset(tz, lo)]
        for day_start in range(lo + DAY, hi + 1, DAY):
            off = _offset(tz, day_start)
            if off == offsets[-1]:
                continue
            # Bisect the transition inside (day_start - DAY, day_start].
            a, b = day_start - DAY, day_start
            while b - a > 1:
                mid = (a + b) // 2
                if _offset(tz, mid) == offsets[-1]:
                    a = mid
                else:
                    b = mid
            times.append(b)
            offsets.append(off)
        self._times = np.asarray(times, dtype=np.int64)
        self._offsets = np.asarray(offsets, dtype=np.int64)

    @property
    def transitions(self) -> list[tuple[int, int]]:
        """(instant, offset after it) pairs; the first pair is the start of the table."""
        return list(zip(self._times.tolist(), self._offsets.tolist(), strict=True))

    def offset_at(self, instants: np.ndarray) -> np.ndarray:
        """UTC offset in seconds at each instant."""
        idx = np.searchsorted(self._times, instants, side="right") - 1
        return self._offsets[np.clip(idx, 0, None)]

    def to_local(self, instants: np.ndarray) -> np.ndarray:
        """Local seconds (naive wall-clock reading as epoch seconds) of each instant."""
        instants = np.asarray(instants, dtype=np.int64)
        return instants + self.offset_at(instants)

    def to_instant(self, local: np.ndarray) -> np.ndarray:
        """The instant of each local reading: earliest when ambiguous, shifted past a gap."""
        local = np.asarray(local, dtype=np.int64)
        best = np.full(local.shape, np.iinfo(np.int64).max, dtype=np.int64)
        for off in np.unique(self._offsets):
            candidate = local - off
            valid = self.to_local(candidate) == local
            best = np.where(valid & (candidate < best), candidate, best)
        gap = best == np.iinfo(np.int64).max
        if gap.any():
            # Inside a spring-forward gap: use the offset in force just before it.
            before = self.offset_at(local[gap] - self._offsets.max())
            best[gap] = local[gap] - before
        return best

    def exists(self, local: np.ndarray) -> np.ndarray:
        """True where the local reading exists (is not inside a spring-forward gap)."""
        local = np.asarray(local, dtype=np.int64)
        return self.to_local(self.to_instant(local)) == local


def date_to_local_seconds(day: dt.date) -> int:
    """Local seconds of midnight starting ``day``."""
    return (day - EPOCH).days * DAY


def us_holidays(first: dt.date, last: dt.date) -> list[dt.date]:
    """Clinic-closing US holidays (observed dates) between ``first`` and ``last``.

    New Year's Day, Memorial Day, Independence Day, Labor Day, Thanksgiving and Christmas:
    the six holidays on which most US ambulatory clinics close. A Saturday holiday is
    observed on the Friday before, a Sunday one on the Monday after.
    """

    def observed(d: dt.date) -> dt.date:
        if d.weekday() == 5:
            return d - dt.timedelta(days=1)
        if d.weekday() == 6:
            return d + dt.timedelta(days=1)
        return d

    def nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
        d = dt.date(year, month, 1)
        d += dt.timedelta(days=(weekday - d.weekday()) % 7)
        return d + dt.timedelta(weeks=n - 1)

    def last_weekday(year: int, month: int, weekday: int) -> dt.date:
        d = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
        return d - dt.timedelta(days=(d.weekday() - weekday) % 7)

    out: list[dt.date] = []
    for year in range(first.year - 1, last.year + 2):
        out += [
            observed(dt.date(year, 1, 1)),
            last_weekday(year, 5, 0),
            observed(dt.date(year, 7, 4)),
            nth_weekday(year, 9, 0, 1),
            nth_weekday(year, 11, 3, 4),
            observed(dt.date(year, 12, 25)),
        ]
    return sorted(d for d in set(out) if first <= d <= last)
