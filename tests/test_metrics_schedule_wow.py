"""Scheduled minutes, scheduled window and work outside of work (CONTRACT.md section 4).

Hand-computed. 2026-03-02 Mon, 03-03 Tue, 03-04 Wed, 03-05 Thu, 03-07 Sat.
Default: window span, buffer 0, counted statuses scheduled/arrived/completed/no_show.
"""

from __future__ import annotations

import pytest

try:
    from metric_fixtures import (
        CHART,
        INBOX,
        NOTE,
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
    )
except ImportError:  # tests/ is a package
    from tests.metric_fixtures import (
        CHART,
        INBOX,
        NOTE,
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
    )

WOW_CONFIGS = {
    "span0": {"wow": {"window": "span", "buffer_minutes": 0}},
    "slots0": {"wow": {"window": "slots", "buffer_minutes": 0}},
    "span30": {"wow": {"window": "span", "buffer_minutes": 30}},
    "slots30": {"wow": {"window": "slots", "buffer_minutes": 30}},
}


# --------------------------------------------------------------------------- scheduled minutes


def _statuses_case():
    sched = schedule(
        appt("P1", "2026-03-02 09:00:00", 30, "completed"),  # 09:00-09:30
        appt("P1", "2026-03-02 09:15:00", 30, "arrived"),  # 09:15-09:45, double-booked
        appt("P1", "2026-03-02 10:00:00", 20, "no_show"),  # 10:00-10:20, counted by default
        appt("P1", "2026-03-02 11:00:00", 60, "cancelled"),  # not counted
        appt("P1", "2026-03-02 14:00:00", 30, "bumped"),  # not counted
    )
    evs = events(
        ev("p1", "2026-03-02 10:18:00", NOTE),
        ev("p1", "2026-03-02 10:22:00", NOTE),  # 10:18-10:22 active, 4 min
        ev("p1", "2026-03-02 11:10:00", NOTE),
        ev("p1", "2026-03-02 11:14:00", NOTE),  # 11:10-11:14 active, 4 min
    )
    return evs, roster(prov("P1")), sched


def test_double_booking_is_a_union_no_show_counted_cancelled_and_bumped_not():
    evs, provs, sched = _statuses_case()
    r = row(run_day(evs, provs, sched), provider_id="P1", date="2026-03-02")
    check(
        r,
        scheduled_minutes=65.0,  # union [09:00,09:45) = 45, plus [10:00,10:20) = 20
        appointments=3,  # completed + arrived + no_show
        unscheduled_day=False,
        ehr_minutes=8.0,  # 4 + 4
        # span window [09:00, 10:20) (cancelled 11:00 does not extend it):
        # outside = 10:20-10:22 (2) + 11:10-11:14 (4) = 6
        wow_minutes=6.0,
        outside_slot_minutes=6.0,  # slots [09:00,09:45) u [10:00,10:20): same 2 + 4
        pajama_minutes=0.0,
    )


def test_counted_statuses_config():
    evs, provs, sched = _statuses_case()
    c = cfg({"schedule": {"counted_statuses": ["completed", "arrived"]}})
    r = row(run_day(evs, provs, sched, config=c), provider_id="P1", date="2026-03-02")
    # only [09:00,09:45) counts: 45 min, 2 appointments; window [09:00,09:45)
    # -> both bursts (8 min) are outside
    check(r, scheduled_minutes=45.0, appointments=2, wow_minutes=8.0, outside_slot_minutes=8.0)


def test_identical_double_booking_counts_once_in_minutes_twice_in_appointments():
    sched = schedule(appt("P1", "2026-03-02 09:00:00", 30), appt("P1", "2026-03-02 09:00:00", 30))
    evs = events(ev("p1", "2026-03-02 08:00:00"))
    check(
        row(run_day(evs, roster(prov("P1")), sched), provider_id="P1", date="2026-03-02"),
        scheduled_minutes=30.0,
        appointments=2,
    )


