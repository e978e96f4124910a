"""In-basket messages: volume, arrival times, types and who completed them.

Volume. A provider receives ``Persona.inbox_per_week * (0.5 + 0.5 * clinical_fte)``
messages a week (see ``personas.py`` for the calibration), spread over the week with
weights Mon 1.25, Tue 1.1, Wed 1.05, Thu 1.0, Fri 0.95, Sat 0.35, Sun 0.3 (results and
patient messages pile up at the start of the week), Poisson per day. On vacation days the
rate is 60% (patients and the care team are told; results of earlier orders still
arrive), on holidays 50%.

Arrival. Weekdays peak 08:00-17:00 with about 15% of messages in the evening and 5%
overnight (automatically released results); weekends are flatter. Times are drawn as
local readings, turned into instants and written back from the instants, so none falls in
the spring-forward gap.

Types: result 32%, patient_message 24%, system 15%, rx_request 14%, staff 10%, other 5%.

Completion. Median delay by type (result 6 h, patient message 8 h, refill request 4 h,
system 2 h, staff 6 h, other 8 h; log-normal, sigma 1, at most seven days). A message whose
completion would fall after the end of the range is still open: ``completed_time`` and
``completed_by`` are empty. ``completed_by`` is the provider's own login (the second login
for a third of the two-login provider's messages) 95% of the time on working days, a
covering colleague's otherwise; on days off (vacation, holiday, sick, CME) the covering
colleague completes it except for the persona's ``pto_self_share``: zero for
``balanced`` (full coverage), 40% for ``vacation_worker``.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.generator.clock import DAY, LocalClock
from pipelines.generator.roster import Roster
from pipelines.generator.time_off import DayGrid

WEEKDAY_WEIGHTS = np.array([1.25, 1.1, 1.05, 1.0, 0.95, 0.35, 0.3])
VACATION_FACTOR = 0.6
HOLIDAY_FACTOR = 0.5
WORKDAY_SELF_SHARE = 0.95
SECOND_LOGIN_SHARE = 1 / 3
MAX_DELAY_HOURS = 7 * 24

MESSAGE_TYPES = ("result", "patient_message", "system", "rx_request", "staff", "other")
TYPE_WEIGHTS = np.array([0.32, 0.24, 0.15, 0.14, 0.10, 0.05])
MEDIAN_DELAY_HOURS = np.array([6.0, 8.0, 2.0, 4.0, 6.0, 8.0])

HOURS_WEEKDAY = np.array(
    [0.3, 0.2, 0.2, 0.2, 0.3, 0.6, 1.5, 3.5, 6.5, 7.5, 7.5, 7.0,
     6.0, 6.5, 7.0, 7.0, 6.5, 5.5, 4.0, 3.0, 2.2, 1.6, 1.0, 0.6]
)
HOURS_WEEKEND = np.array(
    [0.3, 0.2, 0.2, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 4.0, 4.5, 4.5,
     4.5, 4.5, 4.3, 4.0, 3.8, 3.5, 3.2, 3.0, 2.5, 2.0, 1.2, 0.6]
)


def weekly_rate(roster: Roster) -> np.ndarray:
    """(P,) expected messages per ordinary week of each provider."""
    base = np.array([p.inbox_per_week for p in roster.personas])
    return base * (0.5 + 0.5 * roster.fte)


def build_inbox(
    roster: Roster, grid: DayGrid, clock: LocalClock, rng: np.random.Generator
) -> pl.DataFrame:
    """The inbox extract of the range."""
    daily = weekly_rate(roster)[:, None] * (WEEKDAY_WEIGHTS / WEEKDAY_WEIGHTS.sum())[grid.weekday]
    daily = daily * np.where(grid.vacation, VACATION_FACTOR, 1.0)
    daily = daily * np.where(grid.holiday & ~grid.vacation, HOLIDAY_FACTOR, 1.0)
    daily = np.where(grid.active, daily, 0.0)
    counts = rng.poisson(daily)
    p, d = np.nonzero(counts)
    c = counts[p, d]
    p, d = np.repeat(p, c), np.repeat(d, c)
    n = len(p)

    weekend = grid.weekday[d] >= 5
    hour = np.where(
        weekend,
        rng.choice(24, size=n, p=HOURS_WEEKEND / HOURS_WEEKEND.sum()),
        rng.choice(24, size=n, p=HOURS_WEEKDAY / HOURS_WEEKDAY.sum()),
    )
    local = grid.midnight[d] + hour * 3600 + rng.integers(0, 3600, size=n)
    received = clock.to_instant(local)
    mtype = rng.choice(len(MESSAGE_TYPES), size=n, p=TYPE_WEIGHTS)
    delay = MEDIAN_DELAY_HOURS[mtype] * np.exp(rng.normal(0.0, 1.0, size=n))
    completed = received + (np.minimum(delay, MAX_DELAY_HOURS) * 3600).astype(np.int64)
    range_end = clock.to_instant(np.array([grid.midnight[-1] + DAY]))[0] if n else 0
    open_ = completed >= range_end

    off = grid.off[p, d]
    self_share = np.array([x.pto_self_share for x in roster.personas])[p]
    by_self = rng.random(n) < np.where(off, self_share, WORKDAY_SELF_SHARE)
    users = roster.primary_user + [u or "" for u in roster.second_user]
    own = p.copy()
    has_second = np.array([u is not None for u in roster.second_user])[p]
    use_second = has_second & (rng.random(n) < SECOND_LOGIN_SHARE)
    own[use_second] += roster.n
    by = np.where(by_self, own, roster.cover[p])
    users_null = [*users, None]
    by[open_] = len(users)

    # Sort by provider and received instant; message ids carry the local date.
    order = np.lexsort((received, p))
    p, d, received, completed, mtype, by, open_ = (
        p[order], d[order], received[order], completed[order], mtype[order], by[order],
        open_[order],
    )
    rec_local = clock.to_local(received)
    comp_local = clock.to_local(completed)
    group = p * (1 << 32) + d
    idx = np.arange(n)
    starts = np.ones(n, dtype=bool)
    starts[1:] = group[1:] != group[:-1]
    rank = idx - np.maximum.accumulate(np.where(starts, idx, 0))
    width = max(4, len(str(int(rank.max())))) if n else 4
    ids = (grid.yyyymmdd[d] * 10_000 + p) * 10**width + rank

    return pl.DataFrame(
        {
            "message_id": pl.Series(ids, dtype=pl.Int64).cast(pl.String),
            "provider_id": pl.Series(roster.provider_ids, dtype=pl.String).gather(p),
            "received_time": pl.from_epoch(pl.Series(rec_local, dtype=pl.Int64), time_unit="s"),
            "message_type": pl.Series(MESSAGE_TYPES, dtype=pl.String).gather(mtype),
            "completed_time": pl.from_epoch(pl.Series(comp_local, dtype=pl.Int64), time_unit="s"),
            "completed_by": pl.Series(users_null, dtype=pl.String).gather(by),
        }
    ).with_columns(
        message_id=pl.lit("M") + pl.col("message_id"),
        completed_time=pl.when(pl.Series(open_)).then(None).otherwise(pl.col("completed_time")),
    )
