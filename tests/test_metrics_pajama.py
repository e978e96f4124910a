"""Pajama time (CONTRACT.md section 4), hand-computed.

Default: weekdays at or after 17:30 or before 07:00, plus all of Saturday and Sunday.
2026-03-02 Mon, 03-06 Fri, 03-07 Sat, 03-15 Sun, 03-16 Mon.
"""

from __future__ import annotations

try:
    from metric_fixtures import (
        INBOX,
        NOTE,
        cfg,
        check,
        ev,
        events,
        off,
        prov,
        roster,
        row,
        run_day,
        time_off,
    )
except ImportError:  # tests/ is a package
    from tests.metric_fixtures import (
        INBOX,
        NOTE,
        cfg,
        check,
        ev,
        events,
        off,
        prov,
        roster,
        row,
        run_day,
        time_off,
    )


def _day(evs, date, config=None, toff=None):
    return row(
        run_day(evs, roster(prov("P1")), toff=toff, config=config), provider_id="P1", date=date
    )


def test_interval_straddling_1730_is_split():
    evs = events(ev("p1", "2026-03-02 17:27:00", NOTE), ev("p1", "2026-03-02 17:31:00", NOTE))
    # 17:27-17:31 = 4 min; 17:30-17:31 = 1 min pajama
    check(_day(evs, "2026-03-02"), ehr_minutes=4.0, pajama_minutes=1.0)


def test_interval_straddling_0700_is_split():
    evs = events(ev("p1", "2026-03-02 06:58:00", NOTE), ev("p1", "2026-03-02 07:02:00", NOTE))
    # 06:58-07:00 = 2 min pajama, 07:00-07:02 = 2 min not
    check(_day(evs, "2026-03-02"), ehr_minutes=4.0, pajama_minutes=2.0)


def test_boundaries_at_or_after_start_and_strictly_before_end():
    evs = events(
        ev("p1", "2026-03-02 06:57:00"),
        ev("p1", "2026-03-02 07:00:00"),  # 06:57-07:00: 3 min pajama (before 07:00)
        ev("p1", "2026-03-02 07:03:00"),  # 07:00-07:03: 3 min, not pajama
        ev("p1", "2026-03-02 17:30:00"),  # idle gap
        ev("p1", "2026-03-02 17:33:00"),  # 17:30-17:33: 3 min pajama (at or after 17:30)
    )
    check(_day(evs, "2026-03-02"), ehr_minutes=9.0, pajama_minutes=6.0)


def test_friday_evening_into_saturday():
    evs = events(ev("p1", "2026-03-06 23:58:00", INBOX), ev("p1", "2026-03-07 00:02:00", INBOX))
    day = run_day(evs, roster(prov("P1")))
    check(row(day, provider_id="P1", date="2026-03-06"), ehr_minutes=2.0, pajama_minutes=2.0)
    check(row(day, provider_id="P1", date="2026-03-07"), ehr_minutes=2.0, pajama_minutes=2.0)


def test_sunday_night_into_monday_morning():
    evs = events(
        ev("p1", "2026-03-15 23:58:00"),
        ev("p1", "2026-03-16 00:02:00"),  # 2 min Sun (weekend) + 2 min Mon (before 07:00)
        ev("p1", "2026-03-16 10:00:00"),
        ev("p1", "2026-03-16 10:05:00"),  # Mon 10:00-10:05: not pajama
    )
    day = run_day(evs, roster(prov("P1")))
    check(row(day, provider_id="P1", date="2026-03-15"), ehr_minutes=2.0, pajama_minutes=2.0)
    check(row(day, provider_id="P1", date="2026-03-16"), ehr_minutes=7.0, pajama_minutes=2.0)


def test_weekend_daytime_is_pajama():
    evs = events(ev("p1", "2026-03-07 12:00:00"), ev("p1", "2026-03-07 12:04:00"))
    check(_day(evs, "2026-03-07"), ehr_minutes=4.0, pajama_minutes=4.0)


def test_weekends_false_follows_weekday_clock():
    c = cfg({"pajama": {"weekends": False}})
    evs = events(
        ev("p1", "2026-03-07 12:00:00"),
        ev("p1", "2026-03-07 12:04:00"),  # Sat midday: 4 min, not pajama
        ev("p1", "2026-03-07 18:00:00"),
        ev("p1", "2026-03-07 18:03:00"),  # Sat 18:00: 3 min pajama by the clock
    )
    check(_day(evs, "2026-03-07", config=c), ehr_minutes=7.0, pajama_minutes=3.0)


def test_custom_clock_window():
    c = cfg({"pajama": {"weekday_start": "18:00", "weekday_end": "06:00"}})
    evs = events(
        ev("p1", "2026-03-02 05:58:00"),
        ev("p1", "2026-03-02 06:01:00"),  # 2 min before 06:00 pajama, 1 not
        ev("p1", "2026-03-02 17:27:00"),
        ev("p1", "2026-03-02 17:31:00"),  # before 18:00: 0 pajama
        ev("p1", "2026-03-02 17:58:00"),
        ev("p1", "2026-03-02 18:02:00"),  # 2 pajama
    )
    check(_day(evs, "2026-03-02", config=c), ehr_minutes=11.0, pajama_minutes=4.0)