# --------------------------------------------------------------------------- span vs slots


def _lunch_case():
    sched = schedule(
        appt("P1", "2026-03-03 08:00:00", 240),  # 08:00-12:00
        appt("P1", "2026-03-03 13:00:00", 240),  # 13:00-17:00
    )
    evs = events(
        ev("p1", "2026-03-03 12:20:00", INBOX),
        ev("p1", "2026-03-03 12:24:00", INBOX),
        ev("p1", "2026-03-03 12:28:00", INBOX),  # 12:20-12:28 active over lunch: 8 min
    )
    return evs, roster(prov("P1")), sched


@pytest.mark.parametrize(
    ("variant", "wow"),
    [
        ("span0", 0.0),  # window [08:00,17:00) holds lunch
        ("slots0", 8.0),  # window [08:00,12:00) u [13:00,17:00): lunch outside
        ("span30", 0.0),  # [07:30,17:30)
        ("slots30", 0.0),  # [07:30,12:30) u [12:30,17:30): 12:20-12:28 inside
    ],
)
def test_lunch_gap_span_versus_slots(variant, wow):
    evs, provs, sched = _lunch_case()
    r = row(
        run_day(evs, provs, sched, config=cfg(WOW_CONFIGS[variant])),
        provider_id="P1",
        date="2026-03-03",
    )
    check(
        r,
        scheduled_minutes=480.0,  # 240 + 240
        appointments=2,
        ehr_minutes=8.0,
        inbox_minutes=8.0,
        wow_minutes=wow,
        outside_slot_minutes=8.0,  # no buffer, slots only, whatever wow says
        pajama_minutes=0.0,
    )


def _window_end_case():
    sched = schedule(appt("P1", "2026-03-04 09:00:00", 60))  # 09:00-10:00
    evs = events(
        ev("p1", "2026-03-04 08:26:00", CHART),
        ev("p1", "2026-03-04 08:31:00", CHART),  # 08:26-08:31: 5 min (gap 300)
        ev("p1", "2026-03-04 09:57:00", NOTE),
        ev("p1", "2026-03-04 10:01:00", NOTE),
        ev("p1", "2026-03-04 10:05:00", NOTE),  # 09:57-10:05: 8 min
        ev("p1", "2026-03-04 10:27:00", NOTE),  # (22 min gap: idle)
        ev("p1", "2026-03-04 10:31:00", NOTE),
        ev("p1", "2026-03-04 10:34:00", NOTE),  # 10:27-10:34: 7 min
    )
    return evs, roster(prov("P1")), sched


@pytest.mark.parametrize(
    ("variant", "wow"),
    [
        # window [09:00,10:00): outside 08:26-08:31 (5) + 10:00-10:05 (5) + 10:27-10:34 (7) = 17
        ("span0", 17.0),
        ("slots0", 17.0),
        # window [08:30,10:30): outside 08:26-08:30 (4) + 10:30-10:34 (4) = 8
        ("span30", 8.0),
        ("slots30", 8.0),
    ],
)
def test_interval_straddling_the_window_edges_with_and_without_buffer(variant, wow):
    evs, provs, sched = _window_end_case()
    r = row(
        run_day(evs, provs, sched, config=cfg(WOW_CONFIGS[variant])),
        provider_id="P1",
        date="2026-03-04",
    )
    check(
        r,
        ehr_minutes=20.0,  # 5 + 8 + 7
        chart_review_minutes=5.0,
        notes_minutes=15.0,
        scheduled_minutes=60.0,
        appointments=1,
        wow_minutes=wow,
        outside_slot_minutes=17.0,  # buffer never applies: 5 + 5 + 7
    )


# --------------------------------------------------------------------------- unscheduled days


