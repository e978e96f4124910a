"""EHR work sessions: when each clinician is logged in and working.

A session is a stretch of continuous EHR activity with a start instant and a length. The
events module fills each session with events no more than 240 seconds apart, so that the
300-second idle rule of CONTRACT.md section 3 counts the whole session as active time,
and sessions of one provider are always more than 300 seconds apart (checked and enforced
by :func:`separate`).

Kinds of session, with the persona parameter that drives each (see ``personas.py``):

- ``pre_clinic``: ends 6-15 minutes before the first appointment of a clinic day;
- ``in_clinic``: one per appointment slot (not on sick days), starting 0-90 s into the slot
  and lasting ``in_clinic_share`` of it when the patient came (about 35% when the slot was
  a no-show or cancellation, time spent on other work), always ending more than 300 s
  before the slot ends; about half of the clinic day is active EHR time, matching the 4.5
  of 8-9 clinic hours in Arndt et al. 2017;
- ``lunch``: on full clinic days, inside the lunch hour;
- ``after_clinic``: starting 6-12 minutes after the last appointment;
- ``evening``: weekday "pajama time", starting 19:00-21:30, ending by 01:30;
- ``admin``: a weekday half-day without clinic (08:30-09:30 or 13:30-14:30 start);
- ``weekend``: Saturdays, Sundays, holidays and CME days, starting 08:00-20:00;
- ``vacation``: vacation days (weekends inside the block included), starting 07:00-21:00.

Lengths are gamma distributed (shape 4, so a coefficient of variation of 0.5) around the
persona's mean, clipped to 0.3-2.5 times it and to at least two minutes. Remote sessions
(evening, weekend, vacation) run on a virtual desktop and, for a provider with two logins,
under the second login.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.generator.clock import DAY, LocalClock
from pipelines.generator.personas import Activity
from pipelines.generator.roster import DEPARTMENTS, HALF_DAY_MINUTES, Roster
from pipelines.generator.schedule import BUMPED, COMPLETED, Schedule, half_day_start_minutes
from pipelines.generator.time_off import DayGrid

KINDS = (
    "pre_clinic",
    "in_clinic",
    "lunch",
    "after_clinic",
    "evening",
    "admin",
    "weekend",
    "vacation",
)
K = {name: i for i, name in enumerate(KINDS)}
REMOTE_KINDS = (K["evening"], K["weekend"], K["vacation"])

IDLE_TIMEOUT = 300  # seconds, CONTRACT.md section 2
MIN_SESSION_GAP = IDLE_TIMEOUT + 1
MIN_SESSION_SECONDS = 60
MAX_SESSION_SECONDS = 10 * 3600
NO_SHOW_SHARE = 0.35
EXAM_ROOMS_PER_DEPARTMENT = 12
VDI_POOL = 64
MINUTE = 60
HOUR = 3600


@dataclass(frozen=True)
class Sessions:
    """Sessions sorted by provider and start; instants are epoch seconds (UTC)."""

    provider: np.ndarray
    start: np.ndarray
    length: np.ndarray
    kind: np.ndarray
    user: np.ndarray  # index into ``users``
    workstation: np.ndarray  # index into ``workstations``
    users: list[str]
    workstations: list[str]

    @property
    def end(self) -> np.ndarray:
        """End instant of each session (the instant of its last event)."""
        return self.start + self.length


def draw_minutes(mean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Session lengths in seconds around ``mean`` minutes (gamma, shape 4, clipped)."""
    mean = np.asarray(mean, dtype=float)
    raw = rng.gamma(4.0, 0.25, size=mean.shape) * mean
    return (np.clip(raw, np.maximum(0.3 * mean, 2.0), 2.5 * mean) * MINUTE).astype(np.int64)


