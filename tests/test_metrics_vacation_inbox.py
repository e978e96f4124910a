"""Vacation days, vacation logins, inbox counts and PTO inbox coverage (CONTRACT.md 4).

Hand-computed. March 2026: 03-01 Sun, 03-08 Sun, 03-09 Mon .. 03-15 Sun, 03-16 Mon.
DST starts 03-08, so a local 23:30 on 03-08 is 03:30 UTC on 03-09.
"""

from __future__ import annotations

import polars as pl

try:
    from metric_fixtures import (
        INBOX,
        NOTE,
        burst,
        cfg,
        check,
        d,
        dates,
        ev,
        events,
        inbox,
        msg,
        off,
        prov,
        roster,
        row,
        run_all,
        run_day,
        time_off,
    )
except ImportError:  # tests/ is a package
    from tests.metric_fixtures import (
        INBOX,
        NOTE,
        burst,
        cfg,
        check,
        d,
        dates,
        ev,
        events,
        inbox,
        msg,
        off,
        prov,
        roster,
        row,
        run_all,
        run_day,
        time_off,
    )

MARCH = {"data_through": "2026-03-31"}


# --------------------------------------------------------------------------- day level


def test_vacation_week_with_one_login():
    evs = events(
        ev("p1", "2026-03-08 10:00:00"),  # anchors the range: 03-08 .. 03-16
        ev("p1", "2026-03-11 09:00:00", NOTE),
        ev("p1", "2026-03-11 09:04:00", NOTE),  # the one login: 4 min on Wed 03-11
        ev("p1", "2026-03-16 10:00:00"),
    )
    toff = time_off(off("P1", "2026-03-09", "2026-03-15", "vacation"))  # Mon..Sun
    day = run_day(evs, roster(prov("P1")), toff=toff).filter(pl.col("provider_id") == "P1")
    for r in day.iter_rows(named=True):
        inside = r["date"] in dates("2026-03-09", "2026-03-15")
        is_login_day = r["date"] == d("2026-03-11")
        # all 7 days (weekend included) are vacation days; the login only on 03-11
        assert r["vacation_day"] is inside, r
        assert r["vacation_login"] is is_login_day, r
    check(row(day, provider_id="P1", date="2026-03-11"), ehr_minutes=4.0)
    # events on 03-08 and 03-16 are not vacation logins (not vacation days)
    check(row(day, provider_id="P1", date="2026-03-16"), vacation_day=False, vacation_login=False)


def test_non_vacation_types_are_not_vacation_days():
    evs = events(ev("p1", "2026-03-02 10:00:00"), ev("p1", "2026-03-08 10:00:00"))
    toff = time_off(
        off("P1", "2026-03-02", "2026-03-02", "sick"),
        off("P1", "2026-03-03", "2026-03-03", "cme"),
        off("P1", "2026-03-04", "2026-03-04", "holiday"),
        off("P1", "2026-03-05", "2026-03-05", "parental"),
        off("P1", "2026-03-06", "2026-03-06", "other"),
        off("P1", "2026-03-07", "2026-03-07", "pto"),  # pto is a vacation type by default
    )
    day = run_day(evs, roster(prov("P1")), toff=toff).sort("date")
    assert day["vacation_day"].to_list() == [False] * 5 + [True, False]
    assert day["vacation_login"].to_list() == [False] * 7  # 03-02 login is a sick day


def test_vacation_login_from_the_second_login_and_a_lone_event():
    evs = events(ev("a", "2026-03-10 08:00:00"), ev("v2", "2026-03-11 09:00:00"))
    toff = time_off(off("V", "2026-03-10", "2026-03-11", "vacation"))
    day = run_day(evs, roster(prov("V", users=["v1", "v2"])), toff=toff)
    # a single event of login v2 is a vacation login, with 0 active minutes
    check(
        row(day, provider_id="V", date="2026-03-11"),
        vacation_day=True,
        vacation_login=True,
        ehr_minutes=0.0,
    )
    check(row(day, provider_id="V", date="2026-03-10"), vacation_day=True, vacation_login=False)


def test_inbox_messages_by_local_received_date():
    evs = events(ev("p1", "2026-03-08 08:00:00"), ev("p1", "2026-03-10 08:00:00"))
    ib = inbox(
        msg("P1", "2026-03-08 23:30:00"),  # 03:30 UTC on 03-09, local date 03-08
        msg("P1", "2026-03-09 00:10:00"),  # local date 03-09
        msg("P1", "2026-03-09 12:00:00"),
        msg("P2", "2026-03-09 12:00:00"),  # other provider
    )
    day = run_day(evs, roster(prov("P1"), prov("P2")), ib=ib)
    check(row(day, provider_id="P1", date="2026-03-08"), inbox_messages=1)
    check(row(day, provider_id="P1", date="2026-03-09"), inbox_messages=2)
    check(row(day, provider_id="P1", date="2026-03-10"), inbox_messages=0)
    check(row(day, provider_id="P2", date="2026-03-09"), inbox_messages=1)


