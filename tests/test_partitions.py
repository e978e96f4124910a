"""Daily partitions, backfills and deliveries that touch some days (issue 5).

Hand-built deliveries in America/New_York, idle timeout 300 s. Provider P1 (login u1):

- 2026-03-03 10:00 -> 10:04: 4 active minutes (notes);
- 2026-03-03 23:58 -> 2026-03-04 00:02: 2 minutes on each date (crosses midnight);
- 2026-03-04 00:02 -> 00:05: 3 minutes; 10:00 -> 10:01: 1 minute;
- 2026-03-07 23:59 -> 2026-03-08 00:01: 1 minute on each date; 2026-03-08 is the
  23-hour day (clocks go forward at 02:00), and 03:00 -> 03:03 EDT adds 3 minutes;
- 2026-03-10 09:00 -> 09:10: 10 minutes in two 5-minute steps.

So ehr_minutes by date: 03-03 6, 03-04 6, 03-07 1, 03-08 4, 03-10 10, other dates 0.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli import cli
from pipelines.definitions import definitions_for
from pipelines.partitions import dates_to_compute, day_partitions
from pipelines.runner import RunFailed, backfill_pipeline, run_pipeline
from pipelines.sensors import rebuild_request
from schemas.config import load_config

PROVIDERS = ("provider_id,user_id,department,specialty,role,clinical_fte\n"
             "P1,u1,Medicine,Internal Medicine,physician,1.0\n")
SCHEDULE = ("appointment_id,provider_id,start_time,duration_minutes,status\n"
            "A1,P1,2026-03-03 09:00:00,60,completed\n"
            "A2,P1,2026-03-04 09:00:00,60,completed\n")
NOTE = "Clinical Note Signed"
BEFORE_MIDNIGHT = "u1,2026-03-03 23:58:00," + NOTE
AFTER_MIDNIGHT = "u1,2026-03-04 00:02:00," + NOTE
OTHER_EVENTS = [
    "u1,2026-03-03 10:00:00," + NOTE, "u1,2026-03-03 10:04:00," + NOTE,
    "u1,2026-03-04 00:05:00," + NOTE,
    "u1,2026-03-04 10:00:00," + NOTE, "u1,2026-03-04 10:01:00," + NOTE,
    "u1,2026-03-07 23:59:00," + NOTE, "u1,2026-03-08 00:01:00," + NOTE,
    "u1,2026-03-08 03:00:00," + NOTE, "u1,2026-03-08 03:03:00," + NOTE,
    "u1,2026-03-10 09:00:00," + NOTE, "u1,2026-03-10 09:05:00," + NOTE,
    "u1,2026-03-10 09:10:00," + NOTE,
]
EXPECTED = {"2026-03-03": 6.0, "2026-03-04": 6.0, "2026-03-07": 1.0, "2026-03-08": 4.0,
            "2026-03-10": 10.0}
#: Tables whose rows carry run-specific values (run ids, times).
RUN_LOGS = {"marts.methods", "core.day_basis"}


def _events(lines: list[str]) -> str:
    return "user_id,event_time,action\n" + "".join(line + "\n" for line in lines)


def _delivery(folder: Path, events: list[str], roster: bool = True) -> Path:
    folder.mkdir(parents=True)
    (folder / "events.csv").write_text(_events(events))
    if roster:
        (folder / "providers.csv").write_text(PROVIDERS)
        (folder / "schedule.csv").write_text(SCHEDULE)
    return folder


def _config(tmp_path: Path, **extra: str) -> Path:
    lines = ["deployment:", "  partition_start: 2026-03-01", "data_start: 2026-01-01",
             *(f"{k}: {v}" for k, v in extra.items())]
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _minutes(warehouse: Path) -> dict[str, float]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("SELECT date, ehr_minutes FROM marts.provider_day "
                           "WHERE provider_id = 'P1' ORDER BY date").fetchall()
    finally:
        con.close()
    return {d.isoformat(): round(m, 9) for d, m in rows}


def _expected(first: str = "2026-03-03", last: str = "2026-03-10") -> dict[str, float]:
    lo, hi = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    days = [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]
    return {d.isoformat(): EXPECTED.get(d.isoformat(), 0.0) for d in days}


def _tables(warehouse: Path) -> dict[str, list[tuple]]:
    """Every core and marts table's rows (sorted), without the run logs."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = [f"{s}.{t}" for s, t in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE schema_name IN ('core', 'marts') ORDER BY ALL").fetchall()]
        out = {}
        for name in names:
            if name in RUN_LOGS:
                continue
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name || '.' || "
                "table_name = ? ORDER BY column_index", [name]).fetchall()]
            out[name] = con.execute(f"SELECT {', '.join(cols)} FROM {name} ORDER BY ALL"
                                    ).fetchall()
        return out
    finally:
        con.close()


