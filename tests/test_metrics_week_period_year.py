"""Weekly, period and trailing-year measures (CONTRACT.md section 4), hand-computed.

Every figure is a ratio of sums; schedule-based ratios are null below
min_scheduled_hours_per_week x days_in_range / 7 (default 4 h per 7 days) and when
scheduled_hours is 0. 2026-03-16 Mon .. 03-22 Sun; 2026-03-18 Wed.
"""

from __future__ import annotations

import polars as pl
import pytest

try:
    from metric_fixtures import (
        CHART,
        INBOX,
        NOTE,
        ORDER,
        RX,
        appt,
        burst,
        cfg,
        check,
        d,
        ev,
        events,
        inbox,
        msg,
        off,
        prov,
        roster,
        row,
        run_all,
        schedule,
        time_off,
    )
except ImportError:  # tests/ is a package
    from tests.metric_fixtures import (
        CHART,
        INBOX,
        NOTE,
        ORDER,
        RX,
        appt,
        burst,
        cfg,
        check,
        d,
        ev,
        events,
        inbox,
        msg,
        off,
        prov,
        roster,
        row,
        run_all,
        schedule,
        time_off,
    )

WEEK_COLUMNS = (
    "provider_id",
    "week_start",
    "days_in_range",
    "scheduled_hours",
    "clinic_days",
    "ehr_time8",
    "wow8",
    "ib_time8",
    "note_time8",
    "order_time8",
    "rx_time8",
    "wow_minutes_per_clinic_day",
    "ehr_minutes_per_scheduled_hour",
    "psh40",
    "inbox_messages",
    "inbox_messages_per_cfte",
    "wow_minutes_per_cfte",
)
SCHEDULE_RATIOS = (
    "ehr_time8",
    "wow8",
    "ib_time8",
    "note_time8",
    "order_time8",
    "rx_time8",
    "wow_minutes_per_clinic_day",
    "ehr_minutes_per_scheduled_hour",
    "psh40",
)
NULL_RATIOS = {k: None for k in SCHEDULE_RATIOS}


# --------------------------------------------------------------------------- week


def _ratio_week():
    sched = schedule(
        appt("W", "2026-03-16 08:00:00", 480),  # Mon 08:00-16:00, 8 h
        appt("W", "2026-03-17 09:00:00", 120),  # Tue 09:00-11:00, 2 h
    )
    evs = events(
        burst("w", "2026-03-16 10:00:00", "2026-03-16 11:00:00", NOTE),  # Mon 60 min in window
        burst("w", "2026-03-16 19:00:00", "2026-03-16 19:30:00", INBOX),  # Mon 30 min outside
        burst("w", "2026-03-17 09:00:00", "2026-03-17 09:20:00", ORDER),  # Tue 20 min in window
        burst("w", "2026-03-17 12:00:00", "2026-03-17 12:40:00", RX),  # Tue 40 min outside
        burst("w", "2026-03-21 10:00:00", "2026-03-21 10:10:00", CHART),  # Sat 10 min, no clinic
    )
    ib = inbox(*[msg("W", f"2026-03-16 1{i}:00:00") for i in range(3)])  # 3 messages on Mon
    provs = roster(prov("W", fte=0.8), prov("NOSCHED", users=["nosched"], fte=0.5))
    c = cfg({"data_through": "2026-03-22"})
    return run_all(evs, provs, sched, ib=ib, config=c)


def test_week_columns_and_days():
    out = _ratio_week()
    wk = out["week"]
    assert set(WEEK_COLUMNS) <= set(wk.columns)
    assert out["loaded"] == (d("2026-03-16"), d("2026-03-22"))
    assert wk.filter(pl.col("provider_id") == "W")["week_start"].to_list() == [d("2026-03-16")]
    assert wk.height == 2  # W and NOSCHED, one week each


def test_week_day_rows_of_the_ratio_case():
    day = _ratio_week()["day"]
    check(
        row(day, provider_id="W", date="2026-03-16"),
        ehr_minutes=90.0,
        wow_minutes=30.0,
        outside_slot_minutes=30.0,
        pajama_minutes=30.0,
        scheduled_minutes=480.0,
    )
    check(
        row(day, provider_id="W", date="2026-03-17"),
        ehr_minutes=60.0,
        wow_minutes=40.0,
        outside_slot_minutes=40.0,
        pajama_minutes=0.0,
        scheduled_minutes=120.0,
    )
    check(row(day, provider_id="W", date="2026-03-21"), ehr_minutes=10.0, wow_minutes=10.0)


