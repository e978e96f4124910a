"""Audit-log events: each session filled with events, vectorized end to end.

Density. ``events_per_workday`` is the mean number of events per clinician-workday over
the whole extract, where a clinician-workday is a provider-day with at least one counted
appointment (a clinic day): events are spread over all sessions (weekend and vacation
sessions included) at one rate per second of session time, chosen so that
``events / clinic days`` equals the target. The default 1,500 is the project's
full-density setting.

Placement. A session of ``L`` seconds gets ``max(Poisson(rate * L), ceil(L / 200) + 1)``
events. The first ``ceil(L / 200) + 1`` are *anchors*: the session start, the session end
and evenly spaced points at most 200 s apart, each interior one jittered by up to 19 s, so
consecutive anchors are at most 239 s apart. The remaining events fall uniformly inside the
session, half of them in bursts 1-5 s after another event (one click writes several
audit rows). Consecutive events of a session are therefore never more than 240 s apart and
the session counts in full as active time under the 300 s idle rule, whatever the
density. The minimum of one event per 200 s of session (18 an hour) is the enforced floor:
below it, ``events_per_workday`` is exceeded rather than gaps widened.

Patients. Events come in runs about five minutes long that share one patient of the
provider's panel (2,000 fake patients per provider, ids ``P`` plus six or more digits);
actions without patient context (login, schedule, reports, in-basket folder, ...) have no
patient id.

Ids. ``event_id`` is ``E`` + local date (``yyyymmdd``) + provider position (4 digits) +
the event's rank within that provider-day (5 digits or more): unique within an extract and
across extracts of disjoint date ranges, so successive deliveries never collide.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.generator.actions import ActionSampler
from pipelines.generator.clock import DAY, LocalClock
from pipelines.generator.sessions import Sessions

ANCHOR_SPACING = 200  # seconds between anchors, at most
ANCHOR_JITTER = 19  # seconds; 200 + 2 * 19 + 1 (rounding) <= 240
BURST_SHARE = 0.5
PANEL_SIZE = 2000
RUN_SECONDS = 300
OFFSET_BITS = 20  # sessions are shorter than 2**20 s


def yyyymmdd(day_numbers: np.ndarray) -> np.ndarray:
    """Dates given as days since 1970-01-01, as integers 20250106."""
    dates = day_numbers.astype("datetime64[D]")
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    months = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    mdays = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    return years * 10_000 + months * 100 + mdays


def event_rate(sessions: Sessions, events_per_workday: float, clinic_days: int) -> float:
    """Events per second of session time that give ``events_per_workday`` on average."""
    total = float(sessions.length.sum())
    if clinic_days <= 0 or total <= 0:
        return events_per_workday / (6 * 3600)
    return events_per_workday * clinic_days / total


def place_events(
    length: np.ndarray, rate: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Session index and offset (s) of every event, sorted by session then offset."""
    n_sess = len(length)
    k = -(-length // ANCHOR_SPACING) + 1
    n = np.maximum(rng.poisson(rate * length), k)
    extras = n - k

    # Anchors: evenly spaced, interior ones jittered.
    a_sess = np.repeat(np.arange(n_sess), k)
    first = np.cumsum(k) - k
    j = np.arange(len(a_sess)) - np.repeat(first, k)
    kk = k[a_sess]
    spacing = length[a_sess] / (kk - 1)
    jitter = rng.uniform(-ANCHOR_JITTER, ANCHOR_JITTER, size=len(a_sess))
    jitter[(j == 0) | (j == kk - 1)] = 0.0
    a_off = np.clip(np.rint(j * spacing + jitter), 0, length[a_sess]).astype(np.int64)

    # Extras: uniform, then half of them moved into bursts after their predecessor.
    e_sess = np.repeat(np.arange(n_sess), extras)
    e_len = length[e_sess]
    e_off = (rng.random(len(e_sess)) * (e_len + 1)).astype(np.int64)
    if len(e_off) > 1:
        prev = np.roll(e_off, 1)
        same = np.roll(e_sess, 1) == e_sess
        same[0] = False
        burst = same & (rng.random(len(e_off)) < BURST_SHARE)
        step = rng.integers(1, 6, size=int(burst.sum()))
        e_off[burst] = np.minimum(prev[burst] + step, e_len[burst])

    keys = np.concatenate(
        [(a_sess << OFFSET_BITS) | a_off, (e_sess << OFFSET_BITS) | e_off]
    )
    del a_sess, a_off, e_sess, e_off, e_len
    keys = pl.Series(keys, dtype=pl.Int64).sort().to_numpy()
    return keys >> OFFSET_BITS, keys & ((1 << OFFSET_BITS) - 1)


def _ranks(group: np.ndarray) -> np.ndarray:
    """0-based rank of each element inside runs of equal consecutive ``group`` values."""
    idx = np.arange(len(group))
    starts = np.ones(len(group), dtype=bool)
    starts[1:] = group[1:] != group[:-1]
    return idx - np.maximum.accumulate(np.where(starts, idx, 0))


def build_events(
    sessions: Sessions,
    clock: LocalClock,
    events_per_workday: float,
    clinic_days: int,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """The events extract: event_id, user_id, event_time (naive local), action, ..."""
    rate = event_rate(sessions, events_per_workday, clinic_days)
    sess, offset = place_events(sessions.length, rate, rng)
    local = clock.to_local(sessions.start[sess] + offset)
    del offset
    provider = sessions.provider[sess]

    sampler = ActionSampler()
    action = sampler.sample(sessions.kind[sess], rng)

    # Patient runs: a new run at each session start and about every RUN_SECONDS.
    n = len(sess)
    new_run = rng.random(n) < 1.0 / max(2.0, rate * RUN_SECONDS)
    if n:
        new_run[0] = True
        new_run[1:] |= sess[1:] != sess[:-1]
    run = np.cumsum(new_run) - 1
    run_provider = provider[new_run]
    run_patient = run_provider * PANEL_SIZE + rng.integers(0, PANEL_SIZE, size=len(run_provider))
    codes, inverse = np.unique(run_patient, return_inverse=True)
    names = [f"P{c + 1:06d}" for c in codes.tolist()] + [None]
    patient = inverse[run]
    patient[sampler.no_patient[action]] = len(codes)
    del run, new_run, inverse

    # Event ids: local date, provider, rank inside the provider-day.
    day = local // DAY
    rank = _ranks(provider * (1 << 32) + day)
    width = max(5, len(str(int(rank.max())))) if n else 5
    if width > 7:  # the integer id would overflow int64
        raise ValueError("too many events per provider-day; lower events_per_workday")
    first_day = int(day.min()) if n else 0
    dates = yyyymmdd(np.arange(first_day, int(day.max()) + 1 if n else 1))
    ids = (dates[day - first_day] * 10_000 + provider) * 10**width + rank

    return pl.DataFrame(
        {
            "event_id": pl.Series(ids, dtype=pl.Int64).cast(pl.String),
            "user_id": pl.Series(sessions.users, dtype=pl.String).gather(sessions.user[sess]),
            "event_time": pl.from_epoch(pl.Series(local, dtype=pl.Int64), time_unit="s"),
            "action": pl.Series(sampler.actions, dtype=pl.String).gather(action),
            "patient_id": pl.Series(names, dtype=pl.String).gather(patient),
            "workstation_id": pl.Series(sessions.workstations, dtype=pl.String).gather(
                sessions.workstation[sess]
            ),
        }
    ).with_columns(event_id=pl.lit("E") + pl.col("event_id"))