def _tamper(warehouse: Path, sql: str) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(sql)
    finally:
        con.close()


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    return _config(tmp_path)


@pytest.fixture()
def full_run(tmp_path: Path, config: Path) -> Path:
    """One delivery with every event, loaded into a fresh warehouse."""
    folder = _delivery(tmp_path / "all", [BEFORE_MIDNIGHT, AFTER_MIDNIGHT, *OTHER_EVENTS])
    warehouse = tmp_path / "full" / "ehrlog.duckdb"
    outcome = run_pipeline(folder, warehouse, config, demo=True)
    assert outcome.days == ("2026-03-02", "2026-03-11")  # touched dates, one day each side
    return warehouse


def test_one_delivery_gives_the_hand_computed_minutes(full_run: Path) -> None:
    assert _minutes(full_run) == _expected()


@pytest.mark.parametrize("late", [BEFORE_MIDNIGHT, AFTER_MIDNIGHT],
                         ids=["late-day-before-midnight", "late-day-after-midnight"])
def test_an_interval_across_midnight_is_right_whichever_delivery_brought_each_side(
        tmp_path: Path, config: Path, full_run: Path, late: str) -> None:
    early = [e for e in (BEFORE_MIDNIGHT, AFTER_MIDNIGHT) if e != late]
    warehouse = tmp_path / "split" / "ehrlog.duckdb"
    run_pipeline(_delivery(tmp_path / "first", [*early, *OTHER_EVENTS]), warehouse, config,
                 demo=True)
    before = _minutes(warehouse)
    assert before["2026-03-03"] + before["2026-03-04"] == 4.0 + 1.0 + (
        3.0 if late == BEFORE_MIDNIGHT else 0.0)  # the crossing interval is not there yet
    outcome = run_pipeline(_delivery(tmp_path / "late", [late], roster=False), warehouse,
                           config, demo=True)
    late_day = dt.date.fromisoformat(late.split(",")[1][:10])
    assert outcome.days == ((late_day - dt.timedelta(days=1)).isoformat(),
                            (late_day + dt.timedelta(days=1)).isoformat())
    assert _minutes(warehouse) == _expected()
    assert _tables(warehouse) == _tables(full_run)


def test_a_delivery_recomputes_only_the_dates_it_touched(tmp_path: Path, config: Path) -> None:
    warehouse = tmp_path / "wh" / "ehrlog.duckdb"
    run_pipeline(_delivery(tmp_path / "first", OTHER_EVENTS), warehouse, config, demo=True)
    # Mark a far-away row: a run that recomputed every date would overwrite it.
    _tamper(warehouse, "UPDATE marts.provider_day SET ehr_minutes = 999 "
                       "WHERE date = DATE '2026-03-10'")
    outcome = run_pipeline(_delivery(tmp_path / "late", [BEFORE_MIDNIGHT], roster=False),
                           warehouse, config, demo=True)
    assert outcome.days == ("2026-03-02", "2026-03-04")
    minutes = _minutes(warehouse)
    assert minutes["2026-03-10"] == 999  # untouched
    assert minutes["2026-03-03"] == 4.0 + 0.0  # 23:58 -> 00:05 is a 7-minute gap: idle
    assert minutes["2026-03-04"] == 1.0  # 00:05 follows 03-03 10:04: idle; 10:00 -> 10:01


MARCH_3 = OTHER_EVENTS[:2]  # 2026-03-03 10:00 and 10:04
MARCH_10 = OTHER_EVENTS[-3:]  # 2026-03-10 09:00, 09:05 and 09:10


@pytest.mark.parametrize(("first", "then"), [(MARCH_10, MARCH_3), (MARCH_3, MARCH_10)],
                         ids=["range-start-moves-earlier", "range-end-moves-over-a-gap"])
