"""The sensors: one load run per new delivery folder, then one rebuild run of its dates.

``drop_folder_sensor``:
Each immediate subfolder of ``deployment.drop_folder`` is a delivery. A folder is
considered complete once nothing in it has changed for ``SETTLE_SECONDS``. Its run key
is the folder name and a fingerprint of its files (names, sizes, modification times), so
the same delivery never starts two runs, while a folder that is re-delivered with other
content starts a new one (whose already-loaded files are skipped by checksum).

``delivery_days_sensor``: when a ``load_delivery`` run succeeds, one ``rebuild_days`` run
over the daily partitions the delivery can change (``recompute_start`` ..
``recompute_end`` of its ``staging/events`` materialization, cut to the partitions).

``failed_run_cleanup_sensor`` (ships running): when a run of the daemon fails, its
private working copy of the warehouse is removed (the published file was not touched).
"""

import datetime as dt
import hashlib
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from pipelines.assets.staging import (
    DELIVERY_ID_TAG,
    EVENTS_KEY,
    load_run_config,
    methods_run_config,
    recompute_dates,
)
from pipelines.partitions import clamp, range_tags
from pipelines.warehouse import BACKFILL_TAG, WarehouseResource, work_key

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

SETTLE_SECONDS = 60


def delivery_fingerprint(folder: Path) -> tuple[str, float]:
    """(fingerprint of the folder's files, newest modification time)."""
    h = hashlib.sha256()
    newest = folder.stat().st_mtime
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        st = f.stat()
        newest = max(newest, st.st_mtime)
        h.update(f"{f.relative_to(folder)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16], newest


def build_drop_folder_sensor(job: dg.JobDefinition | object,
                             drop_folder: str) -> dg.SensorDefinition:
    @dg.sensor(job=job, name="drop_folder_sensor", minimum_interval_seconds=60,
               default_status=dg.DefaultSensorStatus.STOPPED,
               description=f"One run per new delivery folder in {drop_folder}.")
    def drop_folder_sensor(context: dg.SensorEvaluationContext):
        root = Path(drop_folder)
        if not root.is_dir():
            return dg.SkipReason(f"drop folder {root} does not exist")
        seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        now = time.time()
        requests = []
        for folder in sorted(p for p in root.iterdir() if p.is_dir()
                             and not p.name.startswith(".")):
            fingerprint, newest = delivery_fingerprint(folder)
            if seen.get(folder.name) == fingerprint:
                continue
            if now - newest < SETTLE_SECONDS:
                continue  # still being written; look again at the next tick
            seen[folder.name] = fingerprint
            requests.append(dg.RunRequest(run_key=f"{folder.name}:{fingerprint}",
                                          run_config=load_run_config(str(folder.resolve())),
                                          tags={"ehrlog/delivery": folder.name}))
        if not requests:
            return dg.SkipReason("no new complete delivery folder")
        return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True))

    return drop_folder_sensor


def _recompute_dates(instance: dg.DagsterInstance, run_id: str) -> tuple[dt.date, dt.date] | None:
    """``recompute_start`` .. ``recompute_end`` of the run's staging/events materialization."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    for record in records:
        mat = record.event_log_entry.asset_materialization
        if mat is not None and mat.asset_key == EVENTS_KEY:
            return recompute_dates(mat.metadata)
    return None


def rebuild_request(run: dg.DagsterRun, dates: tuple[dt.date, dt.date] | None,
                    partitions: dg.DailyPartitionsDefinition) -> dg.RunRequest | dg.SkipReason:
    """The rebuild run of a successful load run (its delivery's dates, or the last day when
    it staged no dated rows: the roster or action map may still have changed)."""
    last = partitions.get_last_partition_key()
    keys = clamp(partitions, *dates) if dates else None
    if keys is None:
        if last is None:
            return dg.SkipReason("no daily partition exists yet")
        keys = (last, last)
    folder = (run.run_config.get("ops", {}).get("load_delivery_asset", {})
              .get("config", {}).get("delivery", ""))
    return dg.RunRequest(
        run_key=run.run_id,
        run_config=methods_run_config(folder),
        tags={**range_tags(*keys), DELIVERY_ID_TAG: run.run_id},
    )


def build_delivery_days_sensor(load_job: "UnresolvedAssetJobDefinition",
                               rebuild_job: "UnresolvedAssetJobDefinition",
                               partitions: dg.DailyPartitionsDefinition
                               ) -> dg.SensorDefinition:
    @dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, name="delivery_days_sensor",
                          monitored_jobs=[load_job], request_job=rebuild_job,
                          default_status=dg.DefaultSensorStatus.STOPPED,
                          description="After a delivery loads: recompute the days it touched.")
    def delivery_days_sensor(context: dg.RunStatusSensorContext):
        run = context.dagster_run
        return rebuild_request(run, _recompute_dates(context.instance, run.run_id), partitions)

    return delivery_days_sensor


#: Run statuses of a run that has not finished.
_UNFINISHED = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
               dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


def build_failed_run_cleanup_sensor(warehouse: str) -> dg.SensorDefinition:
    @dg.run_failure_sensor(name="failed_run_cleanup_sensor",
                           default_status=dg.DefaultSensorStatus.RUNNING,
                           description="Remove the working copy of the warehouse of a run "
                                       "that failed; the published warehouse is untouched.")
    def failed_run_cleanup_sensor(context: dg.RunFailureSensorContext):
        run = context.dagster_run
        backfill = run.tags.get(BACKFILL_TAG)
        if backfill and context.instance.get_runs(filters=dg.RunsFilter(
                tags={BACKFILL_TAG: backfill}, statuses=_UNFINISHED), limit=1):
            # the backfill's other runs share the copy; its last run publishes or fails
            return dg.SkipReason(f"backfill {backfill} still has runs to finish")
        WarehouseResource(path=warehouse).discard(work_key(run))
        return None

    return failed_run_cleanup_sensor