def test_week_is_a_ratio_of_sums():
    r = row(_ratio_week()["week"], provider_id="W", week_start="2026-03-16")
    # sums: ehr 90 + 60 + 10 = 160; wow 30 + 40 + 10 = 80; outside-slot 80;
    # scheduled (480 + 120) / 60 = 10 h; 2 clinic days
    check(
        r,
        days_in_range=7,
        scheduled_hours=10.0,
        clinic_days=2,
        ehr_time8=160 / 60 / 10 * 8,  # 2.1333
        wow8=80 / 60 / 10 * 8,  # 1.0667
        ib_time8=30 / 60 / 10 * 8,  # 0.4
        note_time8=60 / 60 / 10 * 8,  # 0.8
        order_time8=20 / 60 / 10 * 8,  # 0.2667
        rx_time8=40 / 60 / 10 * 8,  # 0.5333
        wow_minutes_per_clinic_day=40.0,  # 80 / 2 (mean of daily ratios would be 35)
        ehr_minutes_per_scheduled_hour=16.0,  # 160 / 10 (mean of Mon 11.25 and Tue 30: 20.6)
        psh40=40 * 10 / (10 + 80 / 60),  # 400 / 11.333 = 35.294
        inbox_messages=3,
        inbox_messages_per_cfte=3 / 0.8,  # 3.75
        wow_minutes_per_cfte=80 / 0.8,  # 100
    )


def test_week_of_provider_without_schedule_has_null_ratios():
    r = row(_ratio_week()["week"], provider_id="NOSCHED", week_start="2026-03-16")
    check(
        r,
        days_in_range=7,
        scheduled_hours=0.0,
        clinic_days=0,
        inbox_messages=0,
        inbox_messages_per_cfte=0.0,
        wow_minutes_per_cfte=0.0,
        **NULL_RATIOS,
    )


def _threshold_weeks(extra_cfg=None):
    sched = schedule(
        appt("A", "2026-03-18 09:00:00", 180),  # Wed: 3 h in a 5-day first week
        appt("B", "2026-03-18 09:00:00", 150),  # Wed: 2.5 h in a 5-day first week
        appt("B", "2026-03-24 09:00:00", 240),  # Tue: exactly 4 h in a full week
        appt("C", "2026-03-24 09:00:00", 235),  # Tue: 3.92 h in a full week
    )
    evs = events(
        burst("a", "2026-03-18 14:00:00", "2026-03-18 14:30:00", NOTE),  # A: 30 min, all WOW
        burst("b", "2026-03-24 10:00:00", "2026-03-24 10:20:00", NOTE),  # B: 20 min in window
        burst("c", "2026-03-24 18:00:00", "2026-03-24 18:10:00", NOTE),  # C: 10 min WOW
    )
    c = cfg({"data_through": "2026-03-29", **(extra_cfg or {})})
    return run_all(evs, roster(prov("A"), prov("B"), prov("C")), sched, config=c)


def test_threshold_is_prorated_to_days_in_range():
    out = _threshold_weeks()
    assert out["loaded"] == (d("2026-03-18"), d("2026-03-29"))
    wk = out["week"]
    # first week 03-16: days in range Wed..Sun = 5 -> threshold 4 x 5 / 7 = 2.857 h
    a1 = row(wk, provider_id="A", week_start="2026-03-16")
    check(
        a1,
        days_in_range=5,
        scheduled_hours=3.0,
        clinic_days=1,
        ehr_minutes_per_scheduled_hour=10.0,  # 30 / 3
        wow_minutes_per_clinic_day=30.0,  # 30 / 1
        wow8=30 / 60 / 3 * 8,  # 1.3333
        ehr_time8=30 / 60 / 3 * 8,
        note_time8=30 / 60 / 3 * 8,
        ib_time8=0.0,
        psh40=40 * 3 / (3 + 0.5),  # 34.2857
    )
    # B, first week: 2.5 h < 2.857 h -> null
    check(
        row(wk, provider_id="B", week_start="2026-03-16"),
        scheduled_hours=2.5,
        clinic_days=1,
        **NULL_RATIOS,
    )
    # B, second week: exactly 4 h is not below 4 -> defined; 20 min all inside the window
    check(
        row(wk, provider_id="B", week_start="2026-03-23"),
        days_in_range=7,
        scheduled_hours=4.0,
        ehr_minutes_per_scheduled_hour=5.0,  # 20 / 4
        wow_minutes_per_clinic_day=0.0,
        wow8=0.0,
        psh40=40.0,
    )  # 40 x 4 / (4 + 0)
    # C, second week: 235 / 60 = 3.917 h < 4 -> null, although clinic_days = 1
    check(
        row(wk, provider_id="C", week_start="2026-03-23"),
        clinic_days=1,
        scheduled_hours=235 / 60,
        **NULL_RATIOS,
    )
    # A, second week: no clinic at all -> null
    check(row(wk, provider_id="A", week_start="2026-03-23"), scheduled_hours=0.0, **NULL_RATIOS)