def test_dates_a_delivery_brings_into_the_range_get_their_rows(
        tmp_path: Path, config: Path, first: list[str], then: list[str]) -> None:
    """A later delivery that moves the loaded range's first or last date brings in dates
    it did not touch (03-05 .. 03-08 here, with no event at all); every one of them gets
    its zero rows, exactly as if both deliveries had come as one."""
    warehouse = tmp_path / "two" / "ehrlog.duckdb"
    run_pipeline(_delivery(tmp_path / "first", first), warehouse, config, demo=True)
    outcome = run_pipeline(_delivery(tmp_path / "then", then, roster=False), warehouse,
                           config, demo=True)
    assert outcome.days in (("2026-03-02", "2026-03-04"), ("2026-03-09", "2026-03-11"))
    minutes = _minutes(warehouse)
    assert list(minutes) == list(_expected())  # every date 03-03 .. 03-10, in order
    assert minutes["2026-03-03"] == 4.0 and minutes["2026-03-10"] == 10.0
    assert all(minutes[f"2026-03-0{d}"] == 0.0 for d in range(4, 10))
    once = tmp_path / "once" / "ehrlog.duckdb"
    run_pipeline(_delivery(tmp_path / "both", [*first, *then]), once, config, demo=True)
    assert _tables(warehouse) == _tables(once)


def _day_row(warehouse: Path, day: str) -> tuple:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "SELECT ehr_minutes, scheduled_minutes, wow_minutes, outside_slot_minutes, "
            "unscheduled_day FROM marts.provider_day WHERE provider_id = 'P1' AND date = ?",
            [dt.date.fromisoformat(day)]).fetchone()
    finally:
        con.close()


def test_deliveries_of_one_kind_each_publish_and_add_up(tmp_path: Path, config: Path) -> None:
    """CONTRACT.md section 1: a delivery may hold any subset of the kinds, and an empty
    extract is valid. A roster alone, then events alone (no appointment ever: the day is
    unscheduled and all of it is WOW), then one appointment: each run publishes, the
    absent kinds are reported by non-blocking checks, and the end equals one delivery."""
    warehouse = tmp_path / "wh" / "ehrlog.duckdb"
    slot = "A9,P1,2026-03-03 09:30:00,60,completed\n"  # 09:30-10:30 covers 10:00-10:04
    parts = {"roster": {"providers.csv": PROVIDERS, "schedule.csv": SCHEDULE.splitlines()[0]
                        + "\n"},  # header-only
             "events": {"events.csv": _events(MARCH_3)},
             "slots": {"schedule.csv": SCHEDULE.splitlines()[0] + "\n" + slot}}
    for name, files in parts.items():
        (tmp_path / name).mkdir()
        for file, text in files.items():
            (tmp_path / name / file).write_text(text)
    failed = [sorted(c.name for c in run_pipeline(tmp_path / name, warehouse, config,
                                                  demo=True).failed_checks)
              for name in ("roster", "events")]
    assert failed == [["events_fresh", "schedule_present"], ["events_fresh", "schedule_present"]]
    assert _day_row(warehouse, "2026-03-03") == (4.0, 0.0, 4.0, 4.0, True)
    outcome = run_pipeline(tmp_path / "slots", warehouse, config, demo=True)
    assert [c.name for c in outcome.failed_checks] == ["events_fresh"]
    assert _day_row(warehouse, "2026-03-03") == (4.0, 60.0, 0.0, 0.0, False)
    (tmp_path / "all").mkdir()
    for file, text in {"providers.csv": PROVIDERS, "events.csv": _events(MARCH_3),
                       "schedule.csv": SCHEDULE.splitlines()[0] + "\n" + slot}.items():
        (tmp_path / "all" / file).write_text(text)
    once = tmp_path / "once" / "ehrlog.duckdb"
    run_pipeline(tmp_path / "all", once, config, demo=True)
    assert _tables(warehouse) == _tables(once)


def test_a_grid_that_did_not_record_its_range_is_rebuilt_in_full(
        tmp_path: Path, config: Path, full_run: Path) -> None:
    """A day grid stored by a version without ``core.day_basis.range_start`` may lack
    dates (the gap this range closes); its next run rebuilds every date once."""
    expected = _tables(full_run)
    _tamper(full_run, "DELETE FROM marts.provider_day WHERE date = DATE '2026-03-06'; "
                      "ALTER TABLE core.day_basis DROP COLUMN range_start; "
                      "ALTER TABLE core.day_basis DROP COLUMN range_end")
    run_pipeline(_delivery(tmp_path / "again", [BEFORE_MIDNIGHT], roster=False), full_run,
                 config, demo=True)
    assert _tables(full_run) == expected
    con = duckdb.connect(str(full_run), read_only=True)
    try:
        assert con.execute("SELECT range_start, range_end FROM core.day_basis").fetchall() == [
            (dt.date(2026, 3, 3), dt.date(2026, 3, 10))]
    finally:
        con.close()


