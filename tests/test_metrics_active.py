"""Active EHR time (CONTRACT.md section 3) and the provider-day grid, hand-computed.

Every expected number is derived from the contract by hand; the arithmetic is in the
comment beside it. Default config: idle timeout 300 s, window span, buffer 0,
pajama weekdays 17:30-07:00 plus weekends. 2026-03-02 is a Monday.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

try:
    from metric_fixtures import (
        CATEGORY_COLUMNS,
        CHART,
        DAY_COLUMNS,
        INBOX,
        NOTE,
        ORDER,
        RX,
        UNMAPPED,
        action_map,
        burst,
        cfg,
        check,
        d,
        dates,
        ev,
        events,
        loaded_of,
        prov,
        roster,
        row,
        run_day,
    )
except ImportError:  # tests/ is a package
    from tests.metric_fixtures import (
        CATEGORY_COLUMNS,
        CHART,
        DAY_COLUMNS,
        INBOX,
        NOTE,
        ORDER,
        RX,
        UNMAPPED,
        action_map,
        burst,
        cfg,
        check,
        d,
        dates,
        ev,
        events,
        loaded_of,
        prov,
        roster,
        row,
        run_day,
    )


def zero_categories(**nonzero: float) -> dict[str, float]:
    out = {c: 0.0 for c in CATEGORY_COLUMNS}
    out.update(nonzero)
    return out


# --------------------------------------------------------------------------- basics


def test_output_columns_and_one_row_per_provider_date():
    evs = events(ev("p1", "2026-03-02 09:00:00"), ev("p1", "2026-03-04 09:00:00"))
    day = run_day(evs, roster(prov("P1"), prov("P2")))
    assert set(DAY_COLUMNS) <= set(day.columns)
    # loaded range 03-02..03-04 (3 dates) x 2 providers = 6 rows
    assert day.height == 6
    assert day.select("provider_id", "date").is_duplicated().sum() == 0
    assert sorted(day["date"].unique().to_list()) == dates("2026-03-02", "2026-03-04")
    assert day.schema["date"] == pl.Date


def test_simple_sequence_categories_from_the_earlier_event():
    evs = events(
        ev("p1", "2026-03-02 09:00:00", NOTE),
        ev("p1", "2026-03-02 09:04:00", ORDER),  # gap 240 s -> notes 4 min
        ev("p1", "2026-03-02 09:06:00", RX),  # gap 120 s -> orders 2 min
        # last event counts nothing
    )
    r = row(run_day(evs, roster(prov("P1"))), provider_id="P1", date="2026-03-02")
    check(r, ehr_minutes=6.0, **zero_categories(notes_minutes=4.0, orders_minutes=2.0))


def test_idle_gap_exactly_at_timeout_is_active_one_second_over_is_idle():
    evs = events(
        ev("p1", "2026-03-02 10:00:00", NOTE),
        ev("p1", "2026-03-02 10:05:00", ORDER),  # gap 300 s == timeout -> active, notes 5 min
        ev("p1", "2026-03-02 10:10:01", RX),  # gap 301 s > timeout -> idle
        ev("p1", "2026-03-02 10:15:01", RX),  # gap 300 s -> active, prescriptions 5 min
    )
    r = row(run_day(evs, roster(prov("P1"))), provider_id="P1", date="2026-03-02")
    # ehr = 5 + 5 = 10; the 301 s gap (orders) counts nothing
    check(r, ehr_minutes=10.0, **zero_categories(notes_minutes=5.0, prescriptions_minutes=5.0))


def test_idle_timeout_config_60_seconds():
    evs = events(
        ev("p1", "2026-03-02 09:00:00", NOTE),
        ev("p1", "2026-03-02 09:01:00", NOTE),  # 60 s == 60 -> active 1 min
        ev("p1", "2026-03-02 09:02:01", NOTE),  # 61 s -> idle
        ev("p1", "2026-03-02 09:02:31", NOTE),  # 30 s -> active 0.5 min
    )
    provs = roster(prov("P1"))
    r60 = row(
        run_day(evs, provs, config=cfg({"idle_timeout_seconds": 60})),
        provider_id="P1",
        date="2026-03-02",
    )
    check(r60, ehr_minutes=1.5, notes_minutes=1.5)  # 1 + 0.5


def test_idle_timeout_300_sum_is_exact_seconds():
    evs = events(
        ev("p1", "2026-03-02 09:00:00", NOTE),
        ev("p1", "2026-03-02 09:01:00", NOTE),
        ev("p1", "2026-03-02 09:02:01", NOTE),
        ev("p1", "2026-03-02 09:02:31", NOTE),
    )
    r = row(run_day(evs, roster(prov("P1"))), provider_id="P1", date="2026-03-02")
    check(r, ehr_minutes=151 / 60, notes_minutes=151 / 60)  # 60 + 61 + 30 = 151 s


def test_events_sharing_an_instant_use_category_priority():
    evs = events(
        # 09:00:00: chart_review, other, orders, notes -> notes
        ev("p1", "2026-03-02 09:00:00", CHART),
        ev("p1", "2026-03-02 09:00:00", UNMAPPED),
        ev("p1", "2026-03-02 09:00:00", ORDER),
        ev("p1", "2026-03-02 09:00:00", NOTE),
        # 09:02:00: inbox + orders -> orders   (notes 120 s = 2 min)
        ev("p1", "2026-03-02 09:02:00", INBOX),
        ev("p1", "2026-03-02 09:02:00", ORDER),
        # 09:05:00: other + chart_review -> chart_review   (orders 180 s = 3 min)
        ev("p1", "2026-03-02 09:05:00", UNMAPPED),
        ev("p1", "2026-03-02 09:05:00", CHART),
        # 09:09:00: other, prescriptions, inbox -> prescriptions   (chart 240 s = 4 min)
        ev("p1", "2026-03-02 09:09:00", UNMAPPED),
        ev("p1", "2026-03-02 09:09:00", RX),
        ev("p1", "2026-03-02 09:09:00", INBOX),
        # 09:10:00: inbox + chart_review -> inbox   (prescriptions 60 s = 1 min)
        ev("p1", "2026-03-02 09:10:00", CHART),
        ev("p1", "2026-03-02 09:10:00", INBOX),
        # 09:15:00: other alone   (inbox 300 s = 5 min)
        ev("p1", "2026-03-02 09:15:00", UNMAPPED),
        # 09:16:30: notes   (other 90 s = 1.5 min); last event counts nothing
        ev("p1", "2026-03-02 09:16:30", NOTE),
    )
    r = row(run_day(evs, roster(prov("P1"))), provider_id="P1", date="2026-03-02")
    check(
        r,
        notes_minutes=2.0,
        orders_minutes=3.0,
        chart_review_minutes=4.0,
        prescriptions_minutes=1.0,
        inbox_minutes=5.0,
        other_minutes=1.5,
        ehr_minutes=16.5,  # 2 + 3 + 4 + 1 + 5 + 1.5; zero gaps add nothing
    )


def test_unmapped_action_is_other_and_actions_are_normalized():
    evs = events(
        ev("p1", "2026-03-02 08:00:00", "  clinical NOTE signed  "),  # strip + casefold -> notes
        ev("p1", "2026-03-02 08:03:00", UNMAPPED),  # notes 180 s = 3 min
        ev("p1", "2026-03-02 08:04:30", NOTE),  # other 90 s = 1.5 min
    )
    r = row(run_day(evs, roster(prov("P1"))), provider_id="P1", date="2026-03-02")
    check(r, ehr_minutes=4.5, **zero_categories(notes_minutes=3.0, other_minutes=1.5))


def test_actions_match_after_full_case_folding():
    # CONTRACT 1: "An action matches the map exactly after trimming and case folding".
    # str.casefold() maps "ß" to "ss"; the map holds "befund gemäss plan signiert".
    amap = action_map({"Befund gemäß Plan signiert": "notes"})
    assert "befund gemäss plan signiert" in amap["action"].to_list()
    evs = events(
        ev("p1", "2026-03-02 08:00:00", "Befund gemäß Plan signiert"),  # folds to ...gemäss...
        ev("p1", "2026-03-02 08:02:00", "BEFUND GEMÄSS PLAN SIGNIERT"),  # notes 2 min
        ev("p1", "2026-03-02 08:05:00", NOTE),  # notes 3 min
    )
    check(
        row(run_day(evs, roster(prov("P1")), amap=amap), provider_id="P1", date="2026-03-02"),
        ehr_minutes=5.0,
        **zero_categories(notes_minutes=5.0),  # 2 + 3; none of it "other"
    )


def test_two_logins_of_one_provider_are_merged():
    evs = events(
        ev("u1a", "2026-03-02 09:00:00", NOTE),
        ev("u1b", "2026-03-02 09:04:00", ORDER),  # merged: notes 240 s = 4 min
        ev("u1a", "2026-03-02 09:08:00", NOTE),  # orders 240 s = 4 min
    )
    # unmerged, u1a alone would have one 480 s (idle) gap: 0 minutes
    day = run_day(evs, roster(prov("P1", users=["u1a", "u1b"])))
    assert set(day["provider_id"].unique().to_list()) == {"P1"}
    assert day.height == 1  # one date, one provider (not one row per login)
    check(
        row(day, provider_id="P1", date="2026-03-02"),
        ehr_minutes=8.0,
        notes_minutes=4.0,
        orders_minutes=4.0,
    )


def test_interval_straddling_midnight_is_split_across_two_dates():
    evs = events(
        ev("p1", "2026-03-03 23:58:00", INBOX),
        ev("p1", "2026-03-04 00:03:00", NOTE),  # gap 300 s -> active inbox 5 min
    )
    day = run_day(evs, roster(prov("P1")))
    assert day.height == 2
    # 23:58 -> 24:00 = 2 min on Tue 03-03 (after 17:30 -> pajama); unscheduled -> wow
    check(
        row(day, provider_id="P1", date="2026-03-03"),
        ehr_minutes=2.0,
        inbox_minutes=2.0,
        pajama_minutes=2.0,
        wow_minutes=2.0,
        outside_slot_minutes=2.0,
    )
    # 00:00 -> 00:03 = 3 min on Wed 03-04 (before 07:00 -> pajama)
    check(
        row(day, provider_id="P1", date="2026-03-04"),
        ehr_minutes=3.0,
        inbox_minutes=3.0,
        notes_minutes=0.0,
        pajama_minutes=3.0,
        wow_minutes=3.0,
        outside_slot_minutes=3.0,
    )


# --------------------------------------------------------------------------- roster


def test_provider_with_no_events_gets_zero_rows():
    evs = events(ev("p1", "2026-03-02 09:00:00"), ev("p1", "2026-03-04 09:02:00"))
    day = run_day(evs, roster(prov("P1"), prov("P2")))
    p2 = day.filter(pl.col("provider_id") == "P2").sort("date")
    assert p2["date"].to_list() == dates("2026-03-02", "2026-03-04")  # all 3 dates
    for r in p2.iter_rows(named=True):
        check(
            r,
            ehr_minutes=0.0,
            **zero_categories(),
            scheduled_minutes=0.0,
            appointments=0,
            unscheduled_day=True,
            wow_minutes=0.0,
            outside_slot_minutes=0.0,
            pajama_minutes=0.0,
            inbox_messages=0,
            vacation_day=False,
            vacation_login=False,
        )
    # no nulls anywhere in the zero rows
    assert p2.null_count().sum_horizontal().item() == 0


def test_events_only_user_not_in_roster_is_not_a_provider_but_extends_the_range():
    evs = events(
        ev("stranger", "2026-03-01 10:00:00", NOTE),
        ev("stranger", "2026-03-01 10:04:00", NOTE),
        ev("p1", "2026-03-02 09:00:00", NOTE),
        ev("p1", "2026-03-02 09:02:00", NOTE),  # 2 min
    )
    day = run_day(evs, roster(prov("P1")))
    assert set(day["provider_id"].to_list()) == {"P1"}
    # the loaded range starts at the stranger's first date, so P1 has a zero row on 03-01
    assert sorted(day["date"].to_list()) == dates("2026-03-01", "2026-03-02")
    check(row(day, provider_id="P1", date="2026-03-01"), ehr_minutes=0.0)
    check(row(day, provider_id="P1", date="2026-03-02"), ehr_minutes=2.0)


def test_start_and_end_date_cut_the_provider_range():
    evs = events(
        ev("p1", "2026-03-02 09:00:00"),
        ev("p1", "2026-03-02 09:05:00"),  # 5 min on 03-02, before P1's start
        ev("p1", "2026-03-03 09:00:00"),
        ev("p1", "2026-03-03 09:01:00"),  # 1 min on 03-03
        ev("x", "2026-03-06 12:00:00"),
    )
    day = run_day(evs, roster(prov("P1", start="2026-03-03", end="2026-03-05")))
    # loaded 03-02..03-06 cut to 03-03..03-05
    assert sorted(day["date"].to_list()) == dates("2026-03-03", "2026-03-05")
    check(row(day, provider_id="P1", date="2026-03-03"), ehr_minutes=1.0)


# --------------------------------------------------------------------------- loaded range


def test_loaded_range_uses_local_dates_and_data_through():
    evs = events(
        ev("a", "2026-03-01 23:30:00"),  # 2026-03-02 04:30 UTC, local date 03-01
        ev("b", "2026-03-05 23:30:00"),  # 2026-03-06 04:30 UTC, local date 03-05
    )
    assert loaded_of(evs) == (d("2026-03-01"), d("2026-03-05"))
    assert loaded_of(evs, cfg({"data_through": "2026-03-10"})) == (d("2026-03-01"), d("2026-03-10"))


def test_loaded_range_of_no_events_is_none():
    assert loaded_of(events()) is None


def test_loaded_range_includes_users_not_in_any_roster():
    evs = events(ev("nobody", "2026-02-27 08:00:00"), ev("p1", "2026-03-02 08:00:00"))
    assert loaded_of(evs) == (d("2026-02-27"), d("2026-03-02"))


# --------------------------------------------------------------------------- daylight saving


def test_spring_forward_gap_is_three_real_minutes():
    # 2026-03-08 (Sunday): 01:58 EST = 06:58 UTC; 03:01 EDT = 07:01 UTC -> 180 s <= 300 -> active
    evs = events(ev("p1", "2026-03-08 01:58:00", NOTE), ev("p1", "2026-03-08 03:01:00", ORDER))
    day = run_day(evs, roster(prov("P1")))
    assert day["date"].to_list() == [d("2026-03-08")]
    # 3 min notes; Sunday -> all pajama; unscheduled -> all wow
    check(
        row(day, provider_id="P1", date="2026-03-08"),
        ehr_minutes=3.0,
        notes_minutes=3.0,
        pajama_minutes=3.0,
        wow_minutes=3.0,
    )


def test_spring_forward_day_has_23_hours():
    # events every 300 s of real time from 03-08 00:00 EST (05:00 UTC) to 03-09 00:00 EDT
    # (04:00 UTC): 23 h of instants -> 276 active 5-minute gaps = 1380 min, all on 03-08
    start = dt.datetime(2026, 3, 8, 5, 0, tzinfo=dt.UTC)
    ts = [start + dt.timedelta(seconds=300 * i) for i in range(277)]
    assert ts[-1] == dt.datetime(2026, 3, 9, 4, 0, tzinfo=dt.UTC)
    evs = events(*[ev("p1", t, INBOX) for t in ts])
    day = run_day(evs, roster(prov("P1")))
    check(
        row(day, provider_id="P1", date="2026-03-08"),
        ehr_minutes=1380.0,
        inbox_minutes=1380.0,
        pajama_minutes=1380.0,
        wow_minutes=1380.0,
    )  # Sunday, unscheduled
    check(row(day, provider_id="P1", date="2026-03-09"), ehr_minutes=0.0)  # last event: nothing


def test_fall_back_repeated_hour_is_ordered_by_instant():
    # 2026-11-01 (Sunday): 01:59 EDT = 05:59 UTC; 01:01 EST = 06:01 UTC -> 120 s apart
    evs = events(
        ev("p1", "2026-11-01 01:59:00-04:00", ORDER),
        ev("p1", "2026-11-01 01:01:00-05:00", NOTE),
        ev("p1", "2026-11-01 01:04:00-05:00", NOTE),  # 180 s later (notes 3 min)
    )
    day = run_day(evs, roster(prov("P1")))
    # orders 2 + notes 3 = 5 min on local date 11-01 (a local-clock sort would give nonsense)
    check(
        row(day, provider_id="P1", date="2026-11-01"),
        ehr_minutes=5.0,
        orders_minutes=2.0,
        notes_minutes=3.0,
        pajama_minutes=5.0,
    )


def test_fall_back_naive_repeated_hour_takes_earlier_instant():
    # naive 01:30 and 01:33 both read as EDT (earlier): 180 s apart -> 3 min
    evs = events(ev("p1", "2026-11-01 01:30:00", NOTE), ev("p1", "2026-11-01 01:33:00", NOTE))
    check(
        row(run_day(evs, roster(prov("P1"))), provider_id="P1", date="2026-11-01"), ehr_minutes=3.0
    )


def test_fall_back_day_has_25_hours():
    # every 300 s from 11-01 00:00 EDT (04:00 UTC) to 11-02 00:00 EST (05:00 UTC): 25 h
    start = dt.datetime(2026, 11, 1, 4, 0, tzinfo=dt.UTC)
    ts = [start + dt.timedelta(seconds=300 * i) for i in range(301)]
    assert ts[-1] == dt.datetime(2026, 11, 2, 5, 0, tzinfo=dt.UTC)
    evs = events(*[ev("p1", t, CHART) for t in ts])
    day = run_day(evs, roster(prov("P1")))
    # 300 gaps x 5 min = 1500 min on 11-01
    check(
        row(day, provider_id="P1", date="2026-11-01"),
        ehr_minutes=1500.0,
        chart_review_minutes=1500.0,
    )
    check(row(day, provider_id="P1", date="2026-11-02"), ehr_minutes=0.0)


def test_midnight_split_on_the_evening_before_spring_forward():
    # 03-07 23:58 EST -> 03-08 00:02 EST: 2 min on Saturday, 2 min on Sunday
    evs = events(ev("p1", "2026-03-07 23:58:00"), ev("p1", "2026-03-08 00:02:00"))
    day = run_day(evs, roster(prov("P1")))
    check(row(day, provider_id="P1", date="2026-03-07"), ehr_minutes=2.0)
    check(row(day, provider_id="P1", date="2026-03-08"), ehr_minutes=2.0)


def test_long_burst_over_several_hours():
    # a burst every 240 s from 08:00 to 12:00 -> 60 gaps x 4 min = 240 min notes
    evs = events(burst("p1", "2026-03-02 08:00:00", "2026-03-02 12:00:00", NOTE, step=240))
    check(
        row(run_day(evs, roster(prov("P1"))), provider_id="P1", date="2026-03-02"),
        ehr_minutes=240.0,
        notes_minutes=240.0,
        pajama_minutes=0.0,
    )


# --------------------------------------------------------------------------- edges


def test_same_instant_on_two_logins_of_one_provider_uses_priority():
    evs = events(
        ev("u1b", "2026-03-02 09:00:00", ORDER),
        ev("u1a", "2026-03-02 09:00:00", NOTE),  # same instant, other login: notes wins
        ev("u1b", "2026-03-02 09:03:00", INBOX),  # notes 3 min
    )
    day = run_day(evs, roster(prov("P1", users=["u1a", "u1b"])))
    check(
        row(day, provider_id="P1", date="2026-03-02"),
        ehr_minutes=3.0,
        **zero_categories(notes_minutes=3.0),
    )


def test_one_microsecond_over_the_timeout_is_idle():
    evs = events(
        ev("p1", "2026-03-02 10:00:00"),
        ev("p1", "2026-03-02 10:05:00.000001"),  # 300.000001 s > 300 -> idle
        ev("p1", "2026-03-02 10:06:00.000001"),  # 60 s -> 1 min
    )
    check(
        row(run_day(evs, roster(prov("P1"))), provider_id="P1", date="2026-03-02"), ehr_minutes=1.0
    )


def test_interval_from_the_day_before_start_date_counts_after_midnight():
    evs = events(
        ev("x", "2026-03-01 12:00:00"),
        ev("p1", "2026-03-02 23:58:00"),
        ev("p1", "2026-03-03 00:02:00"),  # 23:58 -> 00:02: 2 min on 03-02, 2 min on 03-03
    )
    day = run_day(evs, roster(prov("P1", start="2026-03-03")))
    assert day["date"].to_list() == [d("2026-03-03")]  # range 03-03 .. 03-03
    # the seconds after midnight lie in P1's range: 2 min
    check(row(day, provider_id="P1", date="2026-03-03"), ehr_minutes=2.0, pajama_minutes=2.0)


def test_minutes_before_midnight_of_data_through_count():
    evs = events(
        ev("p1", "2026-03-02 23:58:00"),
        ev("p1", "2026-03-03 00:02:00"),  # 2 min on 03-02; 03-03 is after data_through
        ev("p1", "2026-03-04 09:00:00"),
    )
    day = run_day(evs, roster(prov("P1")), config=cfg({"data_through": "2026-03-02"}))
    assert day["date"].to_list() == [d("2026-03-02")]
    check(row(day, provider_id="P1", date="2026-03-02"), ehr_minutes=2.0)


def test_loaded_range_ends_at_data_through_even_before_the_last_event():
    evs = events(ev("a", "2026-03-02 08:00:00"), ev("a", "2026-03-05 08:00:00"))
    assert loaded_of(evs, cfg({"data_through": "2026-03-03"})) == (
        d("2026-03-02"),
        d("2026-03-03"),
    )


def test_provider_starting_after_the_loaded_range_has_no_rows():
    evs = events(ev("p1", "2026-03-02 08:00:00"), ev("p1", "2026-03-03 08:00:00"))
    day = run_day(evs, roster(prov("P1"), prov("LATE", start="2026-04-01")))
    assert day.filter(pl.col("provider_id") == "LATE").height == 0
    assert day.filter(pl.col("provider_id") == "P1").height == 2


def _instants_frame(providers: list[str], rows: list[tuple[str, dt.datetime, str]]
                    ) -> pl.DataFrame:
    from metrics.categories import CATEGORY

    return pl.DataFrame(rows, schema={"provider_id": pl.String,
                                      "event_time": pl.Datetime("us", "UTC"),
                                      "category": pl.String}, orient="row").with_columns(
        pl.col("provider_id").cast(pl.Enum(providers)), pl.col("category").cast(CATEGORY))


def test_provider_instants_sort_key_is_exact_in_64_and_128_bits():
    """Both sort keys give one row per provider and instant, the higher-ranked category
    kept, instants in order: a batch spanning one day (64-bit key) and one of 2,000
    provider codes spanning three centuries (too wide for 64 bits: the 128-bit key)."""
    from metrics.active import _sort_key, provider_instants

    utc = dt.UTC
    narrow = [
        ("p2", dt.datetime(2026, 3, 2, 9, 0, 1, tzinfo=utc), "other"),
        ("p1", dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=utc), "inbox"),
        ("p2", dt.datetime(2026, 3, 2, 9, 0, 1, tzinfo=utc), "orders"),
        ("p1", dt.datetime(2026, 3, 2, 8, 59, 59, 999999, tzinfo=utc), "other"),
        ("p1", dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=utc), "notes"),
    ]
    wide = [
        ("p1999", dt.datetime(2200, 1, 1, tzinfo=utc), "other"),
        ("p0", dt.datetime(1900, 1, 1, tzinfo=utc), "chart_review"),
        ("p1999", dt.datetime(1900, 1, 1, tzinfo=utc), "other"),
        ("p1999", dt.datetime(2200, 1, 1, tzinfo=utc), "prescriptions"),
        ("p0", dt.datetime(2200, 1, 1, tzinfo=utc), "notes"),
    ]
    many = [f"p{i}" for i in range(2000)]
    cases = [(["p1", "p2"], narrow, pl.UInt64), (many, wide, pl.Int128)]
    expected = [
        [("p1", dt.datetime(2026, 3, 2, 8, 59, 59, 999999, tzinfo=utc), "other"),
         ("p1", dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=utc), "notes"),
         ("p2", dt.datetime(2026, 3, 2, 9, 0, 1, tzinfo=utc), "orders")],
        [("p0", dt.datetime(1900, 1, 1, tzinfo=utc), "chart_review"),
         ("p0", dt.datetime(2200, 1, 1, tzinfo=utc), "notes"),
         ("p1999", dt.datetime(1900, 1, 1, tzinfo=utc), "other"),
         ("p1999", dt.datetime(2200, 1, 1, tzinfo=utc), "prescriptions")],
    ]
    for (providers, rows, dtype), want in zip(cases, expected, strict=True):
        frame = _instants_frame(providers, rows)
        assert frame.select(_sort_key(frame)).to_series().dtype == dtype
        out = provider_instants(frame.lazy()).collect()
        got = [(str(p), t, str(c)) for p, t, c in out.iter_rows()]
        assert got == want