# --------------------------------------------------------------------------- period level


def _vacation_month():
    evs = events(
        ev("v1", "2026-03-01 10:00:00"),
        ev("v1", "2026-03-01 10:04:00"),  # 03-01: 4 min (anchors the loaded range)
        ev("v2", "2026-03-11 09:00:00"),  # 03-11: lone event of the second login, 0 min
        ev("v1", "2026-03-12 20:00:00"),
        ev("v1", "2026-03-12 20:05:00"),  # 03-12: 5 min
        burst("v1", "2026-03-14 07:00:00", "2026-03-14 07:35:00", INBOX),  # 03-14: 7 x 5 = 35
        ev("v1", "2026-03-16 12:00:00"),
        ev("v1", "2026-03-16 12:00:30"),  # 03-16: 0.5 min
        ev("v1", "2026-03-23 09:00:00"),
        ev("v1", "2026-03-23 09:05:00"),  # 03-23 (sick): 5 min
    )
    toff = time_off(
        off("V", "2026-03-09", "2026-03-15", "vacation"),
        off("V", "2026-03-14", "2026-03-16", "pto"),  # overlaps; adds 03-16
        off("V", "2026-03-23", "2026-03-23", "sick"),
        off("V", "2026-03-24", "2026-03-24", "cme"),
    )
    ib = inbox(
        msg("V", "2026-03-10 10:00:00", "cover1"),  # PTO, colleague
        msg("V", "2026-03-10 11:00:00", "v2"),  # PTO, own second login
        msg("V", "2026-03-12 09:00:00", None),  # PTO, not completed
        msg("V", "2026-03-13 09:00:00", "v1"),  # PTO, own
        msg("V", "2026-03-20 09:00:00", "v1"),  # not a vacation day
        msg("V", "2026-03-15 23:59:59", "cover2"),  # PTO, colleague
        msg("V", "2026-03-16 00:00:30", "cover1"),  # PTO (pto block), colleague
        msg("V", "2026-03-08 23:30:00", "v1"),  # local 03-08 (UTC 03-09): not PTO
        msg("OTHER", "2026-03-10 10:00:00", "cover1"),  # another provider
    )
    provs = roster(prov("V", users=["v1", "v2"], fte=0.5), prov("OTHER"))
    return evs, provs, toff, ib


def test_vacation_and_pto_inbox_period_measures():
    evs, provs, toff, ib = _vacation_month()
    out = run_all(evs, provs, toff=toff, ib=ib, config=cfg(MARCH))
    day = out["day"]
    for r in day.filter(pl.col("provider_id") == "V").iter_rows(named=True):
        assert r["vacation_day"] is (r["date"] in dates("2026-03-09", "2026-03-16")), r
    p = row(out["period"], provider_id="V", period_start="2026-03-01")
    check(
        p,
        period_type="month",
        period_end=d("2026-03-31"),
        complete=True,
        days_in_range=31,
        vacation_days=8,  # 03-09..03-16, overlap counted once
        vacation_days_with_login=4,  # 03-11 (v2), 03-12, 03-14, 03-16
        vacation_days_with_ehr=3,  # 03-12 (5), 03-14 (35), 03-16 (0.5)
        vacation_days_over_30_min=1,  # 03-14
        vacation_ehr_minutes_per_day=40.5 / 8,  # (0 + 5 + 35 + 0.5) / 8 = 5.0625
        pto_inbox_messages=6,  # m1 m2 m3 m4 m6 m7
        pto_inbox_self_completed_share=0.4,  # completed: m1 m2 m4 m6 m7; own: m2 m4 -> 2/5
        inbox_messages=8,  # all of V's March messages
        inbox_messages_per_cfte=16.0,  # 8 / 0.5
        inbox_messages_per_week=8 / (31 / 7),  # 56/31
        inbox_messages_per_week_per_cfte=8 / (31 / 7) / 0.5,  # 112/31
        # no schedule: every active minute is WOW; 4 + 0 + 5 + 35 + 0.5 + 5 = 49.5
        wow_minutes_per_cfte=49.5 / 0.5,  # 99
        wow_minutes_per_week_per_cfte=49.5 / (31 / 7) / 0.5,  # 693/31
        scheduled_hours=0.0,
        clinic_days=0,
        ehr_time8=None,
        wow8=None,
        psh40=None,
        ehr_minutes_per_scheduled_hour=None,
        wow_minutes_per_clinic_day=None,
    )