def _d(day: int) -> dt.date:
    return dt.date(2026, 3, day)


@pytest.mark.parametrize(("want", "loaded", "covered", "expected"), [
    ((2, 4), (3, 10), (3, 10), (3, 4)),  # nothing new: the wanted dates, cut to the range
    ((2, 4), (3, 10), (10, 10), (3, 9)),  # new first date: up to the day before the old one
    ((9, 11), (3, 10), (3, 4), (5, 10)),  # new last date: from the day after the old one
    ((20, 22), (3, 10), (3, 10), None),  # wanted dates outside the range: nothing
    ((20, 22), (1, 10), (3, 10), (1, 2)),  # ... except the dates the range gained
    ((2, 4), (3, 10), None, (3, 10)),  # a grid stored without events: the whole range
])
def test_dates_to_compute(want: tuple[int, int], loaded: tuple[int, int],
                          covered: tuple[int, int] | None,
                          expected: tuple[int, int] | None) -> None:
    got = dates_to_compute((_d(want[0]), _d(want[1])), (_d(loaded[0]), _d(loaded[1])),
                           (_d(covered[0]), _d(covered[1])) if covered else None)
    assert got == ((_d(expected[0]), _d(expected[1])) if expected else None)
    assert dates_to_compute((_d(2), _d(4)), None, (_d(3), _d(10))) is None


def test_a_partition_materialized_twice_gives_the_same_tables(
        full_run: Path, config: Path) -> None:
    before = _tables(full_run)
    for _ in range(2):
        outcome = backfill_pipeline(dt.date(2026, 3, 3), dt.date(2026, 3, 4), full_run,
                                    config, demo=True)
        assert outcome.days == ("2026-03-03", "2026-03-04")
        assert _tables(full_run) == before


def test_a_two_partition_backfill_equals_one_full_run(
        tmp_path: Path, full_run: Path, config: Path) -> None:
    expected = _tables(full_run)
    # The same days wiped (a grid that never got them), then back-filled one run per day.
    _tamper(full_run, "DELETE FROM marts.provider_day WHERE date IN "
                      "(DATE '2026-03-04', DATE '2026-03-08')")
    assert _tables(full_run) != expected
    for day in ("2026-03-04", "2026-03-08"):
        result = CliRunner().invoke(cli, ["backfill", "--start", day, "--end", day,
                                          "--warehouse", str(full_run), "--config",
                                          str(config), "--demo"])
        assert result.exit_code == 0, result.output
        assert f"recomputed daily partitions {day} .. {day}" in result.output
    assert _tables(full_run) == expected
    # And both as one run over the two partitions and the days between.
    _tamper(full_run, "UPDATE marts.provider_day SET ehr_minutes = -1 "
                      "WHERE date BETWEEN DATE '2026-03-04' AND DATE '2026-03-08'")
    backfill_pipeline(dt.date(2026, 3, 4), dt.date(2026, 3, 8), full_run, config, demo=True)
    assert _tables(full_run) == expected


def test_a_change_of_metric_settings_rebuilds_every_date(tmp_path: Path, full_run: Path,
                                                         config: Path) -> None:
    other = _config(tmp_path / "other", idle_timeout_seconds="240")
    fresh = tmp_path / "fresh" / "ehrlog.duckdb"
    run_pipeline(_delivery(tmp_path / "again", [BEFORE_MIDNIGHT, AFTER_MIDNIGHT,
                                                *OTHER_EVENTS]), fresh, other, demo=True)
    # 240 s: the two 5-minute steps of 2026-03-10 become idle; every other gap is <= 240 s.
    assert _minutes(fresh)["2026-03-10"] == 0.0
    backfill_pipeline(dt.date(2026, 3, 4), dt.date(2026, 3, 4), full_run, other, demo=True)
    assert _tables(full_run) == _tables(fresh)


def test_a_warehouse_keeps_the_time_zone_its_files_were_read_in(
        tmp_path: Path, full_run: Path) -> None:
    """Naive times become instants in the configured zone when loaded; a later run in
    another zone would mix two readings, so it stops with one line naming the key."""
    chicago = _config(tmp_path / "chicago", timezone="America/Chicago")
    before = full_run.read_bytes()
    message = ("config key 'timezone': America/Chicago, but this warehouse's files were "
               "read in America/New_York; a warehouse keeps one time zone")
    with pytest.raises(RunFailed, match=message):
        run_pipeline(_delivery(tmp_path / "late", [BEFORE_MIDNIGHT], roster=False), full_run,
                     chicago, demo=True)
    with pytest.raises(RunFailed, match=message):
        backfill_pipeline(dt.date(2026, 3, 3), dt.date(2026, 3, 4), full_run, chicago,
                          demo=True)
    assert full_run.read_bytes() == before
    con = duckdb.connect(str(full_run), read_only=True)
    try:
        assert con.execute("SELECT DISTINCT timezone FROM raw.files").fetchall() == [
            ("America/New_York",)]
    finally:
        con.close()