def test_min_scheduled_hours_config():
    wk = _threshold_weeks({"min_scheduled_hours_per_week": 0})["week"]
    # threshold 0: B's first week (2.5 h, no events) is defined
    check(
        row(wk, provider_id="B", week_start="2026-03-16"),
        ehr_minutes_per_scheduled_hour=0.0,
        psh40=40.0,
    )
    # scheduled_hours 0 stays null (division by zero)
    check(row(wk, provider_id="A", week_start="2026-03-23"), **NULL_RATIOS)


def test_week_start_sunday():
    wk = _threshold_weeks({"week_start": "sunday"})["week"].filter(pl.col("provider_id") == "A")
    # loaded 03-18 (Wed) .. 03-29 (Sun): weeks from Sun 03-15 (4 days), 03-22 (7), 03-29 (1)
    got = sorted(zip(wk["week_start"].to_list(), wk["days_in_range"].to_list(), strict=True))
    assert got == [(d("2026-03-15"), 4), (d("2026-03-22"), 7), (d("2026-03-29"), 1)]


# --------------------------------------------------------------------------- period


def _periods(extra_cfg=None):
    # loaded 2026-02-25 (stranger's event) .. 2026-04-30 (data_through)
    sched = schedule(
        *[appt("T", f"2026-03-{dd:02d} 08:00:00", 240) for dd in (2, 9, 16, 23)],  # 16 h
        *[appt("E", f"2026-03-{dd:02d} 08:00:00", 240) for dd in (2, 9, 16, 23, 30)],  # 20 h
    )
    evs = events(
        ev("x", "2026-02-25 12:00:00"),
        burst("e", "2026-03-02 18:00:00", "2026-03-02 18:30:00", NOTE),  # E: 30 min outside
    )
    ib = inbox(
        msg("S", "2026-03-05 10:00:00"),  # before S's start: not counted
        msg("S", "2026-03-12 10:00:00"),
        msg("S", "2026-03-20 10:00:00"),
    )
    provs = roster(
        prov("S", start="2026-03-10", fte=0.5),
        prov("T"),
        prov("E", end="2026-04-15"),
    )
    c = cfg({"data_through": "2026-04-30", **(extra_cfg or {})})
    return run_all(evs, provs, sched, ib=ib, config=c)


def _keys(per, pid):
    p = per.filter(pl.col("provider_id") == pid).sort("period_start")
    return list(
        zip(
            p["period_start"].to_list(),
            p["period_end"].to_list(),
            p["days_in_range"].to_list(),
            p["complete"].to_list(),
            strict=True,
        )
    )


def test_month_periods_cut_by_start_and_end_date():
    out = _periods()
    assert out["loaded"] == (d("2026-02-25"), d("2026-04-30"))
    per = out["period"]
    assert set(per["period_type"].unique().to_list()) == {"month"}
    # S starts 03-10: no February row; March 03-10..03-31 = 22 days (partial); April whole
    assert _keys(per, "S") == [
        (d("2026-03-01"), d("2026-03-31"), 22, False),
        (d("2026-04-01"), d("2026-04-30"), 30, True),
    ]
    # T: February 02-25..02-28 = 4 days (loaded range starts 02-25), March and April whole
    assert _keys(per, "T") == [
        (d("2026-02-01"), d("2026-02-28"), 4, False),
        (d("2026-03-01"), d("2026-03-31"), 31, True),
        (d("2026-04-01"), d("2026-04-30"), 30, True),
    ]
    # E ends 04-15: April 15 days, partial
    assert _keys(per, "E") == [
        (d("2026-02-01"), d("2026-02-28"), 4, False),
        (d("2026-03-01"), d("2026-03-31"), 31, True),
        (d("2026-04-01"), d("2026-04-30"), 15, False),
    ]


