"""Property tests of the provider-day engine (CONTRACT.md sections 3 and 4).

Random event streams (around both daylight-saving changes and an ordinary week),
random appointments and random metric settings; the invariants hold for all of them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from zoneinfo import ZoneInfo

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

try:
    from metric_fixtures import (
        CATEGORY_COLUMNS,
        CHART,
        INBOX,
        NOTE,
        ORDER,
        RX,
        UNMAPPED,
        cfg,
        events_utc,
        prov,
        roster,
        run_day,
    )
except ImportError:  # tests/ is a package
    from tests.metric_fixtures import (
        CATEGORY_COLUMNS,
        CHART,
        INBOX,
        NOTE,
        ORDER,
        RX,
        UNMAPPED,
        cfg,
        events_utc,
        prov,
        roster,
        run_day,
    )

NY = ZoneInfo("America/New_York")
TOL = 1e-6
ACTIONS = (NOTE, ORDER, RX, INBOX, CHART, UNMAPPED, "  order LIST changed ")
USERS = ("p1a", "p1b", "p2", "stranger")  # P1 has two logins; "stranger" is not in the roster
PROVIDER_OF = {"p1a": "P1", "p1b": "P1", "p2": "P2"}
# spring forward on 2026-03-08, fall back on 2026-11-01, and an ordinary week
BASE_DATES = (dt.date(2026, 3, 8), dt.date(2026, 11, 1), dt.date(2026, 3, 7), dt.date(2026, 3, 2))
STATUSES = ("scheduled", "arrived", "completed", "no_show", "cancelled", "bumped")

PROVS = roster(prov("P1", users=["p1a", "p1b"], fte=0.8), prov("P2", users=["p2"]))

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

gaps = st.one_of(
    st.sampled_from([0, 1, 59, 60, 61, 299, 300, 301]),
    st.integers(0, 900),
    st.integers(0, 30_000),
)
event_steps = st.lists(
    st.tuples(gaps, st.integers(0, len(USERS) - 1), st.integers(0, len(ACTIONS) - 1)),
    min_size=1,
    max_size=60,
)
appointments = st.lists(
    st.tuples(
        st.integers(0, 1),  # provider
        st.integers(-12 * 12, 3 * 24 * 12),  # start, in 5-minute steps from the base midnight
        st.integers(1, 144).map(lambda k: 5 * k),  # duration 5..720 minutes
        st.sampled_from(STATUSES),
    ),
    max_size=8,
)
configs = st.fixed_dictionaries(
    {
        "idle_timeout_seconds": st.sampled_from([60, 300]),
        "wow": st.fixed_dictionaries(
            {
                "window": st.sampled_from(["span", "slots"]),
                "buffer_minutes": st.sampled_from([0, 30]),
            }
        ),
        "pajama": st.fixed_dictionaries({"weekends": st.booleans()}),
    }
)


def _local_midnight_utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=NY).astimezone(dt.UTC)


def _wall_minutes(day: dt.date) -> float:
    a = _local_midnight_utc(day)
    b = _local_midnight_utc(day + dt.timedelta(days=1))
    return (b - a).total_seconds() / 60


def _build(base_idx, steps, appts):
    # the stream starts one real hour after local midnight (01:00 wall time), so dense
    # streams cross the 02:00 daylight-saving transition
    base = _local_midnight_utc(BASE_DATES[base_idx]) + dt.timedelta(hours=1)
    t = base
    rows = []
    for gap, u, a in steps:
        t = t + dt.timedelta(seconds=gap)
        rows.append((USERS[u], t, ACTIONS[a]))
    midnight = _local_midnight_utc(BASE_DATES[base_idx])
    sched_rows = [
        {
            "appointment_id": f"A{i}",
            "provider_id": ("P1", "P2")[p],
            "start_time": (midnight + dt.timedelta(minutes=5 * s)).replace(tzinfo=None),
            "duration_minutes": float(m),
            "status": status,
        }
        for i, (p, s, m, status) in enumerate(appts)
    ]
    sched = pl.DataFrame(
        sched_rows,
        schema={
            "appointment_id": pl.String,
            "provider_id": pl.String,
            "start_time": pl.Datetime("us"),
            "duration_minutes": pl.Float64,
            "status": pl.String,
        },
    ).with_columns(pl.col("start_time").dt.replace_time_zone("UTC"))
    return rows, events_utc(rows), sched


def _direct_active_minutes(rows, timeout):
    """Sum of gaps 0 < g <= timeout between consecutive distinct instants, per provider."""
    by_provider = defaultdict(set)
    for user, t, _ in rows:
        if user in PROVIDER_OF:
            by_provider[PROVIDER_OF[user]].add(t)
    out = {}
    for pid, instants in by_provider.items():
        ts = sorted(instants)
        total = 0.0
        for a, b in zip(ts, ts[1:], strict=False):
            g = (b - a).total_seconds()
            if 0 < g <= timeout:
                total += g
        out[pid] = total / 60
    return out


@SETTINGS
@given(st.integers(0, len(BASE_DATES) - 1), event_steps, appointments, configs)
def test_day_invariants(base_idx, steps, appts, raw_cfg):
    rows, evs, sched = _build(base_idx, steps, appts)
    c = cfg(raw_cfg)
    day = run_day(evs, PROVS, sched, config=c)
    assert set(day["provider_id"].unique().to_list()) <= {"P1", "P2"}
    # one row per provider per date of the loaded range
    n_dates = day["date"].n_unique()
    assert day.height == 2 * n_dates
    for r in day.iter_rows(named=True):
        wall = _wall_minutes(r["date"])
        ehr = r["ehr_minutes"]
        assert -TOL <= ehr <= wall + TOL, r
        assert abs(sum(r[k] for k in CATEGORY_COLUMNS) - ehr) <= TOL, r
        for k in CATEGORY_COLUMNS:
            assert r[k] >= -TOL, r
        assert -TOL <= r["wow_minutes"] <= ehr + TOL, r
        assert -TOL <= r["outside_slot_minutes"] <= ehr + TOL, r
        assert -TOL <= r["pajama_minutes"] <= ehr + TOL, r
        assert -TOL <= r["scheduled_minutes"] <= wall + TOL, r
        # the scheduled window always contains the unbuffered slots
        assert r["wow_minutes"] <= r["outside_slot_minutes"] + TOL, r
        if c.wow.window == "slots" and c.wow.buffer_minutes == 0:
            assert abs(r["wow_minutes"] - r["outside_slot_minutes"]) <= TOL, r
        assert r["unscheduled_day"] is (r["scheduled_minutes"] == 0), r
        if r["unscheduled_day"]:
            assert abs(r["wow_minutes"] - ehr) <= TOL, r
            assert abs(r["outside_slot_minutes"] - ehr) <= TOL, r
        weekend = r["date"].isoweekday() >= 6
        if weekend and c.pajama.weekends:
            assert abs(r["pajama_minutes"] - ehr) <= TOL, r


@SETTINGS
@given(st.integers(0, len(BASE_DATES) - 1), event_steps, configs)
def test_total_active_minutes_equal_direct_gap_sum(base_idx, steps, raw_cfg):
    rows, evs, sched = _build(base_idx, steps, [])
    c = cfg(raw_cfg)
    day = run_day(evs, PROVS, sched, config=c)
    direct = _direct_active_minutes(rows, c.idle_timeout_seconds)
    totals = dict(day.group_by("provider_id").agg(pl.col("ehr_minutes").sum()).iter_rows())
    for pid in ("P1", "P2"):
        assert abs(totals.get(pid, 0.0) - direct.get(pid, 0.0)) <= 1e-6, (pid, totals, direct)


@SETTINGS
@given(
    st.integers(0, len(BASE_DATES) - 1),
    event_steps,
    appointments,
    configs,
    st.integers(0, 2**32 - 1),
)
def test_shuffling_input_rows_changes_nothing(base_idx, steps, appts, raw_cfg, seed):
    _, evs, sched = _build(base_idx, steps, appts)
    c = cfg(raw_cfg)
    a = run_day(evs, PROVS, sched, config=c).sort("provider_id", "date")
    b = run_day(
        evs.sample(fraction=1.0, shuffle=True, seed=seed),
        PROVS.sample(fraction=1.0, shuffle=True, seed=seed + 1),
        sched.sample(fraction=1.0, shuffle=True, seed=seed + 2),
        config=c,
    ).sort("provider_id", "date")
    assert a.columns == b.columns
    assert a.height == b.height
    for col in a.columns:
        if a.schema[col] == pl.Float64:
            diff = (a[col] - b[col]).abs().max()
            assert diff is None or diff <= 1e-9, col
        else:
            assert a[col].to_list() == b[col].to_list(), col


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 1), st.integers(0, 2**32 - 1))
def test_dense_stream_fills_each_covered_date_exactly(dst_idx, seed):
    """Gaps of 1..300 s from 22:00 the evening before a DST change to 02:00 the morning
    after: the DST date is covered end to end, so its ehr_minutes equal its wall minutes
    (1380 on 2026-03-08, 1500 on 2026-11-01), and no date exceeds its wall minutes."""
    rnd = random.Random(seed)
    target = BASE_DATES[dst_idx]
    t = _local_midnight_utc(target) - dt.timedelta(hours=2)
    stop = _local_midnight_utc(target + dt.timedelta(days=1)) + dt.timedelta(hours=2)
    rows = []
    while t <= stop:
        rows.append((rnd.choice(("p1a", "p1b")), t, rnd.choice(ACTIONS)))
        t = t + dt.timedelta(seconds=rnd.randint(1, 300))
    day = run_day(events_utc(rows), PROVS, config=cfg({}))
    p1 = {r["date"]: r for r in day.filter(pl.col("provider_id") == "P1").iter_rows(named=True)}
    assert abs(p1[target]["ehr_minutes"] - _wall_minutes(target)) <= 1e-6
    assert _wall_minutes(target) in (1380.0, 1500.0)
    assert abs(p1[target]["pajama_minutes"] - _wall_minutes(target)) <= 1e-6  # a Sunday
    for r in p1.values():
        assert r["ehr_minutes"] <= _wall_minutes(r["date"]) + 1e-6
    direct = _direct_active_minutes(rows, 300)
    assert abs(sum(r["ehr_minutes"] for r in p1.values()) - direct["P1"]) <= 1e-6