def separate(
    provider: np.ndarray, start: np.ndarray, length: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Trim sessions so that each ends more than 300 s before the provider's next one.

    Input must be sorted by provider and start. Returns the new lengths and a keep mask
    (sessions trimmed below one minute are dropped).
    """
    length = length.copy()
    keep = np.ones(len(start), dtype=bool)
    while True:
        idx = np.flatnonzero(keep)
        if len(idx) < 2:
            break
        a, b = idx[:-1], idx[1:]
        bad = (provider[a] == provider[b]) & (start[b] - (start[a] + length[a]) < MIN_SESSION_GAP)
        if not bad.any():
            break
        a = a[bad]
        length[a] = start[b[bad]] - MIN_SESSION_GAP - start[a]
        keep[a[length[a] < MIN_SESSION_SECONDS]] = False
    return length, keep


def _param(roster: Roster, field: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-provider probability and mean minutes of one persona activity."""
    acts: list[Activity] = [getattr(p, field) for p in roster.personas]
    return np.array([a.prob for a in acts]), np.array([a.minutes for a in acts])


def _uniform_minutes(lo: float, hi: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform offsets in whole seconds between ``lo`` and ``hi`` minutes."""
    return (rng.uniform(lo, hi, size=n) * MINUTE).astype(np.int64)


def build_sessions(
    roster: Roster,
    grid: DayGrid,
    schedule: Schedule,
    clock: LocalClock,
    rng: np.random.Generator,
) -> Sessions:
    """All sessions of the range, from the grid, the schedule and the personas."""
    n_prov, n_days = grid.active.shape
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]] = []  # provider, local, len

    def add(p: np.ndarray, start_local: np.ndarray, length: np.ndarray, kind: str) -> None:
        parts.append((p, start_local.astype(np.int64), length.astype(np.int64), K[kind]))

    def chosen(cells: np.ndarray, field: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cells (p, d) of a boolean mask where the activity happens, and its lengths."""
        prob, mean = _param(roster, field)
        p, d = np.nonzero(cells)
        hit = rng.random(len(p)) < prob[p]
        p, d = p[hit], d[hit]
        return p, d, draw_minutes(mean[p], rng)

    # Clinic windows per provider-day from every attended (not bumped) slot.
    sp, sd = schedule.provider, schedule.day
    live = schedule.status != BUMPED
    flat = sp * n_days + sd
    big = np.iinfo(np.int64).max
    first = np.full(n_prov * n_days, big, dtype=np.int64)
    last = np.full(n_prov * n_days, -big, dtype=np.int64)
    np.minimum.at(first, flat[live], schedule.start_local[live])
    np.maximum.at(last, flat[live], schedule.start_local[live] + schedule.minutes[live] * MINUTE)
    has_window = (first < big).reshape(n_prov, n_days)
    first, last = first.reshape(n_prov, n_days), last.reshape(n_prov, n_days)

    # In clinic: one session per attended slot.
    share = np.array([p.in_clinic_share for p in roster.personas])[sp[live]]
    share = np.where(schedule.status[live] == COMPLETED, share, NO_SHOW_SHARE)
    slot_s = schedule.minutes[live] * MINUTE
    lead = rng.integers(0, 91, size=len(slot_s))
    length = (slot_s * share * rng.uniform(0.8, 1.2, size=len(slot_s))).astype(np.int64)
    length = np.minimum(length, slot_s - lead - MIN_SESSION_GAP)
    add(sp[live], schedule.start_local[live] + lead, length, "in_clinic")

    # Pre-clinic and after-clinic.
    p, d, length = chosen(has_window, "pre_clinic")
    end = first[p, d] - _uniform_minutes(6, 15, len(p), rng)
    begin = np.maximum(end - length, grid.midnight[d] + 5 * HOUR + 30 * MINUTE)
    add(p, begin, end - begin, "pre_clinic")
    p, d, length = chosen(has_window, "after_clinic")
    add(p, last[p, d] + _uniform_minutes(6, 12, len(p), rng), length, "after_clinic")

    # Lunch on full clinic days.
    half_start = half_day_start_minutes(roster)
    p, d, length = chosen(grid.clinic.all(axis=2) & has_window, "lunch")
    begin = grid.midnight[d] + (half_start[p, 0] + HALF_DAY_MINUTES) * MINUTE
    begin = begin + _uniform_minutes(6, 12, len(p), rng)
    latest = grid.midnight[d] + half_start[p, 1] * MINUTE - 6 * MINUTE
    add(p, begin, np.minimum(length, latest - begin), "lunch")

    workday = grid.active & (grid.weekday < 5)[None, :] & ~grid.off
    # Evenings of ordinary weekdays, ending by 01:30.
    p, d, length = chosen(workday, "evening")
    begin = grid.midnight[d] + 19 * HOUR + _uniform_minutes(0, 150, len(p), rng)
    add(p, begin, np.minimum(length, grid.midnight[d] + 25 * HOUR + 30 * MINUTE - begin),
        "evening")

    # Administrative half-days: weekday halves without clinic.
    prob, mean = _param(roster, "admin")
    p, d, h = np.nonzero(workday[:, :, None] & ~grid.clinic)
    hit = rng.random(len(p)) < prob[p]
    p, d, h = p[hit], d[hit], h[hit]
    length = np.minimum(draw_minutes(mean[p], rng), 150 * MINUTE)
    begin = grid.midnight[d] + (8 * HOUR + 30 * MINUTE) + h * 5 * HOUR
    add(p, begin + _uniform_minutes(0, 60, len(p), rng), length, "admin")

    # Weekends, holidays and CME days; vacation days.
    not_working = (grid.weekday >= 5)[None, :] | grid.holiday | grid.cme
    p, d, length = chosen(grid.active & not_working & ~grid.vacation & ~grid.sick, "weekend")
    add(p, grid.midnight[d] + 8 * HOUR + _uniform_minutes(0, 720, len(p), rng), length, "weekend")
    p, d, length = chosen(grid.active & grid.vacation, "vacation")
    add(p, grid.midnight[d] + 7 * HOUR + _uniform_minutes(0, 840, len(p), rng), length,
        "vacation")

    provider = np.concatenate([x[0] for x in parts]).astype(np.int64)
    start_local = np.concatenate([x[1] for x in parts])
    length = np.clip(np.concatenate([x[2] for x in parts]), 0, MAX_SESSION_SECONDS)
    kind = np.concatenate([np.full(len(x[0]), x[3], dtype=np.int8) for x in parts])
    start = clock.to_instant(start_local)
    # Nothing after the last date of the range.
    range_end = clock.to_instant(np.array([grid.midnight[-1] + DAY]))[0]
    length = np.minimum(length, range_end - 1 - start)
    order = np.lexsort((kind, start, provider))
    provider, start, length, kind = provider[order], start[order], length[order], kind[order]
    ok = length >= MIN_SESSION_SECONDS
    provider, start, length, kind = provider[ok], start[ok], length[ok], kind[ok]
    length, keep = separate(provider, start, length)
    provider, start, length, kind = provider[keep], start[keep], length[keep], kind[keep]

    # Logins and workstations.
    users: list[str] = []
    primary = np.empty(n_prov, dtype=np.int64)
    second = np.empty(n_prov, dtype=np.int64)
    for i in range(n_prov):
        primary[i] = len(users)
        users.append(roster.primary_user[i])
        alt = roster.second_user[i]
        second[i] = primary[i]
        if alt is not None:
            second[i] = len(users)
            users.append(alt)
    remote = np.isin(kind, REMOTE_KINDS)
    user = np.where(remote, second[provider], primary[provider])

    codes = [d[1] for d in DEPARTMENTS]
    workstations = [f"{roster.dept_code[i]}-OFC-{i + 1:03d}" for i in range(n_prov)]
    exam_base = len(workstations)
    workstations += [
        f"{c}-EXAM-{k + 1:02d}" for c in codes for k in range(EXAM_ROOMS_PER_DEPARTMENT)
    ]
    vdi_base = len(workstations)
    workstations += [f"VDI-{k + 1:03d}" for k in range(VDI_POOL)]
    dept = np.array([codes.index(c) for c in roster.dept_code], dtype=np.int64)
    exam = exam_base + dept[provider] * EXAM_ROOMS_PER_DEPARTMENT + rng.integers(
        0, EXAM_ROOMS_PER_DEPARTMENT, size=len(provider)
    )
    in_exam = (kind == K["in_clinic"]) & (rng.random(len(provider)) < 0.7)
    workstation = np.where(in_exam, exam, provider)
    workstation = np.where(remote, vdi_base + rng.integers(0, VDI_POOL, len(provider)),
                           workstation)
    return Sessions(
        provider=provider,
        start=start,
        length=length,
        kind=kind,
        user=user,
        workstation=workstation,
        users=users,
        workstations=workstations,
    )