def test_week_of_a_provider_starting_midweek():
    wk = _periods()["week"]
    # S starts Tue 03-10: week of Mon 03-09 has 6 days in range
    check(row(wk, provider_id="S", week_start="2026-03-09"), days_in_range=6, inbox_messages=1)
    assert wk.filter(pl.col("provider_id") == "S")["week_start"].min() == d("2026-03-09")


def test_partial_month_inbox_per_week():
    per = _periods()["period"]
    check(
        row(per, provider_id="S", period_start="2026-03-01"),
        inbox_messages=2,  # 03-12, 03-20 (03-05 is before S's start)
        inbox_messages_per_week=2 / (22 / 7),  # 0.6364
        inbox_messages_per_week_per_cfte=2 / (22 / 7) / 0.5,  # 1.2727
        inbox_messages_per_cfte=2 / 0.5,
    )


def test_month_threshold_prorated_while_weeks_pass():
    out = _periods()
    # T: 16 h in March < 4 x 31 / 7 = 17.714 h -> null in the month ...
    check(
        row(out["period"], provider_id="T", period_start="2026-03-01"),
        scheduled_hours=16.0,
        clinic_days=4,
        **NULL_RATIOS,
    )
    # ... while each of its weeks has 4 h >= 4 -> defined (no events: 0 per hour; psh40 40)
    check(
        row(out["week"], provider_id="T", week_start="2026-03-02"),
        scheduled_hours=4.0,
        ehr_minutes_per_scheduled_hour=0.0,
        psh40=40.0,
        wow_minutes_per_clinic_day=0.0,
    )
    # E: 20 h >= 17.714 -> defined; 30 min outside the 03-02 slot
    check(
        row(out["period"], provider_id="E", period_start="2026-03-01"),
        scheduled_hours=20.0,
        clinic_days=5,
        ehr_minutes_per_scheduled_hour=30 / 20,  # 1.5
        wow_minutes_per_clinic_day=30 / 5,  # 6
        wow8=0.5 / 20 * 8,  # 0.2
        note_time8=0.5 / 20 * 8,
        psh40=40 * 20 / (20 + 0.5),  # 39.0244
        wow_minutes_per_cfte=30.0,
        wow_minutes_per_week_per_cfte=30 / (31 / 7),  # 6.7742
    )


def test_quarter_periods():
    per = _periods({"reporting_period": "quarter"})["period"]
    assert set(per["period_type"].unique().to_list()) == {"quarter"}
    # T: Q1 = 02-25..03-31 = 4 + 31 = 35 days; Q2 = 04-01..04-30 = 30 days; neither complete
    assert _keys(per, "T") == [
        (d("2026-01-01"), d("2026-03-31"), 35, False),
        (d("2026-04-01"), d("2026-06-30"), 30, False),
    ]
    assert _keys(per, "S") == [
        (d("2026-01-01"), d("2026-03-31"), 22, False),
        (d("2026-04-01"), d("2026-06-30"), 30, False),
    ]
    # T's Q1: 16 h >= 4 x 35 / 7 = 20 h? no -> null
    check(row(per, provider_id="T", period_start="2026-01-01"), scheduled_hours=16.0, **NULL_RATIOS)


def test_week_periods():
    per = _periods({"reporting_period": "week"})["period"]
    assert set(per["period_type"].unique().to_list()) == {"week"}
    keys = _keys(per, "T")
    # 02-23 (Mon) .. 04-27 (Mon): 10 weeks; first 02-25..03-01 = 5 days, last 04-27..04-30 = 4
    assert len(keys) == 10
    assert keys[0] == (d("2026-02-23"), d("2026-03-01"), 5, False)
    assert keys[1] == (d("2026-03-02"), d("2026-03-08"), 7, True)
    assert keys[-1] == (d("2026-04-27"), d("2026-05-03"), 4, False)


# --------------------------------------------------------------------------- year


def _year(first_event="2025-01-01 10:00:00", extra_cfg=None):
    evs = events(ev("x", first_event))
    toff = time_off(
        off("Y1", "2025-06-02", "2025-06-13", "vacation"),  # Mon..Fri x2: 10 weekdays
        off("Y1", "2025-06-12", "2025-06-16", "pto"),  # overlap 06-12, 06-13; adds Mon 06-16
        off("Y1", "2025-09-01", "2025-09-05", "sick"),  # not a vacation type
        off("Y1", "2025-12-25", "2025-12-25", "holiday"),  # not a vacation type
        off("Y1", "2025-03-28", "2025-04-02", "vacation"),  # in window: Tue 04-01, Wed 04-02
        off("Y1", "2026-03-30", "2026-04-03", "vacation"),  # in window: Mon 03-30, Tue 03-31
        off("Y1", "2025-11-29", "2025-11-30", "vacation"),  # Sat + Sun: no weekdays
        off("Y4", "2025-04-01", "2025-04-01", "pto"),
    )
    provs = roster(
        prov("Y1"),
        prov("Y2", start="2025-06-01"),
        prov("Y3", end="2026-03-30"),
        prov("Y4", start="2025-04-01"),
    )
    c = cfg({"data_through": "2026-03-31", **(extra_cfg or {})})
    return run_all(evs, provs, toff=toff, config=c)