def test_unscheduled_weekday_all_wow():
    evs = events(ev("p1", "2026-03-05 09:00:00"), ev("p1", "2026-03-05 09:04:00"))  # 4 min
    r = row(run_day(evs, roster(prov("P1"))), provider_id="P1", date="2026-03-05")
    check(
        r,
        scheduled_minutes=0.0,
        appointments=0,
        unscheduled_day=True,
        ehr_minutes=4.0,
        wow_minutes=4.0,
        outside_slot_minutes=4.0,
        pajama_minutes=0.0,
    )


def test_weekend_unscheduled_all_pajama_and_all_wow():
    evs = events(ev("p1", "2026-03-07 10:00:00"), ev("p1", "2026-03-07 10:05:00"))  # Sat, 5 min
    r = row(run_day(evs, roster(prov("P1"))), provider_id="P1", date="2026-03-07")
    check(
        r,
        unscheduled_day=True,
        ehr_minutes=5.0,
        wow_minutes=5.0,
        pajama_minutes=5.0,
        outside_slot_minutes=5.0,
    )


def test_weekend_clinic_uses_the_window_for_wow_but_is_all_pajama():
    sched = schedule(appt("P1", "2026-03-07 09:00:00", 120))  # Sat 09:00-11:00
    evs = events(burst("p1", "2026-03-07 09:00:00", "2026-03-07 09:30:00", NOTE))  # 6 x 5 = 30
    r = row(run_day(evs, roster(prov("P1")), sched), provider_id="P1", date="2026-03-07")
    check(
        r,
        scheduled_minutes=120.0,
        unscheduled_day=False,
        ehr_minutes=30.0,
        wow_minutes=0.0,
        outside_slot_minutes=0.0,
        pajama_minutes=30.0,
    )


# --------------------------------------------------------------------------- midnight


def test_appointment_crossing_midnight_is_cut_into_two_dates():
    sched = schedule(appt("P1", "2026-03-02 23:30:00", 60))  # 23:30 Mon - 00:30 Tue
    evs = events(
        ev("p1", "2026-03-02 23:27:00"),
        ev("p1", "2026-03-02 23:31:00"),  # 23:27-23:31 (4 min): 3 before the slot, 1 in
        ev("p1", "2026-03-02 23:58:00"),  # idle gap 27 min
        ev("p1", "2026-03-03 00:02:00"),  # 23:58-00:02: 2 + 2, all inside the slot pieces
        ev("p1", "2026-03-03 00:28:00"),  # idle gap 26 min
        ev("p1", "2026-03-03 00:32:00"),  # 00:28-00:32: 2 in, 2 after 00:30
    )
    day = run_day(evs, roster(prov("P1")), sched)
    check(
        row(day, provider_id="P1", date="2026-03-02"),
        scheduled_minutes=30.0,  # 23:30-24:00
        appointments=1,  # starts Monday
        unscheduled_day=False,
        ehr_minutes=6.0,  # 4 + 2
        wow_minutes=3.0,  # 23:27-23:30; window of Monday = [23:30, 24:00)
        outside_slot_minutes=3.0,
        pajama_minutes=6.0,  # all after 17:30
    )
    check(
        row(day, provider_id="P1", date="2026-03-03"),
        scheduled_minutes=30.0,  # 00:00-00:30
        appointments=0,  # counted on the start date only
        unscheduled_day=False,
        ehr_minutes=6.0,  # 2 + 4
        wow_minutes=2.0,  # 00:30-00:32; window of Tuesday = [00:00, 00:30)
        outside_slot_minutes=2.0,
        pajama_minutes=6.0,  # all before 07:00
    )


def test_window_of_one_date_does_not_cover_another_date():
    # Monday clinic 09:00-17:00; Tuesday unscheduled: Tuesday 10:00 work is all WOW
    sched = schedule(appt("P1", "2026-03-02 09:00:00", 480))
    evs = events(
        ev("x", "2026-03-02 06:00:00"),  # a stranger's event opens the range on Monday
        ev("p1", "2026-03-03 10:00:00", INBOX),
        ev("p1", "2026-03-03 10:05:00", INBOX),
    )
    day = run_day(evs, roster(prov("P1")), sched)
    check(
        row(day, provider_id="P1", date="2026-03-02"),
        scheduled_minutes=480.0,
        ehr_minutes=0.0,
        wow_minutes=0.0,
    )
    check(
        row(day, provider_id="P1", date="2026-03-03"),
        unscheduled_day=True,
        ehr_minutes=5.0,
        wow_minutes=5.0,
    )


