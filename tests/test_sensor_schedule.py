"""The drop-folder sensor starts exactly one run per new delivery; the schedule exists."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg

from pipelines.definitions import build_jobs, definitions_for, defs
from pipelines.sensors import SETTLE_SECONDS, build_drop_folder_sensor
from pipelines.warehouse import BACKFILL_TAG
from schemas.config import Config

LOAD, REBUILD = build_jobs()


def _delivery(root: Path, name: str, age_seconds: float = SETTLE_SECONDS + 5) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    f = folder / "events.csv"
    f.write_text("user_id,event_time,action\nU1,2026-03-02 09:00:00,Login\n")
    old = time.time() - age_seconds
    os.utime(f, (old, old))
    os.utime(folder, (old, old))
    return folder


def _tick(sensor: dg.SensorDefinition, cursor: str | None):
    ctx = dg.build_sensor_context(cursor=cursor)
    result = sensor.evaluate_tick(ctx)
    return result.run_requests or [], result.cursor


def test_new_deliveries_start_one_run_each_and_old_ones_none(tmp_path: Path) -> None:
    sensor = build_drop_folder_sensor(LOAD, str(tmp_path))
    first = _delivery(tmp_path, "2026-03-02")
    requests, cursor = _tick(sensor, None)
    assert len(requests) == 1
    cfg = requests[0].run_config["ops"]["load_delivery_asset"]["config"]
    assert cfg["delivery"] == str(first.resolve())
    # The same folder at the next tick starts nothing.
    requests, cursor2 = _tick(sensor, cursor)
    assert requests == []
    # A second delivery starts exactly one more run, for itself.
    _delivery(tmp_path, "2026-03-03")
    requests, _ = _tick(sensor, cursor2 or cursor)
    assert [r.tags["ehrlog/delivery"] for r in requests] == ["2026-03-03"]


def test_a_folder_still_being_written_waits(tmp_path: Path) -> None:
    sensor = build_drop_folder_sensor(LOAD, str(tmp_path))
    _delivery(tmp_path, "fresh", age_seconds=0)
    requests, cursor = _tick(sensor, None)
    assert requests == [] and cursor is None


def test_run_keys_differ_when_a_folder_is_redelivered_with_new_content(tmp_path: Path) -> None:
    sensor = build_drop_folder_sensor(LOAD, str(tmp_path))
    folder = _delivery(tmp_path, "d1")
    (req,), cursor = _tick(sensor, None)
    extra = folder / "inbox.csv"
    extra.write_text("message_id,provider_id,received_time,message_type\n")
    old = time.time() - SETTLE_SECONDS - 5
    os.utime(extra, (old, old))
    os.utime(folder, (old, old))
    (req2,), _ = _tick(sensor, cursor)
    assert req.run_key != req2.run_key


def test_definitions_hold_the_sensor_and_the_nightly_schedule() -> None:
    assert defs.resolve_sensor_def("drop_folder_sensor").job_name == "load_delivery"
    assert defs.resolve_sensor_def("delivery_days_sensor").job_name == "rebuild_days"
    schedule = defs.resolve_schedule_def("nightly_rebuild")
    assert schedule.cron_schedule == "30 2 * * *"
    assert schedule.execution_timezone == "America/New_York"


def _failed_load(instance: dg.DagsterInstance, defs: dg.Definitions, folder: Path,
                 tags: dict[str, str] | None = None):
    result = defs.resolve_job_def("load_delivery").execute_in_process(
        run_config={"ops": {"load_delivery_asset": {"config": {"delivery": str(folder)}}}},
        instance=instance, raise_on_error=False, tags=tags or {})
    assert not result.success
    failure = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    context = dg.build_run_status_sensor_context(
        sensor_name="failed_run_cleanup_sensor", dagster_event=failure[0].dagster_event,
        dagster_instance=instance, dagster_run=result.dagster_run).for_run_failure()
    return result, context


def _bad_delivery(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "events.csv").write_text("user_id,event_time,action\n" + "".join(
        f"U1,2026-02-30 09:0{i}:00,Login\n" for i in range(5)))  # all quarantined
    return folder


def test_a_failed_daemon_run_has_its_working_copy_removed(tmp_path: Path) -> None:
    warehouse = tmp_path / "wh" / "ehrlog.duckdb"
    defs = definitions_for(Config(), str(warehouse), None, demo=True)
    sensor = defs.resolve_sensor_def("failed_run_cleanup_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    work = warehouse.parent / ".ehrlog-work"
    with dg.instance_for_test() as instance:
        result, context = _failed_load(instance, defs, _bad_delivery(tmp_path / "d"))
        assert sorted(p.name for p in work.glob(f"{result.run_id}.*")) == [
            f"{result.run_id}.duckdb", f"{result.run_id}.duckdb.base"]
        assert sensor(context) is None
        assert list(work.glob(f"{result.run_id}.*")) == []
    assert not warehouse.exists()  # the quarantine_share check blocked publishing


def test_the_cleanup_waits_for_the_rest_of_a_backfill(tmp_path: Path) -> None:
    warehouse = tmp_path / "wh" / "ehrlog.duckdb"
    defs = definitions_for(Config(), str(warehouse), None, demo=True)
    sensor = defs.resolve_sensor_def("failed_run_cleanup_sensor")
    tags = {BACKFILL_TAG: "bf1"}
    with dg.instance_for_test() as instance:
        instance.add_run(dg.DagsterRun(job_name="rebuild_days", run_id="sibling", tags=tags,
                                       status=dg.DagsterRunStatus.STARTED))
        _, context = _failed_load(instance, defs, _bad_delivery(tmp_path / "d"), tags)
        skipped = sensor(context)
        assert isinstance(skipped, dg.SkipReason)
        assert "backfill bf1 still has runs to finish" in (skipped.skip_message or "")
        assert (warehouse.parent / ".ehrlog-work" / "bf1.duckdb").exists()
        instance.report_run_failed(instance.get_run_by_id("sibling"))
        assert sensor(context) is None
        assert not (warehouse.parent / ".ehrlog-work" / "bf1.duckdb").exists()