def test_provider_year_window_and_pto_weekdays():
    out = _year()
    yr = out["year"]
    # E = 2026-03-31; window E-364 .. E = 2025-04-01 .. 2026-03-31
    # Y2 starts 2025-06-01 and Y3 ends 2026-03-30: window not inside their range -> no row
    assert sorted(yr["provider_id"].to_list()) == ["Y1", "Y4"]
    check(
        row(yr, provider_id="Y1"),
        period_start=d("2025-04-01"),
        period_end=d("2026-03-31"),
        pto_weekdays_taken=15,  # 10 + 1 + 2 + 2 + 0
        pto_weeks_taken=3.0,  # 15 / 5
    )
    check(
        row(yr, provider_id="Y4"),
        period_start=d("2025-04-01"),
        pto_weekdays_taken=1,
        pto_weeks_taken=0.2,
    )


def test_provider_year_vacation_types_config():
    yr = _year(extra_cfg={"vacation_types": ["vacation"]})["year"]
    # without pto: 10 + 2 + 2 = 14 weekdays
    check(row(yr, provider_id="Y1"), pto_weekdays_taken=14, pto_weeks_taken=14 / 5)
    check(row(yr, provider_id="Y4"), pto_weekdays_taken=0, pto_weeks_taken=0.0)


def test_provider_year_needs_365_loaded_days():
    # loaded 2025-04-02 .. 2026-03-31 is 364 days: the window 2025-04-01.. is not inside
    assert _year(first_event="2025-04-02 10:00:00")["year"].height == 0
    # loaded 2025-04-01 .. 2026-03-31 is exactly 365 days: Y1 and Y4 get rows
    yr = _year(first_event="2025-04-01 10:00:00")["year"]
    assert sorted(yr["provider_id"].to_list()) == ["Y1", "Y4"]


def test_sums_are_exact_and_do_not_depend_on_the_order_of_the_days():
    # 45 days of sessions with gaps of odd seconds (7 s is 0.11666... min, inexact in
    # binary), and a 50-minute clinic session on each: the week and period figures are
    # ratios of the exact sums of the days' microseconds, the same bits however the day
    # rows are ordered (re-running a backfill rewrites the same numbers, bit for bit)
    import datetime as dt
    from fractions import Fraction

    from metrics.period import provider_period
    from metrics.ratios import minutes_sum
    from metrics.week import provider_week
    from schemas import frames

    rows, appts, gaps, total_s = [], [], (7, 13, 61, 290, 299), 0
    for k in range(45):
        t = dt.datetime(2026, 3, 2, 8) + dt.timedelta(days=k)
        appts.append(appt("P1", t.strftime("%Y-%m-%d 09:00:00"), 50, aid=f"A{k}"))
        for i in range(40):
            rows.append(ev("p1", t.strftime("%Y-%m-%d %H:%M:%S")))
            g = gaps[(i * 7 + k) % len(gaps)]
            t += dt.timedelta(seconds=g)
            total_s += g if i < 39 else 0  # the day's last event starts nothing
    config = cfg({"reporting_period": "quarter", "min_scheduled_hours_per_week": 0})
    provs = roster(prov("P1"))
    out = run_all(events(rows), provs, schedule(*appts), config=config)
    day = out["day"]
    shuffled = [day.sample(fraction=1.0, shuffle=True, seed=s) for s in range(6)]
    weeks = [provider_week(x, provs, config) for x in shuffled]
    periods = [provider_period(x, provs, frames.empty(frames.INBOX), config, out["loaded"])
               for x in shuffled]
    assert weeks[0]["ehr_time8"].null_count() == 0
    assert all(w.equals(weeks[0]) for w in weeks) and all(p.equals(periods[0]) for p in periods)
    assert day.select(minutes_sum(pl.col("ehr_minutes"))).item() == float(
        Fraction(total_s, 60))
    assert weeks[0]["days_in_range"].sum() == 45