def test_appointments_of_other_providers_do_not_count():
    sched = schedule(appt("P2", "2026-03-02 09:00:00", 60))
    evs = events(ev("p1", "2026-03-02 09:10:00"), ev("p1", "2026-03-02 09:15:00"))
    day = run_day(evs, roster(prov("P1"), prov("P2")), sched)
    check(
        row(day, provider_id="P1", date="2026-03-02"),
        scheduled_minutes=0.0,
        unscheduled_day=True,
        ehr_minutes=5.0,
        wow_minutes=5.0,
    )
    check(
        row(day, provider_id="P2", date="2026-03-02"),
        scheduled_minutes=60.0,
        appointments=1,
        ehr_minutes=0.0,
    )


def test_appointment_crossing_midnight_into_spring_forward_uses_real_minutes():
    # Sat 03-07 23:30 EST + 240 min = 03-08 04:30 EDT (clocks skip 02:00-03:00)
    sched = schedule(appt("P1", "2026-03-07 23:30:00", 240))
    evs = events(ev("p1", "2026-03-07 08:00:00"), ev("p1", "2026-03-08 08:00:00"))
    day = run_day(evs, roster(prov("P1")), sched)
    check(row(day, provider_id="P1", date="2026-03-07"), scheduled_minutes=30.0, appointments=1)
    # 00:00 EST (05:00 UTC) .. 04:30 EDT (08:30 UTC) = 210 real minutes (not 270)
    check(row(day, provider_id="P1", date="2026-03-08"), scheduled_minutes=210.0, appointments=0)


def test_fractional_duration_and_an_appointment_from_before_the_range():
    sched = schedule(
        appt("P1", "2026-03-01 23:30:00", 60),  # starts before the loaded range: 30 min on 03-02
        appt("P1", "2026-03-02 09:00:00", 22.5),
    )
    evs = events(ev("p1", "2026-03-02 08:00:00"))
    check(
        row(run_day(evs, roster(prov("P1")), sched), provider_id="P1", date="2026-03-02"),
        scheduled_minutes=52.5,  # 30 + 22.5
        appointments=1,  # only the 09:00 one starts on 03-02
        unscheduled_day=False,
    )


def test_only_cancelled_appointments_make_an_unscheduled_day():
    sched = schedule(
        appt("P1", "2026-03-02 09:00:00", 60, "cancelled"),
        appt("P1", "2026-03-02 10:00:00", 60, "bumped"),
    )
    evs = events(ev("p1", "2026-03-02 09:10:00"), ev("p1", "2026-03-02 09:15:00"))  # 5 min
    check(
        row(run_day(evs, roster(prov("P1")), sched), provider_id="P1", date="2026-03-02"),
        scheduled_minutes=0.0,
        appointments=0,
        unscheduled_day=True,
        ehr_minutes=5.0,
        wow_minutes=5.0,  # unscheduled: all of it
        outside_slot_minutes=5.0,
    )


def test_appointment_ending_exactly_at_midnight_leaves_the_next_date_unscheduled():
    sched = schedule(appt("P1", "2026-03-02 23:00:00", 60))  # 23:00-24:00
    evs = events(ev("p1", "2026-03-02 08:00:00"), ev("p1", "2026-03-03 08:00:00"))
    day = run_day(evs, roster(prov("P1")), sched)
    check(row(day, provider_id="P1", date="2026-03-02"), scheduled_minutes=60.0, appointments=1)
    check(
        row(day, provider_id="P1", date="2026-03-03"),
        scheduled_minutes=0.0,
        appointments=0,
        unscheduled_day=True,
    )