def test_holiday_is_an_ordinary_weekday():
    evs = events(
        ev("p1", "2026-03-02 10:00:00"),
        ev("p1", "2026-03-02 10:05:00"),  # 5 min daytime Monday
    )
    toff = time_off(off("P1", "2026-03-02", "2026-03-02", "holiday"))
    check(
        _day(evs, "2026-03-02", toff=toff), ehr_minutes=5.0, pajama_minutes=0.0, vacation_day=False
    )


def test_vacation_weekday_daytime_is_not_pajama():
    # the pajama rule is a clock rule; a vacation day does not change it
    evs = events(ev("p1", "2026-03-02 10:00:00"), ev("p1", "2026-03-02 10:05:00"))
    toff = time_off(off("P1", "2026-03-02", "2026-03-02", "vacation"))
    check(
        _day(evs, "2026-03-02", toff=toff),
        ehr_minutes=5.0,
        pajama_minutes=0.0,
        vacation_day=True,
        vacation_login=True,
    )


def test_clock_rule_on_the_spring_forward_day_with_weekends_false():
    c = cfg({"pajama": {"weekends": False}})
    evs = events(
        ev("p1", "2026-03-08 01:58:00"),
        ev("p1", "2026-03-08 03:01:00"),  # 01:58 EST -> 03:01 EDT: 3 real min, before 07:00
        ev("p1", "2026-03-08 06:58:00"),
        ev("p1", "2026-03-08 07:02:00"),  # 2 min before 07:00 EDT, 2 after
        ev("p1", "2026-03-08 12:00:00"),
        ev("p1", "2026-03-08 12:05:00"),  # 5 min midday
    )
    # ehr 3 + 4 + 5 = 12; pajama 3 + 2 = 5
    check(_day(evs, "2026-03-08", config=c), ehr_minutes=12.0, pajama_minutes=5.0)


def test_clock_rule_on_the_fall_back_day_with_weekends_false():
    c = cfg({"pajama": {"weekends": False}})
    evs = events(
        ev("p1", "2026-11-01 01:58:00-04:00"),
        ev("p1", "2026-11-01 01:01:00-05:00"),  # 3 real min, before 07:00
        ev("p1", "2026-11-01 06:58:00"),
        ev("p1", "2026-11-01 07:02:00"),  # 2 pajama, 2 not
    )
    check(_day(evs, "2026-11-01", config=c), ehr_minutes=7.0, pajama_minutes=5.0)


def test_a_morning_boundary_in_the_repeated_hour_counts_by_the_clock_both_times():
    # 2026-11-01: clocks go back 02:00 EDT -> 01:00 EST, so wall times 01:00-02:00 occur
    # twice; "before 01:30" holds on both passes (CONTRACT.md section 1: a clock window
    # uses local wall-clock time)
    c = cfg({"pajama": {"weekday_end": "01:30", "weekends": False}})
    evs = events(
        ev("p1", "2026-11-01 01:25:00-04:00"),
        ev("p1", "2026-11-01 01:29:00-04:00"),  # 4 min, all before 01:30
        ev("p1", "2026-11-01 01:33:00-04:00"),  # 4 min, 1 before 01:30 (01:29-01:30)
        ev("p1", "2026-11-01 01:58:00-04:00"),  # idle (25 min)
        ev("p1", "2026-11-01 01:02:00-05:00"),  # 4 min: 01:58-02:00 EDT no, 01:00-01:02 EST 2
        ev("p1", "2026-11-01 01:06:00-05:00"),  # 4 min, all before 01:30 (EST)
        ev("p1", "2026-11-01 01:28:00-05:00"),  # idle (22 min)
        ev("p1", "2026-11-01 01:32:00-05:00"),  # 4 min, 2 before 01:30 (EST)
    )
    # ehr 5 x 4 = 20; pajama 4 + 1 + 2 + 4 + 2 = 13
    check(_day(evs, "2026-11-01", config=c), ehr_minutes=20.0, pajama_minutes=13.0)


def test_an_evening_boundary_in_the_repeated_hour_counts_by_the_clock_both_times():
    # "at or after 01:30" holds from 01:30 EDT until the clocks go back, and again from
    # 01:30 EST; the repeated 01:00-01:30 EST is before it
    c = cfg({"pajama": {"weekday_start": "01:30", "weekday_end": "01:00", "weekends": False}})
    evs = events(
        ev("p1", "2026-11-01 01:28:00-04:00"),
        ev("p1", "2026-11-01 01:32:00-04:00"),  # 4 min, 2 at or after 01:30 EDT
        ev("p1", "2026-11-01 01:58:00-04:00"),  # idle (26 min)
        ev("p1", "2026-11-01 01:02:00-05:00"),  # 4 min: 01:58-02:00 EDT 2, 01:00-01:02 EST 0
        ev("p1", "2026-11-01 01:28:00-05:00"),  # idle (26 min)
        ev("p1", "2026-11-01 01:32:00-05:00"),  # 4 min, 2 at or after 01:30 EST
    )
    # ehr 3 x 4 = 12; pajama 2 + 2 + 2 = 6
    check(_day(evs, "2026-11-01", config=c), ehr_minutes=12.0, pajama_minutes=6.0)
