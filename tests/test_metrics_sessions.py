"""Active runs (sessions) and the fast local date, hand-computed.

The day grid computes the window, slot and pajama overlaps on maximal runs of touching
active intervals cut at local midnight (``metrics.active.active_sessions``) instead of
on every interval, and resolves local dates once per UTC hour
(``metrics.timeutil.local_date``). Both must give exactly what the per-interval,
per-row definitions give. Default config: idle timeout 300 s, window span, buffer 0,
pajama weekdays 17:30-07:00 plus weekends. 2026-03-02 is a Monday.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from metrics.active import active_sessions, provider_events
from metrics.timeutil import local_date, local_instant, repeated_overlap_us

try:
    from metric_fixtures import (
        action_map,
        appt,
        burst,
        cfg,
        check,
        ev,
        events,
        prov,
        roster,
        row,
        run_day,
        schedule,
        to_utc,
    )
except ImportError:  # tests/ is a package
    from tests.metric_fixtures import (
        action_map,
        appt,
        burst,
        cfg,
        check,
        ev,
        events,
        prov,
        roster,
        row,
        run_day,
        schedule,
        to_utc,
    )

# Events every 240 s from Monday 22:00 to Wednesday 01:00 (one run of 27 hours across two
# midnights), then a second run on Wednesday 10:00-10:20 after a 9-hour pause.
LONG_RUN = burst("p1", "2026-03-02 22:00:00", "2026-03-04 01:00:00", step=240)
LATE_RUN = burst("p1", "2026-03-04 10:00:00", "2026-03-04 10:20:00", step=240)


def test_a_run_across_two_midnights_is_cut_into_three_dated_pieces():
    inst = provider_events(events(LONG_RUN, LATE_RUN).lazy(), roster(prov("P1")).lazy(),
                           action_map().lazy())
    got = active_sessions(inst, cfg()).collect().sort("start")
    start = to_utc(["2026-03-02 22:00:00", "2026-03-03 00:00:00", "2026-03-04 00:00:00",
                    "2026-03-04 10:00:00"])
    end = to_utc(["2026-03-03 00:00:00", "2026-03-04 00:00:00", "2026-03-04 01:00:00",
                  "2026-03-04 10:20:00"])
    assert got.get_column("provider_id").to_list() == ["P1"] * 4
    assert got.get_column("date").to_list() == [
        dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 4), dt.date(2026, 3, 4)]
    assert got.get_column("start").to_list() == start.to_list()
    assert got.get_column("end").to_list() == end.to_list()


def test_overlaps_of_a_27_hour_run_per_date():
    sched = schedule(appt("P1", "2026-03-03 09:00:00", 60))
    day = run_day(events(LONG_RUN, LATE_RUN), roster(prov("P1")), sched)
    # Monday 22:00-24:00: 120 min, all after 17:30, no schedule
    check(row(day, provider_id="P1", date="2026-03-02"), ehr_minutes=120.0,
          notes_minutes=120.0, pajama_minutes=120.0, wow_minutes=120.0,
          outside_slot_minutes=120.0, scheduled_minutes=0.0)
    # Tuesday, the whole day: 1440 min; window = the one slot 09:00-10:00 (60 min inside);
    # pajama 00:00-07:00 (420) + 17:30-24:00 (390) = 810
    check(row(day, provider_id="P1", date="2026-03-03"), ehr_minutes=1440.0,
          notes_minutes=1440.0, pajama_minutes=810.0, wow_minutes=1380.0,
          outside_slot_minutes=1380.0, scheduled_minutes=60.0)
    # Wednesday 00:00-01:00 (60, pajama) + 10:00-10:20 (20, daytime), no schedule
    check(row(day, provider_id="P1", date="2026-03-04"), ehr_minutes=80.0,
          notes_minutes=80.0, pajama_minutes=60.0, wow_minutes=80.0,
          outside_slot_minutes=80.0)


def test_runs_of_two_providers_interleaved_in_time_stay_apart():
    # P1 works 09:00-09:20 and P2 09:10-09:30, each every 240 s: two runs, not one
    evs = events(burst("p1", "2026-03-02 09:00:00", "2026-03-02 09:20:00", step=240),
                 burst("p2", "2026-03-02 09:10:00", "2026-03-02 09:30:00", step=240))
    inst = provider_events(evs.lazy(), roster(prov("P1"), prov("P2")).lazy(),
                           action_map().lazy())
    got = active_sessions(inst, cfg()).collect().sort("provider_id")
    assert got.get_column("provider_id").to_list() == ["P1", "P2"]
    assert got.get_column("start").to_list() == to_utc(
        ["2026-03-02 09:00:00", "2026-03-02 09:10:00"]).to_list()
    assert got.get_column("end").to_list() == to_utc(
        ["2026-03-02 09:20:00", "2026-03-02 09:30:00"]).to_list()


@pytest.mark.parametrize("tz", ["America/New_York", "Europe/London", "Australia/Lord_Howe",
                                "Asia/Kathmandu", "America/Santiago", "UTC"])
def test_local_date_equals_the_row_by_row_conversion_around_clock_changes(tz: str):
    # every 7 s across the 2026 spring and autumn changes of both hemispheres, a null,
    # and instants centuries apart (the hashed lookup instead of the positional one)
    times = pl.concat([
        pl.datetime_range(dt.datetime(2026, 3, 7, tzinfo=dt.UTC),
                          dt.datetime(2026, 3, 10, tzinfo=dt.UTC), "7s", eager=True),
        pl.datetime_range(dt.datetime(2026, 3, 27, tzinfo=dt.UTC),
                          dt.datetime(2026, 4, 7, tzinfo=dt.UTC), "7s", eager=True),
        pl.datetime_range(dt.datetime(2026, 9, 5, tzinfo=dt.UTC),
                          dt.datetime(2026, 9, 8, tzinfo=dt.UTC), "7s", eager=True),
        pl.datetime_range(dt.datetime(2026, 10, 24, tzinfo=dt.UTC),
                          dt.datetime(2026, 11, 3, tzinfo=dt.UTC), "7s", eager=True),
        pl.Series([None, dt.datetime(1950, 6, 1, 3, tzinfo=dt.UTC),
                   dt.datetime(2400, 6, 1, 3, tzinfo=dt.UTC)], dtype=pl.Datetime("us", "UTC")),
    ]).cast(pl.Datetime("us", "UTC"))
    frame = pl.DataFrame({"t": times})
    fast = frame.select(local_date(pl.col("t"), tz)).to_series()
    slow = frame.select(pl.col("t").dt.convert_time_zone(tz).dt.date()).to_series()
    assert fast.dtype == pl.Date
    assert fast.equals(slow)
    assert fast.null_count() == 1


@pytest.mark.parametrize(("tz", "day", "at", "expected_utc"), [
    # clocks jump 02:00 -> 03:00: any wall time in the gap is where clocks resume
    ("America/New_York", dt.date(2026, 3, 8), dt.time(2, 0), dt.datetime(2026, 3, 8, 7, 0)),
    ("America/New_York", dt.date(2026, 3, 8), dt.time(2, 30), dt.datetime(2026, 3, 8, 7, 0)),
    ("America/New_York", dt.date(2026, 3, 8), dt.time(3, 0), dt.datetime(2026, 3, 8, 7, 0)),
    # Chile: midnight does not exist on 2026-09-06 (00:00 -04 -> 01:00 -03)
    ("America/Santiago", dt.date(2026, 9, 6), dt.time(0, 0), dt.datetime(2026, 9, 6, 4, 0)),
    # Lord Howe: a 30-minute gap, 02:00 +10:30 -> 02:30 +11
    ("Australia/Lord_Howe", dt.date(2026, 10, 4), dt.time(2, 10),
     dt.datetime(2026, 10, 3, 15, 30)),
    # Samoa skipped 2011-12-30 entirely: it resumes at 2011-12-31 00:00 +14
    ("Pacific/Apia", dt.date(2011, 12, 30), dt.time(12, 0), dt.datetime(2011, 12, 30, 10, 0)),
    # a repeated wall time takes the earlier instant (EDT)
    ("America/New_York", dt.date(2026, 11, 1), dt.time(1, 30), dt.datetime(2026, 11, 1, 5, 30)),
])
def test_local_instant_of_a_missing_wall_time_is_where_clocks_resume(tz, day, at, expected_utc):
    frame = pl.DataFrame({"d": [day, None, day]})
    got = frame.select(local_instant(pl.col("d"), tz, at)).to_series().to_list()
    want = expected_utc.replace(tzinfo=dt.UTC)
    assert got == [want, None, want]


@pytest.mark.parametrize(("tz", "day", "at", "span_utc"), [
    # clocks go back 02:00 EDT -> 01:00 EST (06:00 UTC): 01:00-01:30 EST shows again
    ("America/New_York", dt.date(2026, 11, 1), dt.time(1, 30),
     (dt.datetime(2026, 11, 1, 6, 0), dt.datetime(2026, 11, 1, 6, 30))),
    # 01:00 itself is repeated, but no wall time before it is
    ("America/New_York", dt.date(2026, 11, 1), dt.time(1, 0),
     (dt.datetime(2026, 11, 1, 6, 0), dt.datetime(2026, 11, 1, 6, 0))),
    # London, 02:00 BST -> 01:00 GMT (01:00 UTC)
    ("Europe/London", dt.date(2026, 10, 25), dt.time(1, 15),
     (dt.datetime(2026, 10, 25, 1, 0), dt.datetime(2026, 10, 25, 1, 15))),
    # Lord Howe goes back 30 minutes, 02:00 +11 -> 01:30 +10:30 (15:00 UTC the day before)
    ("Australia/Lord_Howe", dt.date(2026, 4, 5), dt.time(1, 45),
     (dt.datetime(2026, 4, 4, 15, 0), dt.datetime(2026, 4, 4, 15, 15))),
    # not repeated: the empty span at the wall time's instant
    ("America/New_York", dt.date(2026, 11, 1), dt.time(12, 0),
     (dt.datetime(2026, 11, 1, 17, 0), dt.datetime(2026, 11, 1, 17, 0))),
    # in a spring-forward gap: empty, where clocks resume
    ("America/New_York", dt.date(2026, 3, 8), dt.time(2, 30),
     (dt.datetime(2026, 3, 8, 7, 0), dt.datetime(2026, 3, 8, 7, 0))),
])
def test_the_second_pass_of_the_wall_times_before_a_boundary(tz, day, at, span_utc):
    # pieces of ``day`` probing the span [lo, hi): one covering it, one across each end
    lo, hi = (t.replace(tzinfo=dt.UTC) for t in span_utc)
    hour, second = dt.timedelta(hours=1), dt.timedelta(seconds=1)
    frame = pl.DataFrame({
        "start": [lo - hour, lo - second, hi - second, hi + second],
        "end": [hi + hour, lo + second, hi + second, hi + hour],
        "date": [day] * 4,
    })
    got = frame.select(repeated_overlap_us(pl.col("start"), pl.col("end"), pl.col("date"),
                                           tz, at)).to_series().to_list()
    us = 1_000_000
    assert got == ([int((hi - lo).total_seconds()) * us, us, us, 0] if hi > lo else [0] * 4)


def test_interval_across_a_midnight_that_does_not_exist_is_split_where_the_day_starts():
    # America/Santiago, 2026-09-05 23:58 -04 (03:58 UTC) then 2026-09-06 01:01 -03
    # (04:01 UTC): a 3-minute interval. 2026-09-06 starts at 04:00 UTC (01:00 -03, there
    # is no 00:00), so 2 minutes fall on Saturday 09-05 and 1 on Sunday 09-06, both in
    # pajama time (Saturday after 17:30, and weekends count whole).
    config = cfg({"timezone": "America/Santiago", "data_start": "2026-09-01"})
    evs = events(ev("p1", "2026-09-05T23:58:00-04:00"), ev("p1", "2026-09-06T01:01:00-03:00"))
    day = run_day(evs, roster(prov("P1")), config=config)
    check(row(day, provider_id="P1", date="2026-09-05"), ehr_minutes=2.0,
          notes_minutes=2.0, pajama_minutes=2.0, wow_minutes=2.0)
    check(row(day, provider_id="P1", date="2026-09-06"), ehr_minutes=1.0,
          notes_minutes=1.0, pajama_minutes=1.0, wow_minutes=1.0)