_DAYS = ("2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06")


def _clinics(pids: list[str], scheduled_minutes: int, messages_per_day: int, days: int = 3):
    """Providers with the same ``days`` days from Mon 2026-03-02: a 20-minute note burst
    at 10:00 and ``messages_per_day`` messages each day, and one appointment of
    ``scheduled_minutes`` on Monday from 13:00."""
    evs, appts, msgs = [], [], []
    for pid in pids:
        for day in _DAYS[:days]:
            evs += burst(pid.lower(), f"{day} 10:00:00", f"{day} 10:20:00", NOTE)
            msgs += [msg(pid, f"{day} 08:{m:02d}:00", mid=f"{pid}{day}{m}")
                     for m in range(messages_per_day)]
        appts.append(appt(pid, "2026-03-02 13:00:00", scheduled_minutes, aid=f"{pid}A"))
    return events(*evs), roster(*(prov(p) for p in pids)), schedule(*appts), inbox(*msgs)


def test_a_providers_figures_do_not_depend_on_the_others_in_the_batch():
    # Polars divides by a literal through its reciprocal in batches of 3 rows or more and
    # exactly in smaller ones, so a plain "/ 7" gave one provider's figures different last
    # bits alone and beside three others (and a re-run on the same delivery could differ).
    # 46 messages a day for 5 days: 230 / (5 / 7) is 322.0 with 5 / 7 rounded once, but
    # 322.00000000000006 with 5 x (1/7). Figures of P1 alone and among four providers
    # must be the same bits, and the per-week figures are total x 7 / days, one rounding.
    config = cfg({"data_through": "2026-03-06"})
    alone = run_all(*_clinics(["P1"], 600, 46, 5)[:3], ib=_clinics(["P1"], 600, 46, 5)[3],
                    config=config)
    four = _clinics(["P1", "P2", "P3", "P4"], 600, 46, 5)
    among = run_all(*four[:3], ib=four[3], config=config)
    for mart in ("day", "week", "period"):
        one = alone[mart].filter(pl.col("provider_id") == "P1")
        other = among[mart].filter(pl.col("provider_id") == "P1")
        assert one.height > 0 and one.equals(other), mart
    p1 = row(alone["period"], provider_id="P1")
    assert p1["days_in_range"] == 5 and p1["inbox_messages"] == 230
    assert p1["inbox_messages_per_week"] == 322.0  # 230 x 7 / 5
    assert p1["inbox_messages_per_week_per_cfte"] == 322.0
    assert p1["wow_minutes_per_week_per_cfte"] == 140.0  # 5 x 20 min, none in clinic: 100 x 7 / 5


def test_scheduled_hours_exactly_at_the_prorated_threshold_are_enough():
    # min 4.2 h per 7 days over 3 days: 4.2 x 3 / 7 = 1.8 h = 108 min. In binary,
    # 4.2 x 3 / 7 is 1.8000000000000003 and 108 / 60 is 1.8, so a float test nulled a
    # week exactly at the threshold; the test is exact. 107 min is below it.
    config = cfg({"data_through": "2026-03-04", "min_scheduled_hours_per_week": 4.2})
    for pids in (["P1"], ["P1", "P2", "P3", "P4"]):
        at = run_all(*_clinics(pids, 108, 1)[:3], config=config)
        below = run_all(*_clinics(pids, 107, 1)[:3], config=config)
        for mart in ("week", "period"):
            keys = {"week_start": "2026-03-02"} if mart == "week" else {}
            r_at, r_below = (row(x[mart], provider_id="P1", **keys) for x in (at, below))
            assert r_at["days_in_range"] == 3 and r_at["scheduled_hours"] == pytest.approx(1.8)
            assert r_at["ehr_minutes_per_scheduled_hour"] == pytest.approx(60 / 1.8)
            check(r_below, **NULL_RATIOS)


def test_per_constant_is_the_same_in_any_batch():
    from metrics.timeutil import per_constant

    values = pl.DataFrame({"us": [7_000_000, 13_000_000, 1]})
    big = pl.concat([values] * 1000)
    for engine in ("in-memory", "streaming"):
        got = [f.lazy().select(per_constant(pl.col("us"), 60_000_000)).collect(engine=engine)
               ["us"].head(3).to_list() for f in (values.head(1), values.head(2), big)]
        assert got[0] == got[1][:1] == got[2][:1]
        assert got[1] == got[2][:2]
        assert got[2] == [v * (1 / 60_000_000) for v in (7_000_000, 13_000_000, 1)]
