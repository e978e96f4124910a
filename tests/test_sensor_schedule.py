"""The drop-folder sensor starts exactly one run per new delivery; the schedule exists."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg

from pipelines.definitions import build_jobs, defs
from pipelines.sensors import SETTLE_SECONDS, build_drop_folder_sensor

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