def test_vacation_types_config_changes_vacation_days():
    evs, provs, toff, ib = _vacation_month()
    c = cfg({**MARCH, "vacation_types": ["vacation"]})
    p = row(
        run_all(evs, provs, toff=toff, ib=ib, config=c)["period"],
        provider_id="V",
        period_start="2026-03-01",
    )
    check(
        p,
        vacation_days=7,  # 03-09..03-15
        vacation_days_with_login=3,  # 03-11, 03-12, 03-14
        vacation_days_with_ehr=2,  # 03-12, 03-14
        vacation_days_over_30_min=1,
        vacation_ehr_minutes_per_day=40.0 / 7,  # (0 + 5 + 35) / 7
        pto_inbox_messages=5,  # m1 m2 m3 m4 m6
        pto_inbox_self_completed_share=0.5,  # completed m1 m2 m4 m6; own m2 m4 -> 2/4
    )


def test_provider_without_vacation_has_null_per_day_and_null_share():
    evs, provs, toff, ib = _vacation_month()
    p = row(
        run_all(evs, provs, toff=toff, ib=ib, config=cfg(MARCH))["period"],
        provider_id="OTHER",
        period_start="2026-03-01",
    )
    check(
        p,
        vacation_days=0,
        vacation_days_with_login=0,
        vacation_days_with_ehr=0,
        vacation_days_over_30_min=0,
        vacation_ehr_minutes_per_day=None,
        pto_inbox_messages=0,
        pto_inbox_self_completed_share=None,
        inbox_messages=1,
    )


def test_share_is_null_when_no_pto_message_was_completed():
    evs = events(ev("p1", "2026-03-01 10:00:00"))
    toff = time_off(off("P1", "2026-03-09", "2026-03-13", "pto"))
    ib = inbox(msg("P1", "2026-03-10 10:00:00", None), msg("P1", "2026-03-11 10:00:00", None))
    p = row(
        run_all(evs, roster(prov("P1")), toff=toff, ib=ib, config=cfg(MARCH))["period"],
        provider_id="P1",
        period_start="2026-03-01",
    )
    check(p, pto_inbox_messages=2, pto_inbox_self_completed_share=None, vacation_days=5)


def test_full_coverage_gives_share_zero_and_all_own_gives_one():
    evs = events(ev("p1", "2026-03-01 10:00:00"))
    toff = time_off(off("P1", "2026-03-09", "2026-03-13"), off("P2", "2026-03-09", "2026-03-13"))
    ib = inbox(
        msg("P1", "2026-03-10 10:00:00", "colleague"),
        msg("P1", "2026-03-11 10:00:00", "p2"),  # completed by P2's login: still a colleague
        msg("P2", "2026-03-10 10:00:00", "p2"),
    )
    per = run_all(evs, roster(prov("P1"), prov("P2")), toff=toff, ib=ib, config=cfg(MARCH))
    check(
        row(per["period"], provider_id="P1", period_start="2026-03-01"),
        pto_inbox_messages=2,
        pto_inbox_self_completed_share=0.0,
    )
    check(
        row(per["period"], provider_id="P2", period_start="2026-03-01"),
        pto_inbox_messages=1,
        pto_inbox_self_completed_share=1.0,
    )


def test_share_is_null_when_completed_by_column_is_absent_from_the_extract():
    # staging fills an absent optional column with nulls (schemas/frames.py keeps the
    # column), so the engine sees an all-null completed_by
    evs = events(ev("p1", "2026-03-01 10:00:00"))
    toff = time_off(off("P1", "2026-03-09", "2026-03-13"))
    ib = inbox(msg("P1", "2026-03-10 10:00:00", None), msg("P1", "2026-03-11 10:00:00", None))
    assert ib["completed_by"].null_count() == ib.height
    p = row(
        run_all(evs, roster(prov("P1")), toff=toff, ib=ib, config=cfg(MARCH))["period"],
        provider_id="P1",
        period_start="2026-03-01",
    )
    check(p, pto_inbox_messages=2, pto_inbox_self_completed_share=None)


def test_messages_outside_the_provider_range_are_not_counted():
    evs = events(ev("p1", "2026-03-01 10:00:00"))
    ib = inbox(
        msg("P1", "2026-03-05 10:00:00"),
        msg("P1", "2026-03-20 10:00:00"),
        msg("P1", "2026-04-02 10:00:00"),
    )  # after data_through
    out = run_all(evs, roster(prov("P1", start="2026-03-10")), ib=ib, config=cfg(MARCH))
    # provider range 03-10..03-31: only the 03-20 message counts; 22 days in range
    p = row(out["period"], provider_id="P1", period_start="2026-03-01")
    check(
        p, inbox_messages=1, days_in_range=22, complete=False, inbox_messages_per_week=1 / (22 / 7)
    )
    assert out["day"]["inbox_messages"].sum() == 1