def test_files_loaded_before_the_zone_was_recorded_do_not_stop_a_run(
        tmp_path: Path, config: Path, full_run: Path) -> None:
    _tamper(full_run, "ALTER TABLE raw.files DROP COLUMN timezone")
    run_pipeline(_delivery(tmp_path / "late", ["u1,2026-03-12 09:00:00," + NOTE],
                           roster=False), full_run, config, demo=True)
    con = duckdb.connect(str(full_run), read_only=True)
    try:
        assert con.execute("SELECT timezone, count(*) FROM raw.files GROUP BY ALL "
                           "ORDER BY ALL").fetchall() == [("America/New_York", 1), (None, 3)]
    finally:
        con.close()


def test_backfill_errors_are_one_line(tmp_path: Path, config: Path, full_run: Path) -> None:
    with pytest.raises(RunFailed, match="does not exist: load a delivery first"):
        backfill_pipeline(dt.date(2026, 3, 3), dt.date(2026, 3, 4),
                          tmp_path / "none" / "ehrlog.duckdb", config, demo=True)
    with pytest.raises(RunFailed, match="no daily partition between 2020-01-01 and 2020-01-31"):
        backfill_pipeline(dt.date(2020, 1, 1), dt.date(2020, 1, 31), full_run, config,
                          demo=True)
    with pytest.raises(RunFailed, match="is before --start"):
        backfill_pipeline(dt.date(2026, 3, 4), dt.date(2026, 3, 3), full_run, config,
                          demo=True)


def test_the_delivery_days_sensor_requests_the_touched_partitions(
        tmp_path: Path, config: Path) -> None:
    cfg = load_config(config)
    warehouse = tmp_path / "wh" / "ehrlog.duckdb"
    defs = definitions_for(cfg, str(warehouse), str(config), demo=True)
    folder = _delivery(tmp_path / "d", [BEFORE_MIDNIGHT, *OTHER_EVENTS[:2]])
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("load_delivery").execute_in_process(
            run_config={"ops": {"load_delivery_asset": {"config": {"delivery": str(folder)}}}},
            instance=instance)
        assert result.success
        success = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_SUCCESS)
        context = dg.build_run_status_sensor_context(
            sensor_name="delivery_days_sensor", dagster_event=success[0].dagster_event,
            dagster_instance=instance, dagster_run=result.dagster_run)
        request = defs.resolve_sensor_def("delivery_days_sensor")(context)
    assert isinstance(request, dg.RunRequest)
    assert request.run_key == result.run_id
    assert request.tags["dagster/asset_partition_range_start"] == "2026-03-02"
    assert request.tags["dagster/asset_partition_range_end"] == "2026-03-05"  # appointment A2
    assert request.tags["ehrlog/delivery_id"] == result.run_id
    assert warehouse.exists()  # the load run published its staging


def test_a_load_that_touched_no_date_rebuilds_the_last_partition(config: Path) -> None:
    partitions = day_partitions(load_config(config))
    run = dg.DagsterRun(job_name="load_delivery", run_id="r1")
    request = rebuild_request(run, None, partitions)
    last = partitions.get_last_partition_key()
    assert request.tags["dagster/asset_partition_range_start"] == last
    # Dates before the first partition are cut to it.
    request = rebuild_request(run, (dt.date(2025, 12, 30), dt.date(2026, 3, 2)), partitions)
    assert (request.tags["dagster/asset_partition_range_start"],
            request.tags["dagster/asset_partition_range_end"]) == ("2026-03-01", "2026-03-02")


def test_the_nightly_schedule_recomputes_yesterday(config: Path) -> None:
    cfg = load_config(config)
    defs = definitions_for(cfg, "unused.duckdb", str(config))
    schedule = defs.resolve_schedule_def("nightly_rebuild")
    when = dt.datetime(2026, 3, 10, 2, 30, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    request = schedule(dg.build_schedule_context(scheduled_execution_time=when))
    assert request.partition_key == "2026-03-09"
